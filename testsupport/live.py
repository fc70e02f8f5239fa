"""`voiceguide play` as the live tests run it: on a sink of its own on the private sound server
(testsupport/pulse.py), recorded from that sink's monitor, either unattended (stdin /dev/null,
output to a pipe) or in a pseudo-terminal with keys sent as typed; and `plan --json` of the same
routine, with the same engine, for the reference clips."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from pathlib import Path

import numpy as np

from testsupport import ROOT
from testsupport.cli import command, plan_json as cli_plan_json
from testsupport.pulse import Pulse, Recorder
from testsupport.terminal import Terminal

SHIPPED = ROOT / "scripts" / "two-minute-reset.yaml"  # the shipped routine, played live and in process


class Session:
    """`voiceguide play` on its own sink and recorder: unattended (stdin /dev/null, output to a pipe)
    or in a pseudo-terminal (testsupport.terminal.Terminal: stdin and stdout a tty, keys sent as typed)."""

    def __init__(self, pulse: Pulse, routine: Path, *args: str, cache: Path, tty: bool, tmp: Path):
        self.sink = pulse.new_sink()
        self.recorder = Recorder(pulse, self.sink, tmp / f"{self.sink}.wav")
        self.env = dict(pulse.env, PULSE_SINK=self.sink, VOICEGUIDE_CACHE_DIR=str(cache))
        cmd = command("play", str(routine), *with_engine(args))
        self.tty = tty
        self.err = bytearray()
        self.stdout_lines: list[tuple[float, str]] = []
        self.started = time.monotonic()
        self.term: Terminal | None = None
        if tty:
            self.term = Terminal(cmd, env=self.env, rows=30, cols=100)
            self.proc = self.term.proc
        else:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            threading.Thread(target=self._read_lines, daemon=True).start()
            threading.Thread(target=lambda: self.err.extend(self.proc.stderr.read()), daemon=True).start()
        self.ended: float | None = None
        self.audio: np.ndarray | None = None

    def _read_lines(self) -> None:
        for line in self.proc.stdout:
            self.stdout_lines.append((time.monotonic(), line.decode("utf-8", "replace").rstrip("\n")))

    # -- the terminal side
    def wait_for(self, pattern: str | re.Pattern, timeout: float = 20.0, check=None) -> tuple[re.Match, float]:
        """The first match (after the previous one) of `pattern` on the screen for which `check` holds,
        and when it was seen."""
        try:
            return self.term.wait_for(pattern, timeout, check)
        except AssertionError:
            self.kill()
            raise

    def send(self, key: str) -> float:
        return self.term.send(key)

    # -- the end
    def finish(self, timeout: float) -> np.ndarray:
        """Wait for the process to end; returns the recording."""
        if self.term is not None:
            try:
                self.term.wait(timeout)
            except AssertionError:
                self.kill()
                raise AssertionError(f"play did not end within {timeout:.0f}s")
            self.ended = self.term.ended
        else:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"play did not end within {timeout:.0f}s")
            self.ended = time.monotonic()
            time.sleep(0.1)  # the readers catch up
        self.audio = self.recorder.stop()
        return self.audio

    def kill(self) -> None:
        if self.term is not None:
            self.term.kill()
        elif self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.recorder.proc.poll() is None:
            self.recorder.proc.kill()
            self.recorder.proc.wait(10)

    @property
    def output(self) -> str:
        if self.term is not None:
            return self.term.text()
        return "\n".join(line for _, line in self.stdout_lines) + "\n" + self.err.decode("utf-8", "replace")

    def assert_clean_exit(self) -> None:
        assert self.proc.returncode == 0, self.output[-2000:]
        assert "Traceback" not in self.output and "internal error" not in self.output, self.output[-2000:]
        if self.term is not None:  # the terminal is restored: line editing and echo back on, the cursor shown again
            assert self.term.termios_after == self.term.termios_before
            assert self.term.raw.rfind(b"\x1b[?25h") > self.term.raw.rfind(b"\x1b[?25l")


def plan_json(pulse: Pulse, routine: Path, clips: Path, *args: str) -> dict:
    """`plan --json` of the routine with the engine its live session uses, on the clip cache `clips`."""
    return cli_plan_json(routine, *with_engine(args), env=dict(pulse.env, VOICEGUIDE_CACHE_DIR=str(clips)), timeout=120)


def with_engine(args: tuple[str, ...]) -> tuple[str, ...]:
    """The player's mechanics are tested with espeak-ng (quick and exact); the natural voice's own
    live start is tested on its own (test_natural_voice_cold_start)."""
    return args if "--engine" in args else (*args, "--engine", "espeak")

