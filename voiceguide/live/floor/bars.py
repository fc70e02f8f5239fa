"""Progress bars and the breath indicator, drawn with eighth blocks so they move smoothly at 8-10 Hz."""

from __future__ import annotations

from rich.text import Text

FULL = "\u2588"
EIGHTHS = " \u258f\u258e\u258d\u258c\u258b\u258a\u2589"
EMPTY = "\u2591"


def bar_cells(fraction: float, width: int) -> str:
    """`width` cells filled to `fraction` (0-1), to an eighth of a cell, the rest shaded."""
    if width <= 0:
        return ""
    eighths = int(round(min(1.0, max(0.0, fraction)) * width * 8))
    full, part = divmod(eighths, 8)
    cells = FULL * full + (EIGHTHS[part] if part and full < width else "")
    return cells + EMPTY * (width - len(cells))


def bar(fraction: float, width: int, style: str, label: str = "", label_style: str = "") -> Text:
    """A bar with an optional label after it, `width` cells in all."""
    tail = f" {label}" if label else ""
    cells = max(0, width - len(tail))
    return Text.assemble((bar_cells(fraction, cells), style), (tail, label_style or style))


BREATH_WORDS = {"in": "breathe in", "hold": "hold", "out": "breathe out"}


def lungs(phase: str, progress: float) -> float:
    """How full the breath is: filling on the in-breath, full while held, emptying on the out-breath."""
    return progress if phase == "in" else 1.0 if phase == "hold" else 1.0 - progress


def breath_bar(phase: str, progress: float, width: int) -> Text:
    """'breathe in  ██████▌░░░░': the word for the phase, then a bar that grows and shrinks with the breath."""
    word = BREATH_WORDS.get(phase, phase).upper().ljust(12)
    style = {"in": "bold cyan", "hold": "bold white", "out": "bold magenta"}.get(phase, "bold")
    return Text.assemble((word, style), (bar_cells(lungs(phase, progress), max(0, width - len(word))), style))
