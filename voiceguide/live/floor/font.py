"""A 3x5 pixel font (capitals, digits, a little punctuation), the one shape digits.py and letters.py draw.

Our own, so that no font package is needed and every glyph is known to fit: each glyph is five
rows of '#' (ink) and '.' (paper), three wide except the narrow punctuation.
"""

from __future__ import annotations

import unicodedata

_GLYPHS = {
    "0": "### #.# #.# #.# ###", "1": ".#. ##. .#. .#. ###", "2": "### ..# ### #.. ###",
    "3": "### ..# .## ..# ###", "4": "#.# #.# ### ..# ..#", "5": "### #.. ### ..# ###",
    "6": "### #.. ### #.# ###", "7": "### ..# .#. .#. .#.", "8": "### #.# ### #.# ###",
    "9": "### #.# ### ..# ###",
    "A": ".#. #.# ### #.# #.#", "B": "##. #.# ##. #.# ##.", "C": ".## #.. #.. #.. .##",
    "D": "##. #.# #.# #.# ##.", "E": "### #.. ##. #.. ###", "F": "### #.. ##. #.. #..",
    "G": ".## #.. #.# #.# .##", "H": "#.# #.# ### #.# #.#", "I": "### .#. .#. .#. ###",
    "J": "..# ..# ..# #.# .#.", "K": "#.# #.# ##. #.# #.#", "L": "#.. #.. #.. #.. ###",
    "M": "#.# ### ### #.# #.#", "N": "#.# ### ### ### #.#", "O": ".#. #.# #.# #.# .#.",
    "P": "##. #.# ##. #.. #..", "Q": ".#. #.# #.# ### .##", "R": "##. #.# ##. #.# #.#",
    "S": ".## #.. .#. ..# ##.", "T": "### .#. .#. .#. .#.", "U": "#.# #.# #.# #.# .##",
    "V": "#.# #.# #.# .#. .#.", "W": "#.# #.# ### ### #.#", "X": "#.# #.# .#. #.# #.#",
    "Y": "#.# #.# .#. .#. .#.", "Z": "### ..# .#. #.. ###",
    " ": "... ... ... ... ...", "-": "... ... ### ... ...", "+": "... .#. ### .#. ...",
    "/": "..# ..# .#. #.. #..", "&": ".#. #.# .#. #.# .##", "?": "##. ..# .#. ... .#.",
    ":": ". # . # .", ".": ". . . . #", ",": ". . . # #", "!": "# # # . #",
    "'": "# # . . .", "(": ".# #. #. #. .#", ")": "#. .# .# .# #.",
}
FONT: dict[str, tuple[tuple[bool, ...], ...]] = {
    ch: tuple(tuple(c == "#" for c in row) for row in rows.split()) for ch, rows in _GLYPHS.items()
}
HEIGHT = 5


def glyph(ch: str) -> tuple[tuple[bool, ...], ...] | None:
    """The pixels of a character, capitals for small letters and the base letter for accented ones."""
    up = ch.upper()
    if up in FONT:
        return FONT[up]
    base = unicodedata.normalize("NFKD", up)[:1]
    return FONT.get(base)


def covers(text: str) -> bool:
    return all(glyph(ch) is not None for ch in text)


def pixels(text: str, gap: int = 1) -> list[list[bool]]:
    """The text as HEIGHT rows of pixels, glyphs `gap` pixels apart; unknown characters are left out."""
    rows: list[list[bool]] = [[] for _ in range(HEIGHT)]
    first = True
    for ch in text:
        g = glyph(ch)
        if g is None:
            continue
        for r in range(HEIGHT):
            rows[r].extend(([False] * gap if not first else []) + list(g[r]))
        first = False
    return rows


def width(text: str, gap: int = 1) -> int:
    """Pixel columns `pixels(text, gap)` takes."""
    known = [glyph(ch) for ch in text if glyph(ch) is not None]
    return sum(len(g[0]) for g in known) + gap * max(0, len(known) - 1)
