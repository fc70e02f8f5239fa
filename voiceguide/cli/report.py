"""Readable views of timelines and routines for the terminal (rich tables; plain when piped)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..errors import ScriptError, VoiceguideError
from ..plan.timeline import EstimatedLengths, Event, EventKind, Timeline
from ..routine.settings import PACES, pace_label
from ..text import format_clock, format_length


def _what(ev: Event) -> str:
    if ev.kind is EventKind.SPEECH:
        return ev.text
    if ev.kind is EventKind.SOUND:
        return f"[{ev.sound}]"
    return f"{ev.kind} {format_length(ev.length)}"


def plan_table(timeline: Timeline, console: Console) -> None:
    console.print(f"{timeline.title}", markup=False, style="bold")
    if timeline.summary:
        console.print(timeline.summary, markup=False)
    for note in timeline.safety:
        console.print(f"safety: {note}", markup=False)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("end", justify="right", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("what")
    chapter = -1
    for ev in timeline.events:
        while chapter < ev.chapter:
            chapter += 1
            ch = timeline.chapters[chapter]
            table.add_row(format_clock(ch.start), "", "", Text(f"== {ch.title}", style="bold"))
        table.add_row(format_clock(ev.start), format_clock(ev.end), ev.kind, Text(_what(ev)))
    console.print(table)
    s = timeline.settings
    console.print(
        f"total {format_clock(timeline.duration)} ({format_length(timeline.duration)}), "
        f"{timeline.chapter_count} chapters; pace {pace_label(s.pace)}, speech {s.speech_rate:.0f} wpm, "
        f"hold scale {s.hold_scale:g}, breath {s.breath}",
        markup=False,
    )


def routine_facts(path: Path, name: str) -> tuple[str, str, str]:
    """(title, summary, length) of a routine; a broken one says so instead of a length."""
    from ..plan.planner import plan
    from ..routine import load_routine
    from ..routine.settings import resolve

    try:
        routine = load_routine(path, name)
        timeline = plan(routine, resolve(routine))
    except ScriptError as exc:
        return ("(has problems: run voiceguide check)", str(exc.diagnostics[0].message), "-")
    except VoiceguideError as exc:
        return ("(cannot be read)", str(exc), "-")
    return (routine.title, routine.summary or "", format_length(timeline.duration))


def routine_rows(paths: list[Path], display: Callable[[Path], str]) -> list[tuple[str, ...]]:
    """(file, title, summary, length) for each routine file."""
    return [(display(path), *routine_facts(path, display(path))) for path in paths]


def named_routine_rows(found: dict, display: Callable[[Path], str]) -> list[tuple[str, ...]]:
    """(name, from, title, summary, length) for each name of routine.lookup.every_routine(): the file
    that wins, and the places whose file of that name it hides."""
    rows = []
    for name, files in found.items():
        winner, hidden = files[0], files[1:]
        origin = winner.origin + (f" (hides {', '.join(f.origin for f in hidden)})" if hidden else "")
        rows.append((name, origin, *routine_facts(winner.path, display(winner.path))))
    return rows


def routines_table(rows, console: Console, columns: tuple[str, ...] = ("file",)) -> None:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for col in columns:
        table.add_column(col, no_wrap=True)  # a name or a file is typed: never cut
    for col in ("title", "summary"):
        table.add_column(col)
    table.add_column("length", justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)


@dataclass(frozen=True)
class PaceTotal:
    name: str  # gentle, normal, brisk, or the number of a pace in use that has no name
    total: float | None  # None: the routine does not fit at this pace
    in_use: bool  # the plan's own pace: its real total; the others are estimates


class _ScaledLengths:
    """Speech at another pace, estimated from this plan's own clips: each measured length scaled by how
    the estimate of that text changes with the pace (words the plan never spoke: the estimate, scaled by
    how far the estimates were off overall). At the plan's own pace it gives back the measured lengths."""

    def __init__(self, timeline: Timeline, settings):
        self.measured = {(e.text, e.role): e.length for e in timeline.speech()}
        self.now, self.then = EstimatedLengths(timeline.settings), EstimatedLengths(settings)
        guessed = sum(self.now.speech(text, role) for text, role in self.measured)
        self.ratio = sum(self.measured.values()) / guessed if guessed > 0 else 1.0

    def speech(self, text: str, role: str = "narration") -> float:
        measured, then = self.measured.get((text, role)), self.then.speech(text, role)
        if measured is None:
            return then * self.ratio
        now = self.now.speech(text, role)
        return measured * then / now if now > 0 else measured

    def sound(self, path: Path) -> float:
        return self.now.sound(path)


def pace_totals(routine, timeline: Timeline) -> list[PaceTotal]:
    """The routine's length at each named pace: the real total at the pace in use, the others estimated
    from this plan's speech (so that they agree with it)."""
    from ..plan.planner import plan

    pace = timeline.settings.pace
    out = [] if any(abs(v - pace) < 1e-9 for v in PACES.values()) else [PaceTotal(f"{pace:g}", timeline.duration, True)]
    for name, value in PACES.items():
        if abs(value - pace) < 1e-9:
            out.append(PaceTotal(name, timeline.duration, True))
            continue
        settings = replace(timeline.settings, pace=value)
        try:
            out.append(PaceTotal(name, plan(routine, settings, _ScaledLengths(timeline, settings)).duration, False))
        except ScriptError:
            out.append(PaceTotal(name, None, False))
    return out


def pace_line(totals: list[PaceTotal]) -> str:
    parts = []
    for t in totals:
        if t.total is None:
            parts.append(f"{t.name} (does not fit)")
        elif t.in_use:
            parts.append(f"{t.name} {format_length(t.total)} (this plan)")
        else:
            parts.append(f"{t.name} ~{format_length(t.total)}")
    return "at each pace: " + ", ".join(parts) + "; ~ estimated from this plan's speech"
