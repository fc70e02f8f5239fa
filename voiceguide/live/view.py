"""The live session's terminal side: the floor view (full screen, see floor/), or plain lines when
not a terminal, and the keys."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from typing import Callable, Iterator, Sequence

from rich.console import Console
from rich.live import Live

from .. import dsp
from ..plan.now import Now
from .floor.view import FloorView
from .ahead import Ahead
from .output import AudioError, Output
from .player import Player, find_chapter
from .steer import Controller, command_for_key, steer
from ..text import format_clock


@contextlib.contextmanager
def raw_keys(enabled: bool) -> Iterator[Callable[[float], str | None]]:
    """Single key presses without Enter; the terminal is restored however we leave."""
    if not enabled:
        yield lambda timeout: (time.sleep(timeout), None)[1]
        return
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        def read(timeout: float) -> str | None:
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                if msvcrt.kbhit():
                    return msvcrt.getwch()
                time.sleep(0.02)
            return None

        yield read
        return
    import select
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)

        def read(timeout: float) -> str | None:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            data = os.read(fd, 1)
            if data == b"\x1b" and select.select([fd], [], [], 0.05)[0]:
                os.read(fd, 32)  # an arrow or function key's escape sequence, not a lone Esc
                return None
            return data.decode("utf-8", "replace") if data else None

        yield read
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def wait_to_begin(ready: threading.Event, console: Console, message: str) -> bool:
    """Before a session in a terminal: wait until `ready` is set (a phone opened the remote's page)
    or any key is pressed; q or Esc gives up. False when the person gave up."""
    console.print(message, markup=False)
    with raw_keys(True) as read_key:
        while not ready.is_set():
            key = read_key(0.1)
            if key is not None:
                return key not in ("q", "Q", "\x1b")
    return True


def _floor(now: Now, interactive: bool, notices: tuple[str, ...] = ()) -> FloorView:
    """The view of this moment; a command's note ("more time: +15 s") goes above the standing notices."""
    lines = ((now.note,) if now.note else ()) + notices
    return FloorView(now, interactive, lines)


def play_session(
    ahead: Ahead,
    output: Output,
    console: Console,
    start_at: str | None = None,
    interactive: bool | None = None,
    started: float | None = None,
    controllers: Sequence[Controller] = (),
) -> Player:
    """Play until the end or `q`; raises AudioError / ScriptError with a message on failure.

    Each controller (spoken commands, a phone remote) steers from its own thread from the moment
    the sound starts, beside the keys, and is closed however the session ends."""
    if interactive is None:
        interactive = sys.stdin.isatty() and console.is_terminal
    start = 0.0
    if start_at is not None:
        start = find_chapter(ahead.timeline, start_at)
        while ahead.final_until <= start + 10 and not ahead.all_rendered:
            ahead.render_some(12)  # everything before the starting point must be measured
            start = find_chapter(ahead.timeline, start_at)
    player = Player(ahead.timeline, ahead.clip, interactive_waits=interactive, until=ahead.mixable_until, planner=ahead)
    player.seek(start)
    player.start_producer()
    started = started if started is not None else time.monotonic()
    started_controllers: list[Controller] = []
    try:  # from the device's start: a device left open when Ctrl-C lands hangs the exit in its finaliser
        output.start(dsp.RATE, player.pull)
        ahead.start_background(player.update)  # after the device has started: the first words go out first
        for controller in controllers:
            controller.start(player)
            started_controllers.append(controller)
        with raw_keys(interactive) as read_key:
            if console.is_terminal:
                # Full screen on the alternate screen, redrawn by the loop itself (about 10 Hz) so each
                # frame shows the position just read; leaving restores the screen and the cursor.
                notices = tuple(c.notice for c in started_controllers if c.notice)
                first = _floor(player.status(), interactive, notices)
                with Live(first, console=console, screen=True, auto_refresh=False, redirect_stderr=False) as live:

                    def show(now: Now) -> None:
                        live.update(_floor(now, interactive, notices), refresh=True)

                    _loop(player, ahead, read_key, show, started, console, False)
            else:
                _loop(player, ahead, read_key, None, started, console, True)
        if not player.failure and player.finished.is_set():
            time.sleep(0.25)  # let the device play out its last buffer
    finally:
        for controller in reversed(started_controllers):
            with contextlib.suppress(Exception):
                controller.close()
        output.close()
    if player.failure is not None:
        raise AudioError(f"playback stopped: {player.failure}")
    return player


def _loop(player: Player, ahead: Ahead, read_key, show, started: float, console: Console, plain: bool) -> None:
    last_chapter = -1
    last_note = None
    announced = False
    while not player.finished.is_set():
        key = read_key(0.1)
        if key is not None:
            steer(player, command_for_key(key) or "key")
            if player.finished.is_set():
                break
        if ahead.error is not None:
            player.quit()
            raise ahead.error
        status = player.status()
        if not status.paused and not status.waiting and time.monotonic() - player.last_pull > 3.0:
            player.quit()
            raise AudioError("the audio device stopped taking sound (was it unplugged or taken by another program?)")
        if plain:
            if not announced and player.first_sound is not None:
                announced = True
                console.print(f"first sound after {player.first_sound - started:.2f}s", markup=False)
            if status.chapter != last_chapter:
                last_chapter = status.chapter
                nxt = f"  (next: {status.next_step})" if status.next_step else ""
                console.print(f"{format_clock(status.position)}  {status.chapter_title}{nxt}", markup=False)
            if status.note != last_note:
                last_note = status.note
                if status.note:
                    console.print(f"{format_clock(status.position)}  {status.note}", markup=False)
        elif show is not None:
            show(status)
    if plain:
        console.print(f"{format_clock(player.status().position)}  end", markup=False)
