"""The floor view's layout: what to draw, and how big, for the terminal's size.

The view is tried at a series of levels, from everything at its largest to only the step and the
countdown, and the first level that fits the terminal is drawn; the decorated levels (header,
keys, next step, session bar, large letters) need at least 80x24. So a resize simply picks a
level again on the next redraw, and nothing is ever cut in the middle of a big digit.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from ...plan.now import Now
from ...text import countdown_clock
from .bars import bar, breath_bar
from .digits import big_digits, digits_width
from .letters import big_letters, wrap_large

KEYS_HELP = "space pause · n next · b back · r repeat · + more time · t how long · q quit"  # fits 80 columns
FULL_SIZE = (80, 24)
KIND_STYLE = {"hold": "bold green", "rest": "bold cyan", "wait": "bold yellow"}
BAND = "bold black on yellow"


@dataclass(frozen=True)
class Level:
    decorated: bool  # header, keys, next step and session bar: only from 80x24 up
    scale: int  # of the countdown digits; 0: the countdown as a line of text
    large_title: bool
    large_side: bool
    caption_lines: int
    bars: bool  # the hold's progress bar and the breath indicator


LEVELS = (
    Level(True, 2, True, True, 3, True),
    Level(True, 1, True, True, 3, True),
    Level(True, 1, True, False, 2, True),
    Level(True, 1, False, False, 2, True),
    Level(False, 1, False, False, 2, True),
    Level(False, 1, False, False, 1, True),
    Level(False, 1, False, False, 0, False),
    Level(False, 0, False, False, 0, False),
)


def layout(state: Now, width: int, height: int, interactive: bool = True,
           notices: tuple[str, ...] = ()) -> list[Text]:
    """Exactly `height` lines, none wider than `width`: the largest level that fits. `notices` (the
    remote's address, the words the microphone listens for) go at the foot of the decorated levels."""
    roomy = width >= FULL_SIZE[0] and height >= FULL_SIZE[1]
    blocks: list[list[Text]] = []
    for level in LEVELS:
        if level.decorated and not roomy:
            continue
        blocks = [b for b in _blocks(state, level, width, interactive, notices) if b]
        if sum(len(b) for b in blocks) <= height:
            break
    return _spread(blocks, width, height)


class FloorView:
    """The layout as a rich renderable: it measures the screen each time it is drawn."""

    def __init__(self, state: Now, interactive: bool = True, notices: tuple[str, ...] = ()):
        self.state = state
        self.interactive = interactive
        self.notices = notices

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        height = options.height or console.size.height
        yield from layout(self.state, options.max_width, height, self.interactive, self.notices)


# ------------------------------------------------------------------ the blocks, top to bottom


def _blocks(s: Now, level: Level, width: int, interactive: bool,
            notices: tuple[str, ...] = ()) -> list[list[Text]]:
    out = []
    if level.decorated:
        out.append([_header(s, width)])
    out.append(_title(s, level, width))
    if level.large_side and s.side:
        out.append(_large(s.side, width, "bold cyan", 1) or [_text(s.side, "bold cyan", width)])
    if s.paused or s.waiting:
        out.append(_band(s, level, width))
    if s.countdown_seconds is not None and not s.waiting:
        out.append(_countdown(s, level, width))
    if level.bars and s.hold_progress is not None and not s.waiting:
        out.append([_centred(bar(s.hold_progress, _inner(width), _kind_style(s)), width)])
    if level.bars and s.breath is not None:
        out.append([_centred(breath_bar(s.breath, s.breath_progress or 0.0, _inner(width)), width)])
    if level.caption_lines:
        out.append(_caption(s.caption, width, level.caption_lines))
    if level.decorated:
        out.append([_text(f"next: {s.next_step or 'the end'}", "", width)])
        left = f"{countdown_clock(round(s.left))} left"
        out.append([_centred(bar(s.session_progress, _inner(width), "blue", left, "bold"), width)])
        foot = ([KEYS_HELP] if interactive else []) + list(notices)
        out.append([_text(line, "dim", width) for line in foot])
    return out


def _header(s: Now, width: int) -> Text:
    right = f"step {s.chapter + 1} of {s.chapters}" if s.chapters else ""
    left = s.routine[: max(0, width - len(right) - 3)]
    return Text.assemble((left, "dim"), " " * (width - len(left) - len(right)), (right, "dim"))


def _title(s: Now, level: Level, width: int) -> list[Text]:
    if level.large_title:
        big = _large(s.step, width, "bold white", 2)
        if big:
            return big if level.large_side or not s.side else big + [_text(s.side, "bold cyan", width)]
    words = s.step.upper() + (f" · {s.side}" if s.side and not level.large_side else "")
    lines = textwrap.wrap(words, width) or [""]
    return [_text(line, "bold", width) for line in lines[:2]]


def _large(text: str, width: int, style: str, max_lines: int) -> list[Text] | None:
    pieces = wrap_large(text, width, max_lines)
    if pieces is None:
        return None
    return [_centred(Text(row, style=style), width) for piece in pieces for row in big_letters(piece)]


def _band(s: Now, level: Level, width: int) -> list[Text]:
    word, hint = ("PAUSED", "paused · space to resume") if s.paused else ("PRESS ANY KEY", "press any key to go on")
    band = _large(word, width, BAND, 1) if level.decorated else None
    lines = [Text(row.center(width), style=BAND) for row in (big_letters(word) if band else [])]
    return lines + [Text(hint.center(width), style=BAND)]


def _countdown(s: Now, level: Level, width: int) -> list[Text]:
    shown = countdown_clock(s.countdown_seconds or 0)
    style = "yellow" if s.paused else _kind_style(s)
    label = _text(f"{s.countdown_kind}: {shown} left", style, width)
    if level.scale == 0:
        return [label]
    scale = level.scale if digits_width(shown, level.scale) <= width else 1
    return [_centred(Text(row, style=style), width) for row in big_digits(shown, scale)] + [label]


def _caption(caption: str | None, width: int, lines: int) -> list[Text]:
    """Always `lines` tall, so the view does not jump each time speech starts or stops."""
    wrapped = textwrap.wrap(f"“{caption}”", max(10, _inner(width)), max_lines=lines, placeholder=" …") if caption else []
    return [_text(line, "bold italic", width) for line in wrapped] + [Text("") for _ in range(lines - len(wrapped))]


def _spread(blocks: list[list[Text]], width: int, height: int) -> list[Text]:
    """The blocks one under the other, a blank line between them while there is room, centred."""
    used = sum(len(b) for b in blocks)
    gaps = min(max(0, len(blocks) - 1), max(0, height - used))
    lines: list[Text] = []
    for i, block in enumerate(blocks):
        if i and i <= gaps:
            lines.append(Text(""))
        lines.extend(block)
    lines = lines[:height]
    top = (height - len(lines)) // 2
    out = [Text("") for _ in range(top)] + lines + [Text("") for _ in range(height - top - len(lines))]
    for line in out:
        line.no_wrap, line.overflow, line.end = True, "crop", "\n"
    out[-1].end = ""
    return [line if line.cell_len <= width else line[:width] for line in out]


def _text(text: str, style: str, width: int) -> Text:
    return _centred(Text(text[:width], style=style), width)


def _centred(text: Text, width: int) -> Text:
    text.align("center", width)
    return text


def _inner(width: int) -> int:
    return max(1, min(width - 4, 100))


def _kind_style(s: Now) -> str:
    return KIND_STYLE.get(s.countdown_kind or "", "bold")
