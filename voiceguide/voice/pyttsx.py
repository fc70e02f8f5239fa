"""pyttsx3, the cross-platform engine (SAPI5 on Windows, NSSpeechSynthesizer on macOS, espeak on
Linux), hardened: one engine on one thread, one file per utterance, the file checked complete
before it is used, its prints swallowed."""

from __future__ import annotations

import contextlib
import io
import os
import queue
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from .base import GENDERS, Engine, VoiceError, VoiceInfo, parse_wav_bytes, unknown_voice

class Pyttsx3(Engine):
    """pyttsx3 driven from a single dedicated thread, one utterance and one file at a time."""

    name = "pyttsx3"
    workers = 1  # one engine on one thread
    TIMEOUT = 60.0

    def __init__(self):
        try:
            import pyttsx3  # noqa: F401
        except ImportError:
            raise VoiceError("pyttsx3 is not installed (pip install pyttsx3)") from None
        self._jobs: queue.Queue = queue.Queue()
        self._ready = threading.Event()
        self._init_error: BaseException | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._worker, name="pyttsx3", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._init_error is not None:
            raise VoiceError(f"pyttsx3 could not start: {self._init_error}")

    def _worker(self) -> None:
        import pyttsx3

        try:
            with contextlib.redirect_stdout(io.StringIO()):
                self._engine = pyttsx3.init()
            self._driver = type(self._engine.proxy._driver).__module__.rsplit(".", 1)[-1]
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            self._init_error = exc
            self._ready.set()
            return
        self._ready.set()
        while True:
            fn, box, done = self._jobs.get()
            try:
                box.append(fn(self._engine))
            except BaseException as exc:  # noqa: BLE001 - reported to the caller
                box.append(exc)
            done.set()

    def _call(self, fn, timeout: float | None = None):
        box: list = []
        done = threading.Event()
        with self._lock:
            self._jobs.put((fn, box, done))
            if not done.wait(timeout or self.TIMEOUT):
                raise VoiceError("pyttsx3 stopped answering (a known pyttsx3 hang); try --engine espeak")
        if isinstance(box[0], BaseException):
            raise VoiceError(f"pyttsx3 failed: {box[0]}")
        return box[0]

    def version(self) -> str:
        import pyttsx3

        version = getattr(pyttsx3, "__version__", None)
        if version is None:
            from importlib.metadata import version as dist_version

            version = dist_version("pyttsx3")
        return f"pyttsx3 {version} {self._driver} {sys.platform}"

    def voices(self) -> list[VoiceInfo]:
        def fetch(engine):
            out = []
            for v in engine.getProperty("voices"):
                langs = [lang.decode() if isinstance(lang, bytes) else str(lang) for lang in (v.languages or [])]
                lang = langs[0] if langs else ""
                out.append(VoiceInfo(str(v.id), str(v.name), lang, str(v.gender or "").lower(), self.name))
            return out

        return self._call(fetch)

    def resolve_voice(self, wanted: str | None, language: str) -> str:
        voices = self.voices()
        if not wanted:
            lang = (language or "en").lower()
            for v in voices:
                if v.language.lower().replace("_", "-").startswith(lang):
                    return v.id
            return voices[0].id if voices else ""
        w = wanted.strip().lower()
        if w in GENDERS:
            want = "female" if GENDERS[w].startswith("f") else "male"
            lang = (language or "en").lower()
            same = [v for v in voices if v.gender.startswith(want)]
            for v in same:
                if v.language.lower().replace("_", "-").startswith(lang):
                    return v.id
            if same:
                return same[0].id
        for v in voices:
            if w in (v.id.lower(), v.name.lower(), v.id.lower().rsplit("/", 1)[-1]):
                return v.id
        for v in voices:
            if v.language.lower().replace("_", "-") == w:
                return v.id
        raise unknown_voice(wanted, [v.id for v in voices] + [v.name for v in voices], "pyttsx3")

    def synthesize(self, text: str, voice: str, wpm: float) -> tuple[np.ndarray, int]:
        fd, tmp = tempfile.mkstemp(prefix="voiceguide-", suffix=".wav")
        os.close(fd)
        os.unlink(tmp)  # the engine creates it; its appearance is how we know it started
        path = Path(tmp)

        def speak(engine):
            if voice:
                engine.setProperty("voice", voice)
            engine.setProperty("rate", int(round(wpm)))
            engine.setProperty("volume", 1.0)
            with contextlib.redirect_stdout(io.StringIO()):
                engine.save_to_file(text, str(path))
                engine.runAndWait()

        try:
            self._call(speak)
            data = self._wait_complete(path)
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
        if data[:4] == b"RIFF":
            return parse_wav_bytes(data)
        from ..audiofile import decode_bytes  # AIFF on macOS: let ffmpeg read it

        return decode_bytes(data)

    def _wait_complete(self, path: Path) -> bytes:
        """pyttsx3 can return before the file is written: wait until it exists and stops growing."""
        deadline = time.monotonic() + self.TIMEOUT
        last = -1
        while time.monotonic() < deadline:
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                size = -1
            if size > 44 and size == last:
                return path.read_bytes()
            last = size
            time.sleep(0.02)
        raise VoiceError("pyttsx3 did not write the audio file (a known pyttsx3 problem); try --engine espeak")
