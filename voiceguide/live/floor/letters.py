"""Large capitals for the step and side: the 3x5 font in half blocks, three rows tall.

Half blocks put two pixel rows in one terminal row, so letters keep their shape at four cells a
letter: "SEATED FIGURE FOUR" takes 71 columns and fits an 80-column terminal.
"""

from __future__ import annotations

from . import font

ROWS = 3
_CELL = {(True, True): "\u2588", (True, False): "\u2580", (False, True): "\u2584", (False, False): " "}


def big_letters(text: str) -> list[str]:
    """ROWS lines of half and full blocks spelling `text` in capitals."""
    rows = font.pixels(text.upper(), gap=1)
    rows.append([False] * len(rows[0]))
    return ["".join(_CELL[top, bottom] for top, bottom in zip(rows[r], rows[r + 1])) for r in range(0, 6, 2)]


def letters_width(text: str) -> int:
    return font.width(text.upper(), gap=1)


def fits(text: str, columns: int) -> bool:
    """Whether `text` can be drawn in large letters on one line of `columns` cells."""
    return font.covers(text) and letters_width(text) <= columns


def wrap_large(text: str, columns: int, max_lines: int) -> list[str] | None:
    """`text` split at spaces into at most `max_lines` pieces that each fit, or None when it cannot be."""
    if not font.covers(text):
        return None
    pieces: list[str] = []
    for word in text.split():
        if pieces and fits(f"{pieces[-1]} {word}", columns):
            pieces[-1] = f"{pieces[-1]} {word}"
        elif fits(word, columns):
            pieces.append(word)
        else:
            return None
    return pieces if 0 < len(pieces) <= max_lines else None
