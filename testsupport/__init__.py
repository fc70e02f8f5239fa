"""What the tests (tests/) and the benchmarks (benchmarks/) share: one way each to run the CLI in a
child process, to drive it in a terminal, to give it a private sound server, to interrupt a render,
and to read what it wrote or played.

    cli        `python -m voiceguide ...` in a child; a render interrupted once it is writing
    terminal   a program in a pseudo-terminal (every byte it writes) or in tmux (the screen as drawn)
    pulse      a private PulseAudio server, its null sinks and recordings, time to the first sound
    audio      decoding, ffprobe, and finding clips in recordings (cross-correlation)
    routines   routines from text, planned; a timeline's holds and speech
    player     the live player driven in-process, block by block, on its own clock
    live       `voiceguide play` on a private sink, recorded, unattended or in a pseudo-terminal
    remote     `voiceguide play --remote`, recorded, or in a pseudo-terminal before its floor view
    serve      real renders with bait beside them, `voiceguide serve` over them, raw HTTP requests
    neural     the neural voice tests' private folders, and a session spoken by a given voice
    browser    headless Chromium for the page tests
    listen     the listening tests' fixtures (a pytest plugin: tests/conftest.py loads it)

Imported as `testsupport`, from the repository's root: pytest puts the root on the path
(`pythonpath` in pyproject.toml's [tool.pytest.ini_options]); a benchmark script puts it there with
its one path line (`sys.path[:0] = [str(REPO)]`), which also makes `voiceguide` the checkout's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, TypeVar

ROOT = Path(__file__).resolve().parent.parent
LIVE = ROOT / "tests" / "live"  # the small routines the live tests play

T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float, what: str, interval: float = 0.01,
               alive: Callable[[], bool] | None = None) -> T:
    """Poll `check` until it returns something true (which is returned). Fails when `timeout` passes
    or, if `alive` is given, as soon as it says the watched process has ended."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if alive is not None and not alive():
            raise AssertionError(f"the process ended before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)
