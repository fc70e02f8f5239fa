"""Readable views of timelines and routines for the terminal (rich tables; plain when piped)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .errors import ScriptError, VoiceguideError
from .timeline import Timeline
from .text import format_clock, format_length


def _what(ev) -> str:
    if ev.kind == "speech":
        return ev.text
    if ev.kind == "sound":
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
        f"{len(timeline.chapters)} chapters; pace {s.pace:g}, speech {s.speech_rate:.0f} wpm, "
        f"hold scale {s.hold_scale:g}, breath {s.breath}",
        markup=False,
    )


def routine_rows(paths: list[Path], display: Callable[[Path], str]) -> list[tuple[str, str, str, str]]:
    """(file, title, summary, length) for each routine; a broken one says so instead of a length."""
    from .plan import plan
    from .script import load_routine
    from .settings import resolve

    rows = []
    for path in paths:
        name = display(path)
        try:
            routine = load_routine(path, name)
            timeline = plan(routine, resolve(routine))
        except ScriptError as exc:
            rows.append((name, "(has problems: run voiceguide check)", str(exc.diagnostics[0].message), "-"))
            continue
        except VoiceguideError as exc:
            rows.append((name, "(cannot be read)", str(exc), "-"))
            continue
        rows.append((name, routine.title, routine.summary or "", format_length(timeline.duration)))
    return rows


def routines_table(rows, console: Console) -> None:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for col in ("file", "title", "summary"):
        table.add_column(col)
    table.add_column("length", justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)
