"""Batches: render several routines at once on worker processes, each failure its own, never the others'.

`render_batch(jobs, workers, report)` runs `render_one` for every job, on `workers` processes (or in this
process when there is one worker), calls `report(index, stage, fraction)` as each job moves on, and
returns an outcome per job, in the jobs' order. A worker that is told to stop (SIGTERM or Ctrl-C) unwinds
like a single render does, so its temporary file is removed and the earlier file stays as it was.
Workers are started with `spawn` (a clean interpreter, not a fork of a threaded parent).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import ScriptError, VoiceguideError
from ..routine.settings import Overrides

Report = Callable[[int, str, float], None]


@dataclass(frozen=True)
class RenderJob:
    path: Path
    out_dir: Path
    fmt: str = "mp3"
    bitrate: int = 64
    overrides: Overrides = Overrides()
    engine: str = "auto"
    display: str = ""


@dataclass(frozen=True)
class RenderOutcome:
    """What became of one job: the file and its facts, or the lines that say why not."""

    display: str
    path: Path | None = None
    duration: float = 0.0
    size: int = 0
    chapters: int = 0
    voice: str = ""
    note: str | None = None  # the voice's one-line note (how to get the natural voice), if any
    errors: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.path is not None and not self.errors


class Stopped(BaseException):
    """A worker was told to stop (SIGTERM or SIGINT): unwinds like Ctrl-C, so every clean-up runs."""


def render_one(job: RenderJob, report: Callable[[str, float], None] | None = None) -> RenderOutcome:
    """Render one job; a bad routine or a failure is an outcome with its message lines, not an exception."""
    from .render import export
    from ..session.build import session

    def speech(done: int, total: int) -> None:
        if report and total:
            report("speech", done / total)

    def audio(stage: str, done: int, total: int) -> None:
        if report and total:
            report(stage, done / total)

    try:
        sess = session(job.path, job.overrides, job.engine, display=job.display or None, progress=speech)
        result = export(sess, job.out_dir, job.fmt, job.bitrate, progress=audio)
    except ScriptError as exc:
        return RenderOutcome(job.display, errors=tuple(str(d) for d in exc.diagnostics) or (str(exc),))
    except VoiceguideError as exc:
        return RenderOutcome(job.display, errors=(f"voiceguide: {exc}",))
    except OSError as exc:
        return RenderOutcome(job.display, errors=(f"voiceguide: {job.display}: {exc.strerror or exc}",))
    return RenderOutcome(job.display, result.path, result.duration, result.size, sess.timeline.chapter_count,
                         sess.voice.describe(), sess.voice.note)


def same_outputs(jobs: list[RenderJob]) -> dict[int, str]:
    """Jobs that would write the same file as an earlier job (two `x.yaml` from different folders):
    index -> the message that refuses them, so that no two workers ever write one file."""
    from .formats import get_format
    from .render import output_name

    seen: dict[Path, str] = {}
    refused = {}
    for i, job in enumerate(jobs):
        target = (job.out_dir / f"{output_name(job.path)}.{get_format(job.fmt).suffix}").resolve()
        if target in seen:
            refused[i] = f"voiceguide: {job.display}: would write {target} too (so does {seen[target]}); skipped"
        else:
            seen[target] = job.display
    return refused


# ------------------------------------------------------------------ the worker processes

_queue = None
_busy = False
_stopping = False


def _on_stop(signum, frame):
    """The first signal stops the worker: mid-render it unwinds (removing its temporary file), idle it just
    exits; later signals change nothing, so they cannot cut the unwinding short, and no new job starts."""
    global _stopping
    if _stopping:
        return
    _stopping = True
    if not _busy:
        os._exit(143)
    raise Stopped()


def _init_worker(queue) -> None:
    global _queue
    _queue = queue
    signal.signal(signal.SIGTERM, _on_stop)
    signal.signal(signal.SIGINT, _on_stop)


def _work(index: int, job: RenderJob) -> RenderOutcome:
    global _busy
    last = [0.0, ""]
    stopped = RenderOutcome(job.display, errors=(f"voiceguide: {job.display}: stopped; nothing half-written",))

    def report(stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage != last[1] or now - last[0] >= 0.2 or fraction >= 1.0:  # at most five a second
            last[0], last[1] = now, stage
            _queue.put((index, stage, fraction))

    if _stopping:
        return stopped
    _busy = True
    try:
        return render_one(job, report)
    except Stopped:
        return stopped
    finally:
        _busy = False


def default_workers() -> int:
    """One render process a core this process may use."""
    from ..voice.sentences import cores

    return cores()


def render_batch(jobs: list[RenderJob], workers: int, report: Report | None = None) -> list[RenderOutcome]:
    """Every job rendered (on up to `workers` processes); outcomes in the jobs' order."""
    report = report or (lambda index, stage, fraction: None)
    outcomes: dict[int, RenderOutcome] = {i: RenderOutcome(jobs[i].display, errors=(msg,))
                                          for i, msg in same_outputs(jobs).items()}
    todo = [i for i in range(len(jobs)) if i not in outcomes]
    workers = max(1, min(workers, len(todo) or 1))
    if workers == 1:
        for i in todo:
            outcomes[i] = render_one(jobs[i], lambda stage, fraction, i=i: report(i, stage, fraction))
            report(i, "done" if outcomes[i].ok else "failed", 1.0)
    else:
        _run_pool(jobs, todo, workers, report, outcomes)
    return [outcomes[i] for i in range(len(jobs))]


def _run_pool(jobs, todo, workers, report: Report, outcomes: dict[int, RenderOutcome]) -> None:
    import multiprocessing
    import queue as queues
    import threading
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = multiprocessing.get_context("spawn")
    progress = ctx.Queue()
    stop = threading.Event()

    def relay():
        while not stop.is_set():
            try:
                report(*progress.get(timeout=0.1))
            except queues.Empty:
                continue
            except (EOFError, OSError):
                return

    relay_thread = threading.Thread(target=relay, name="batch-progress", daemon=True)
    relay_thread.start()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(progress,))
    try:
        running = {pool.submit(_work, i, jobs[i]): i for i in todo}
        pending = set(running)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                i = running[future]
                try:
                    outcomes[i] = future.result()
                except Exception as exc:  # a worker that died (killed, out of memory): that job failed
                    outcomes[i] = RenderOutcome(jobs[i].display,
                                                errors=(f"voiceguide: {jobs[i].display}: the render process failed ({exc})",))
                report(i, "done" if outcomes[i].ok else "failed", 1.0)
    except BaseException:
        processes = list((pool._processes or {}).values())  # before shutdown forgets them
        pool.shutdown(wait=False, cancel_futures=True)
        _stop_workers(processes)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        stop.set()
        relay_thread.join(timeout=2)
        progress.close()


def _stop_workers(processes) -> None:
    """Tell every worker to stop (they unwind and remove their temporary files) and wait for them."""
    for proc in processes:
        try:
            os.kill(proc.pid, signal.SIGTERM)
        except (OSError, TypeError):
            pass
    deadline = time.monotonic() + 20
    for proc in processes:
        proc.join(timeout=max(0.1, deadline - time.monotonic()))
