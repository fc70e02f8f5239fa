"""Text-to-speech engines behind one small interface.

- `espeak`: espeak-ng called directly, one process per utterance, text on stdin
  (so narration is never taken as an option), deterministic output.
- `pyttsx3`: the cross-platform engine (SAPI5 on Windows, NSSpeechSynthesizer on
  macOS, espeak on Linux), hardened: one engine on one thread, one file per
  utterance, the file checked complete before it is used, its prints swallowed.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import VoiceguideError


class VoiceError(VoiceguideError):
    pass


@dataclass(frozen=True)
class VoiceInfo:
    id: str  # what --voice accepts
    name: str
    language: str
    gender: str = ""
    engine: str = ""


class Engine(Protocol):
    name: str

    def version(self) -> str: ...

    def voices(self) -> list[VoiceInfo]: ...

    def resolve_voice(self, wanted: str | None, language: str) -> str: ...

    def synthesize(self, text: str, voice: str, wpm: float) -> tuple[np.ndarray, int]:
        """int16 mono samples and their sample rate."""
        ...


def _suggest(wanted: str, candidates: list[str]) -> str:
    near = difflib.get_close_matches(wanted.lower(), [c.lower() for c in candidates], n=5, cutoff=0.4)
    lookup = {c.lower(): c for c in candidates}
    return ", ".join(lookup[n] for n in near) if near else ""


def _unknown_voice(wanted: str, candidates: list[str], engine: str) -> VoiceError:
    near = _suggest(wanted, candidates)
    hint = f"; closest: {near}" if near else ""
    return VoiceError(f"unknown voice {wanted!r} for the {engine} engine{hint} (see: voiceguide voices)")


def parse_wav_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """PCM s16 mono from a WAV in memory; tolerates the placeholder sizes espeak-ng writes to a pipe."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise VoiceError("the speech engine returned no audio")
    pos, rate, channels, bits = 12, 22050, 1, 16
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = pos + 8
        if cid == b"fmt ":
            channels = int.from_bytes(data[body + 2 : body + 4], "little")
            rate = int.from_bytes(data[body + 4 : body + 8], "little")
            bits = int.from_bytes(data[body + 14 : body + 16], "little")
        elif cid == b"data":
            pcm = data[body:]
            if size < len(pcm):
                pcm = pcm[:size]
            break
        pos = body + size + (size & 1)
    else:
        raise VoiceError("the speech engine returned a WAV without audio data")
    if bits != 16:
        raise VoiceError(f"the speech engine returned {bits}-bit audio; expected 16-bit")
    pcm = pcm[: len(pcm) // (2 * channels) * 2 * channels]
    samples = np.frombuffer(pcm, dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return samples.astype(np.int16), rate


# ------------------------------------------------------------------ espeak-ng


GENDERS = {"female": "f3", "woman": "f3", "f": "f3", "male": "m3", "man": "m3", "m": "m3"}

ESPEAK_MIN_WPM = 80  # espeak-ng speaks no slower than this; slower speech gets longer gaps between words


class Espeak:
    name = "espeak"

    def __init__(self, binary: str | None = None):
        found = binary or shutil.which("espeak-ng") or shutil.which("espeak")
        if found is None:
            raise VoiceError(
                "espeak-ng was not found; install it (Debian/Ubuntu: sudo apt-get install espeak-ng; "
                "macOS: brew install espeak-ng) or choose --engine pyttsx3"
            )
        self.binary = found

    def _run(self, args: list[str], text: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(
                [self.binary, *args],
                input=text.encode("utf-8") if text is not None else None,
                capture_output=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise VoiceError(f"espeak-ng did not finish within {timeout:g}s") from None
        except OSError as exc:
            raise VoiceError(f"cannot run espeak-ng: {exc.strerror or exc}") from None

    @cached_property
    def _version(self) -> str:
        out = self._run(["--version"]).stdout.decode("utf-8", "replace")
        m = re.search(r"text-to-speech:\s*(\S+)", out)
        return f"espeak-ng {m.group(1) if m else out.strip()[:40]}"

    def version(self) -> str:
        return self._version

    @cached_property
    def _voice_table(self) -> list[VoiceInfo]:
        out = self._run(["--voices"]).stdout.decode("utf-8", "replace").splitlines()
        voices = []
        for line in out[1:]:
            cols = line.split()
            if len(cols) < 5 or cols[4].startswith("mb/"):
                continue  # mbrola voices need the separate mbrola program
            gender = {"M": "male", "F": "female"}.get(cols[2].split("/")[-1], "")
            voices.append(VoiceInfo(cols[1], cols[3].replace("_", " "), cols[1], gender, self.name))
        return voices

    @cached_property
    def _variants(self) -> dict[str, str]:
        out = self._run(["--voices=variant"]).stdout.decode("utf-8", "replace").splitlines()
        variants = {}
        for line in out[1:]:
            cols = line.split()
            if len(cols) >= 5 and cols[4].startswith("!v/"):
                variants[cols[4][3:].lower()] = cols[4][3:]
                variants[cols[3].lower()] = cols[4][3:]
        return variants

    def voices(self) -> list[VoiceInfo]:
        return list(self._voice_table)

    def resolve_voice(self, wanted: str | None, language: str) -> str:
        """An espeak-ng voice argument (`en-us`, `en-us+f3`) from an id, a name, a language or a variant."""
        table = self._voice_table
        if not wanted:
            lang = (language or "en").lower()
            wanted = "en-us" if lang == "en" else lang
        wanted = wanted.strip()
        if wanted.startswith("-") or not re.fullmatch(r"[\w().+/ -]+", wanted):
            raise VoiceError(f"{wanted!r} is not a voice name")
        gender = GENDERS.get(wanted.lower())
        if gender:  # "female" / "male": the language's voice with a variant of that gender
            lang = (language or "en").lower()
            return self.resolve_voice(f"{'en-us' if lang == 'en' else lang}+{gender}", language)
        base, _, variant = wanted.partition("+")
        key = base.strip().lower().replace("_", " ")
        match = None
        for v in table:
            if key in (v.id.lower(), v.name.lower()):
                match = v.id
                break
        if match is None:
            # a bare language such as "de" or "en-gb": the best voice for it
            langs = [v.id for v in table if v.id.lower().startswith(key + "-") or v.id.lower() == key]
            match = langs[0] if langs else None
        if match is None:
            raise _unknown_voice(wanted, [v.id for v in table] + [v.name for v in table], "espeak")
        if variant:
            real = self._variants.get(variant.strip().lower())
            if real is None:
                raise _unknown_voice(variant, sorted(set(self._variants.values())), "espeak (variant)")
            return f"{match}+{real}"
        return match

    def synthesize(self, text: str, voice: str, wpm: float) -> tuple[np.ndarray, int]:
        speed = max(ESPEAK_MIN_WPM, int(round(wpm)))
        args = ["-v", voice, "-s", str(speed), "-a", "100", "-z", "--stdout", "--stdin"]
        if wpm < ESPEAK_MIN_WPM:
            # slower than the engine goes: lengthen the gap between words (units of 10 ms)
            gap = 60.0 / wpm - 60.0 / ESPEAK_MIN_WPM
            args[0:0] = ["-g", str(int(round(gap * 100)))]
        proc = self._run(args, text)
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip()
            raise VoiceError(f"espeak-ng failed for voice {voice!r}: {err or f'exit {proc.returncode}'}")
        return parse_wav_bytes(proc.stdout)


# ------------------------------------------------------------------ pyttsx3


class Pyttsx3:
    """pyttsx3 driven from a single dedicated thread, one utterance and one file at a time."""

    name = "pyttsx3"
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
        raise _unknown_voice(wanted, [v.id for v in voices] + [v.name for v in voices], "pyttsx3")

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


# ------------------------------------------------------------------ choosing


ENGINES = ("auto", "espeak", "pyttsx3", "piper")


def get_engine(name: str = "auto") -> Engine:
    """The named engine, or for `auto` the best one present (espeak-ng on Linux, pyttsx3 elsewhere)."""
    name = (name or "auto").lower()
    if name == "espeak":
        return Espeak()
    if name == "pyttsx3":
        return Pyttsx3()
    if name == "piper":
        from .piper import Piper  # optional extra (GPL): imported only when asked for

        return Piper()
    if name != "auto":
        raise VoiceError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    order = (Espeak, Pyttsx3) if sys.platform.startswith("linux") else (Pyttsx3, Espeak)
    problems = []
    for cls in order:
        try:
            return cls()
        except VoiceError as exc:
            problems.append(str(exc))
    raise VoiceError(
        "no text-to-speech engine is available: install espeak-ng (Debian/Ubuntu: sudo apt-get install espeak-ng) "
        "or pyttsx3 (pip install pyttsx3). Details: " + " | ".join(problems)
    )
