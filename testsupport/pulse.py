"""A private PulseAudio server for the tests that play live: null sinks to play to and record from,
and when a program's first sound reached its sink, on the recording's own clock.

Shared by the live tests (the `pulse` fixture in tests/conftest.py starts one server per test
module) and benchmarks/bench_voice.py and bench_listen.py, so that "when did the first sound reach
the device" is measured the same way for every program.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
import wave
from pathlib import Path
from typing import Callable

import numpy as np

from voiceguide import dsp

RATE = dsp.RATE
TOOLS = ("pulseaudio", "parecord", "parec", "pactl")
MISSING_TOOLS = (
    "the live tests need a PulseAudio server and its tools ({missing} not found): "
    "sudo apt-get install pulseaudio pulseaudio-utils (./dev test installs them)"
)


# ------------------------------------------------------------------ the sound server


def missing_tools() -> list[str]:
    """The PulseAudio programs this module needs that are not installed."""
    import shutil

    return [t for t in TOOLS if shutil.which(t) is None]


class Pulse:
    """A private PulseAudio daemon (a temp dir as runtime dir and home) with null sinks to record."""

    def __init__(self, root: Path):
        self.root = root
        self.log = root / "pulseaudio.log"
        # not the suite's cache folder (tests/conftest.py): a test names its own, and one that does not
        # gets the private HOME's, as before
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_") and k != "VOICEGUIDE_CACHE_DIR"}
        self.env.update(
            XDG_RUNTIME_DIR=str(root), HOME=str(root), PULSE_SERVER=f"unix:{root}/native", TERM="xterm"
        )
        self.env.pop("COLUMNS", None)
        self.env.pop("LINES", None)
        self._names = itertools.count(1)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                # --disable-shm: audio goes over the socket, not shared memory; with memfd blocks the
                # daemon aborted mid-suite (memblock.c: n_imported assertion, pulseaudio issue 824)
                ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "--use-pid-file=no",
                 "--disable-shm=yes",
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


# ------------------------------------------------------------------ time to the first sound


class MonitorRecording:
    """parec of a sink's monitor into a raw file. `now()` is the number of samples recorded so far:
    a moment on the recording's own clock, to compare with where a sound appears in it."""

    def __init__(self, server: Pulse, sink: str, path: Path):
        self.server, self.path = server, path
        with open(path, "wb") as out:
            self.proc = subprocess.Popen(
                ["parec", f"--device={sink}.monitor", f"--rate={RATE}", "--channels=1", "--format=s16le",
                 "--latency-msec=10"],
                env=server.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE,
            )
        deadline = time.monotonic() + 10
        while self.now() < RATE // 10:  # the monitor sends silence at once: wait until it flows
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"parec records nothing: {self.proc.stderr.read().decode()}")
            time.sleep(0.01)

    def now(self) -> int:
        try:
            return self.path.stat().st_size // 2
        except FileNotFoundError:
            return 0

    def audio(self) -> np.ndarray:
        return np.fromfile(self.path, dtype="<i2").astype(np.float32) / 32768.0

    def first_sound_after(self, sample: int, level: float = 0.01) -> float | None:
        """Seconds from `sample` to the first sample louder than `level` (None: silence so far)."""
        audio = self.audio()[sample:]
        loud = np.flatnonzero(np.abs(audio) > level)
        return float(loud[0]) / RATE if loud.size else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


BARE_PROGRAM = """
import math, signal, sys, time
import miniaudio
signal.signal(signal.SIGINT, signal.SIG_DFL)  # stopped by SIGINT at once: a KeyboardInterrupt here left
# miniaudio's device thread holding the process for the 15 s until it was killed
from voiceguide.live.output import BUFFER_MS  # the same device buffer as voiceguide's player
rate = int(sys.argv[1])
def tone():
    frames, n = (yield b""), 0
    while True:
        out = bytearray()
        for i in range(frames):
            out += int(8000 * math.sin(2 * math.pi * 440 * (n + i) / rate)).to_bytes(2, "little", signed=True)
        n += frames
        frames = yield bytes(out)
gen = tone(); next(gen)
device = miniaudio.PlaybackDevice(output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=rate,
                                  buffersize_msec=BUFFER_MS, app_name="bare")
device.start(gen)
time.sleep(1.5)
device.close()
"""


def clips_cached(cache: Path) -> Callable[[], bool]:
    """True once a clip cache (VOICEGUIDE_CACHE_DIR) holds a clip: `time_to_first_sound`'s `until`."""
    return lambda: any((cache / "clips").glob("*/*.wav"))


def time_to_first_sound(server: Pulse, argv: list[str], env: dict, tmp: Path, timeout: float = 60.0,
                        cwd: Path | None = None, until: Callable[[], bool] | None = None) -> float:
    """Seconds from launching `argv` (playing to a fresh null sink of its own) to its first sound on
    that sink, on the recording's clock. Once heard, the program runs on until `until()` holds (say,
    until its first clips are in the cache, as in any real session; `clips_cached`), within the same
    `timeout`, and is then stopped: a wait for an event, not for a time a slower machine may need
    more of."""
    sink = server.new_sink()
    rec = MonitorRecording(server, sink, tmp / f"{sink}.raw")
    try:
        env = dict(env, **server.env, PULSE_SINK=sink)
        launched = rec.now()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + timeout
        heard = None
        while heard is None and time.monotonic() < deadline:
            time.sleep(0.05)
            heard = rec.first_sound_after(launched)
            if heard is None and proc.poll() is not None:
                break
        while heard is not None and until is not None and not until() and proc.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
        if heard is None:
            raise RuntimeError(f"{argv[-1]} made no sound within {timeout:g}s: {err.decode()[-1500:]}")
        return heard
    finally:
        rec.stop()
