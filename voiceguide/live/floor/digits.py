"""Big block digits for the countdown: five rows (or a multiple) of full blocks, readable across a room.

Each pixel of the 3x5 font is drawn two cells wide and one row tall, which, with terminal cells
about twice as tall as wide, gives square pixels; `scale` multiplies both for large terminals.
"""

from __future__ import annotations

from . import font

BLOCK = "\u2588"
ROWS = font.HEIGHT


def big_digits(text: str, scale: int = 1) -> list[str]:
    """'0:15' -> ROWS * scale lines of BLOCK and spaces, all the same length."""
    out: list[str] = []
    for row in font.pixels(text, gap=1):
        line = "".join((BLOCK if ink else " ") * (2 * scale) for ink in row)
        out.extend([line] * scale)
    return out


def digits_width(text: str, scale: int = 1) -> int:
    return font.width(text, gap=1) * 2 * scale
