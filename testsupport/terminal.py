"""A program driven as a person at a terminal would: in a pseudo-terminal (`Terminal`: every byte it
writes, keys as typed, the terminal's modes before and after), or in a detached tmux of a fixed size
(`TmuxScreen`: the screen as drawn, read with `tmux capture-pane`). Every wait is a poll with a
deadline, and says what it never saw."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shlex
import signal
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path

from testsupport import ROOT

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]")
ALT_SCREEN = b"\x1b[?1049h"  # a full-screen view takes the terminal


class Terminal:
    """`argv` in a pseudo-terminal of its own (`rows` x `cols`, when given), in a session of its own."""

    def __init__(self, argv: list[str], *, env: dict, cwd: Path = ROOT, rows: int | None = None,
                 cols: int | None = None):
        self.master, self.slave = pty.openpty()
        if rows and cols:
            fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.termios_before = termios.tcgetattr(self.slave)
        self.termios_after: list | None = None
        self.ended: float | None = None  # when the program was seen to end (monotonic clock)
        self.raw = bytearray()
        self._seen = 0
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=self.slave, stdout=self.slave,
                                     stderr=self.slave, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.raw.extend(data)

    def text(self) -> str:
        """Everything the program wrote to the terminal, without escape sequences."""
        return ANSI.sub(b"", bytes(self.raw)).decode("utf-8", "replace")

    def after(self, marker: bytes) -> bytes:
        """What was written from the first `marker` on (b'' until it appears)."""
        raw = bytes(self.raw)
        return raw[raw.index(marker):] if marker in raw else b""

    def wait_for(self, pattern: str | re.Pattern, timeout: float = 20.0, check=None) -> tuple[re.Match, float]:
        """The first match (after the previous one) of `pattern` in `text()` for which `check` holds,
        and when it was seen. The program is killed if it never comes."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            text = self.text()
            for m in rx.finditer(text, self._seen):
                if check is None or check(m):
                    self._seen = m.end()
                    return m, now
            if self.proc.poll() is not None or now > deadline:
                self.kill()
                raise AssertionError(f"never saw {rx.pattern!r} on the screen; it shows:\n{text[-1500:]}")
            time.sleep(0.01)

    def wait_bytes(self, marker: bytes, timeout: float = 30.0, after: bytes | None = None,
                   interval: float = 0.05) -> float:
        """When `marker` was first written (after the first `after`, if given)."""
        deadline = time.monotonic() + timeout
        while marker not in (self.after(after) if after else self.raw):
            assert time.monotonic() < deadline and self.proc.poll() is None, \
                f"never saw {marker!r}; the terminal shows:\n{self.text()[-1500:]}"
            time.sleep(interval)
        return time.monotonic()

    def send(self, keys: str | bytes) -> float:
        os.write(self.master, keys.encode() if isinstance(keys, str) else keys)
        return time.monotonic()

    def wait(self, timeout: float) -> int:
        """The exit code, once the program has ended (killed and failed after `timeout`)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the program did not end within {timeout:g}s:\n{self.text()[-1500:]}")
        self.ended = time.monotonic()
        time.sleep(0.1)  # the reader catches up
        self.termios_after = termios.tcgetattr(self.slave)
        self.close_fds()
        return code

    def restored(self) -> bool:
        """Whether the program left the terminal as it found it: its modes, and the cursor shown."""
        return self.termios_after == self.termios_before and self.raw.rfind(b"\x1b[?25h") >= self.raw.rfind(b"\x1b[?25l")

    def close_fds(self) -> None:
        for fd in (self.slave, self.master):
            try:
                os.close(fd)
            except OSError:
                pass
        self.slave = self.master = -1

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.close_fds()


class TmuxScreen:
    """`argv` in a detached tmux of its own (own socket) of `width` x `height`; `capture()` is the
    screen as drawn. Its exit code and stderr go to files in `tmp`."""

    def __init__(self, argv: list[str], *, env: dict, tmp: Path, width: int, height: int, name: str = "vg"):
        self.socket, self.rc, self.err, self.name = tmp / "tmux.sock", tmp / "rc", tmp / "stderr", name
        command = f"{shlex.join(argv)} 2>{shlex.quote(str(self.err))}; echo $? >{shlex.quote(str(self.rc))}"
        self.tmux("new-session", "-d", "-x", str(width), "-y", str(height), "-s", name, command, env=env)
        self.captures: list[str] = []

    def tmux(self, *args: str, env: dict | None = None) -> str:
        proc = subprocess.run(["tmux", "-S", str(self.socket), "-f", "/dev/null", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=20)
        assert proc.returncode == 0 or self.ended(), f"tmux {args[0]}: {proc.stderr}"
        return proc.stdout

    def capture(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def resize(self, width: int, height: int) -> None:
        self.tmux("resize-window", "-t", self.name, "-x", str(width), "-y", str(height))

    def until(self, what: str, check, timeout: float = 30.0) -> str:
        """The first screen for which `check` holds, polled until the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.capture()
            self.captures.append(screen)
            if check(screen):
                return screen
            assert not self.ended(), f"the program ended before {what}: {self.stderr()}\n{screen}"
            assert time.monotonic() < deadline, f"never saw {what}; the screen:\n{screen}"
            time.sleep(0.05)

    def ended(self) -> bool:
        return self.rc.exists() and self.rc.read_text().strip() != ""

    def stderr(self) -> str:
        return self.err.read_text() if self.err.exists() else ""

    def quit(self, key: str = "q", timeout: float = 10.0) -> int:
        self.send(key)
        deadline = time.monotonic() + timeout
        while not self.ended():
            assert time.monotonic() < deadline, f"the program did not end after {key}"
            time.sleep(0.05)
        return int(self.rc.read_text())

    def close(self) -> None:
        subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], capture_output=True, timeout=20)
