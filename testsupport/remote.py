"""`voiceguide play --remote` as the remote tests run it: unattended with stdout a pipe, on a sink of
its own and recorded from the start (RemoteSession), or in a pseudo-terminal, where the floor view
takes the screen once the phone opens the page or a key is pressed (TerminalSession)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import threading
from pathlib import Path

from testsupport import ROOT
from testsupport.cli import command
from testsupport.pulse import MonitorRecording
from testsupport.terminal import ALT_SCREEN, Terminal

URL_LINE = re.compile(r"Remote: (http://127\.0\.0\.1:(\d+)/)")


class RemoteSession:
    """`voiceguide play ROUTINE --remote --host 127.0.0.1 --port 0` unattended (stdout a pipe), on a
    sink of its own, recorded from the start."""

    def __init__(self, pulse, routine: Path, *args: str, cache: Path, tmp: Path):
        self.sink = pulse.new_sink()
        self.rec = MonitorRecording(pulse, self.sink, tmp / f"{self.sink}.raw")
        env = dict(pulse.env, PULSE_SINK=self.sink, VOICEGUIDE_CACHE_DIR=str(cache))
        cmd = command("play", str(routine), "--engine", "espeak", *args, "--remote", "--host", "127.0.0.1", "--port", "0")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.lines: list[str] = []
        self.err = bytearray()
        self._have_url = threading.Event()
        threading.Thread(target=self._read_lines, daemon=True).start()
        threading.Thread(target=lambda: self.err.extend(self.proc.stderr.read()), daemon=True).start()
        if not self._have_url.wait(60):
            self.kill()
            raise AssertionError(f"no remote address printed: {self.output}")
        m = URL_LINE.search("\n".join(self.lines))
        self.url, self.port = m.group(1), int(m.group(2))

    def _read_lines(self) -> None:
        for raw in self.proc.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
            if URL_LINE.search(self.lines[-1]):
                self._have_url.set()
        self._have_url.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines) + "\n" + self.err.decode("utf-8", "replace")

    def request(self, method: str, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def state(self) -> dict:
        status, _, body = self.request("GET", "/state.json")
        assert status == 200
        return json.loads(body)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"play did not end within {timeout:g}s: {self.output[-1500:]}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.rec.stop()


class TerminalSession(Terminal):
    """`voiceguide play ROUTINE --remote` in a pseudo-terminal: the floor view, keys as typed."""

    def __init__(self, pulse, cache: Path, routine: Path):
        env = dict(pulse.env, PULSE_SINK=pulse.new_sink(), VOICEGUIDE_CACHE_DIR=str(cache))
        super().__init__(command("play", str(routine), "--engine", "espeak", "--remote", "--host", "127.0.0.1",
                                 "--port", "0"), env=env)

    def port(self, timeout: float = 60) -> int:
        """The remote's port, once the session waits for the phone to open the page (or a key)."""
        self.wait_bytes(b"begins when your phone opens the page", timeout)
        assert ALT_SCREEN not in self.raw  # nothing covers the QR code yet
        return int(re.search(rb"Remote: http://127\.0\.0\.1:(\d+)/", self.raw).group(1))

    def floor_view(self, timeout: float = 30) -> None:
        self.wait_bytes(ALT_SCREEN, timeout)

    def close(self) -> None:
        self.kill()
