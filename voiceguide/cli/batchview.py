"""What `render a b c` shows: a line per routine that moves as it renders, then a summary."""

from __future__ import annotations

import threading
from pathlib import Path

from ..export.batch import RenderJob, RenderOutcome, default_workers, render_batch
from ..text import format_clock
from .options import _display, say_voice_note

STAGES = {"speech": "speech", "measure": "loudness", "encode": "encoding", "done": "done", "failed": "failed"}


class BatchLines:
    """In a terminal, a rich progress line per routine (stage, bar, percent); otherwise a plain line on
    stderr as each routine finishes. `update` may be called from any thread."""

    def __init__(self, console, labels: list[str]):
        self.console, self.labels = console, labels
        self.lock = threading.Lock()
        self.finished = 0
        self.bar = None
        if console.is_terminal:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

            self.bar = Progress(TextColumn("{task.description}"), TextColumn("{task.fields[stage]:<9}"), BarColumn(),
                                TaskProgressColumn(), console=console, transient=False)
            self.tasks = [self.bar.add_task(label, total=1.0, stage="waiting") for label in labels]

    def __enter__(self):
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()

    def update(self, index: int, stage: str, fraction: float) -> None:
        with self.lock:
            if self.bar:
                # speech is the first half of a line's bar, loudness and encoding the second
                overall = {"speech": 0.5 * fraction, "measure": 0.5 + 0.1 * fraction,
                           "encode": 0.6 + 0.4 * fraction}.get(stage, 1.0)
                self.bar.update(self.tasks[index], completed=min(1.0, overall), stage=STAGES.get(stage, stage))
            elif stage in ("done", "failed"):
                self.finished += 1
                self.console.print(f"[{self.finished}/{len(self.labels)}] {self.labels[index]}: {stage}", markup=False)


def render_many(scripts: list[Path], ov, out_dir: Path, fmt: str, bitrate: int, jobs: int | None, out, err) -> int:
    """Render every routine on up to `jobs` processes (default: the cores); print the summary; 0 or 1."""
    jobs_list = [RenderJob(path, out_dir, fmt, bitrate, ov, ov.engine or "auto", _display(path)) for path in scripts]
    with BatchLines(err, [j.display for j in jobs_list]) as lines:
        outcomes = render_batch(jobs_list, jobs or default_workers(), lines.update)
    return summarise(outcomes, out, err)


def summarise(outcomes: list[RenderOutcome], out, err) -> int:
    """stdout: a line per file written (as a single render prints it); stderr: each failure's lines and a
    count. 1 when any failed."""
    failed = [o for o in outcomes if not o.ok]
    for o in outcomes:
        if o.ok:
            if o.note:
                say_voice_note(o)
            out.print(f"{_display(o.path)}  {format_clock(o.duration)}  {o.size / 1_000_000:.1f} MB  "
                      f"{o.chapters} chapters  ({o.voice})", markup=False)
        else:
            err.print(f"failed: {o.display}", markup=False)
            for line in o.errors:
                err.print(line, markup=False, soft_wrap=True)
    done = len(outcomes) - len(failed)
    tally = f"{done} of {len(outcomes)} rendered"
    if failed:
        tally += f"; failed: {', '.join(o.display for o in failed)}"
    err.print(tally, markup=False, soft_wrap=True)
    return 1 if failed else 0
