"""A private PulseAudio server for the tests that play live: null sinks to play to and record from.

Shared by tests/test_live.py and tests/test_floor.py; the `pulse` and `cache` fixtures in conftest.py
start one server (and one clip cache) per test module.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
import wave
from pathlib import Path

import numpy as np

from voiceguide import dsp

RATE = dsp.RATE
TOOLS = ("pulseaudio", "parecord", "pactl")
MISSING_TOOLS = (
    "the live tests need a PulseAudio server and its tools ({missing} not found): "
    "sudo apt-get install pulseaudio pulseaudio-utils (./dev test installs them)"
)


# ------------------------------------------------------------------ the sound server


class Pulse:
    """A private PulseAudio daemon (a temp dir as runtime dir and home) with null sinks to record."""

    def __init__(self, root: Path):
        self.root = root
        self.log = root / "pulseaudio.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
        self.env.update(
            XDG_RUNTIME_DIR=str(root), HOME=str(root), PULSE_SERVER=f"unix:{root}/native", TERM="xterm"
        )
        self.env.pop("COLUMNS", None)
        self.env.pop("LINES", None)
        self._names = itertools.count(1)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "--use-pid-file=no",
                 "-L", f"module-native-protocol-unix socket={root}/native",
                 "-L", f"module-null-sink sink_name=vgtest rate={RATE} channels=1",
                 "--log-target=stderr"],
                env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            )
        deadline = time.monotonic() + 15
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pulseaudio exited ({self.proc.returncode}): {self.log.read_text()[-2000:]}")
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0:
                break
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"pulseaudio did not come up: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)
        self.pactl("set-default-sink", "vgtest")

    def pactl(self, *args: str) -> str:
        proc = subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True, timeout=20)
        assert proc.returncode == 0, f"pactl {' '.join(args)}: {proc.stderr}"
        return proc.stdout.strip()

    def new_sink(self) -> str:
        """A fresh null sink of its own, so that sessions (and their recordings) never mix."""
        name = f"vgsink{next(self._names)}"
        self.pactl("load-module", "module-null-sink", f"sink_name={name}", f"rate={RATE}", "channels=1")
        return name

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class Recorder:
    """parecord on a sink's monitor; stop() ends it with SIGINT (so the WAV is finalised) and reads it."""

    def __init__(self, pulse: Pulse, sink: str, path: Path):
        self.path = path
        self.proc = subprocess.Popen(
            ["parecord", f"--device={sink}.monitor", f"--rate={RATE}", "--channels=1", "--format=s16le",
             "--file-format=wav", str(path)],
            env=pulse.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10  # the monitor sends silence at once: wait until it arrives
        while not (path.exists() and path.stat().st_size > 4000):
            assert self.proc.poll() is None, f"parecord failed: {self.proc.stderr.read().decode()}"
            assert time.monotonic() < deadline, "parecord records nothing"
            time.sleep(0.02)

    def stop(self) -> np.ndarray:
        time.sleep(0.5)  # the last sound is still on its way through the sink
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        with wave.open(str(self.path)) as w:
            assert w.getframerate() == RATE and w.getnchannels() == 1
            data = w.readframes(w.getnframes())
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
