"""A progress bar on stderr for long work; silent when stderr is not a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress as RichProgress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from .. import dsp


class Progress:
    def __init__(self, console: Console, label: str):
        self.enabled = console.is_terminal
        self.bar = RichProgress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
            console=console, transient=True,
        ) if self.enabled else None
        self.label = label
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        if self.bar:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)

    def _update(self, name: str, done: float, total: float) -> None:
        if not self.bar:
            return
        if name not in self.tasks:
            self.tasks[name] = self.bar.add_task(f"{self.label}: {name}", total=total)
        self.bar.update(self.tasks[name], completed=done, total=total)

    def speech(self, done: int, total: int) -> None:
        self._update("speech", done, total)

    def audio(self, stage: str, done: int, total: int) -> None:
        self._update(stage, done / dsp.RATE, total / dsp.RATE)
