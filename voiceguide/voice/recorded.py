"""Recorded cues: the user's own recordings of common phrases replace the synthetic voice.

A folder holds one sound file per phrase, named by the phrase: `breathe in.wav`,
`switch sides.wav`, `halfway.mp3` ... A recording replaces the speech engine for exactly
the utterances whose whole text is that phrase, compared case-insensitively, ignoring
surrounding whitespace, repeated spaces and trailing punctuation (so `Switch sides.`
and `switch sides!` both use `switch sides.wav`; `Switch sides slowly.` does not).

Each recording is decoded (WAV directly, anything else through ffmpeg), trimmed of its
leading and trailing silence (relative to its own level, so a quiet room's noise floor
is not taken for speech) and then goes through `process_clip`, like synthetic speech:
trimmed to its onset, levelled to SPEECH_LUFS under the same true-peak ceiling.

Two ways to use it:
- `Voice(..., cues=RecordedCues(folder))`: Voice.clip asks `lookup(text)` first;
- `CuedEngine(engine, cues)`: a wrapper Engine returning the recording from `synthesize`
  (Voice then runs process_clip on it); its version() carries the folder's fingerprint, so
  clips cached with other recordings (or none) are not reused.
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from pathlib import Path

import numpy as np

from .base import Engine, VoiceError, VoiceInfo
from .filefacts import hash_of_file

AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aif", ".aiff"})
CUE_FORMAT = 1  # bump when recordings are processed differently
TRIM_BELOW_PEAK_DB = 40.0  # frames this far under the loudest 10 ms frame count as silence
TRIM_FLOOR_DB = -60.0  # ... and never anything quieter than this (dBFS)
TRIM_KEEP = 0.010  # seconds kept before the first and after the last sounding frame


def phrase_key(text: str) -> str:
    """The form phrases are compared in: NFC, straight apostrophes, single spaces,
    no trailing punctuation, case-folded."""
    t = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\u2018", "'")
    t = " ".join(t.split())
    while t and (t[-1].isspace() or unicodedata.category(t[-1]).startswith("P")):
        t = t[:-1]
    return t.casefold()


def _trim_relative(x: np.ndarray, rate: int) -> np.ndarray:
    """Cut leading and trailing silence, judged against the recording's own loudest moment."""
    frame = max(1, int(0.010 * rate))
    n = x.size // frame
    if n == 0:
        return x
    rms = np.sqrt(np.mean(np.square(x[: n * frame].reshape(n, frame), dtype=np.float64), axis=1))
    peak = float(rms.max())
    if peak <= 0:
        return x[:0]
    threshold = max(peak * 10 ** (-TRIM_BELOW_PEAK_DB / 20), 10 ** (TRIM_FLOOR_DB / 20))
    loud = np.flatnonzero(rms >= threshold)
    keep = int(TRIM_KEEP * rate)
    return x[max(0, loud[0] * frame - keep) : min(x.size, (loud[-1] + 1) * frame + keep)]


class RecordedCues:
    """The recordings in a folder, by phrase."""

    def __init__(self, folder: Path):
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise VoiceError(f"{folder}: the recorded cues folder does not exist")
        self.folder = folder
        self._files: dict[str, Path] = {}
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in AUDIO_SUFFIXES or path.name.startswith(".") or not path.is_file():
                continue
            key = phrase_key(path.stem)
            if not key:
                continue
            if key in self._files:
                raise VoiceError(
                    f"{folder}: {self._files[key].name!r} and {path.name!r} are recordings of the same phrase; keep one"
                )
            self._files[key] = path
        self._clips: dict[str, np.ndarray] = {}
        self._raw: dict[str, np.ndarray] = {}
        self._hashes: dict[str, str] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._files)

    def __bool__(self) -> bool:
        return True  # an empty folder is still a chosen folder

    def phrases(self) -> list[str]:
        """The phrases recorded, as their files name them."""
        return [p.stem for p in self._files.values()]

    def match(self, text: str) -> Path | None:
        """The recording for exactly this utterance, if there is one."""
        return self._files.get(phrase_key(text))

    def raw(self, text: str) -> tuple[np.ndarray, int] | None:
        """The recording as int16 at the session rate, silence trimmed, peak at -1 dBFS (not yet levelled)."""
        from .. import dsp

        key = phrase_key(text)
        path = self._files.get(key)
        if path is None:
            return None
        with self._lock:
            if key in self._raw:
                return self._raw[key], dsp.RATE
        samples = self._decode(path)
        with self._lock:
            self._raw[key] = samples
        return samples, dsp.RATE

    def lookup(self, text: str) -> np.ndarray | None:
        """The finished clip for this utterance (int16 at the session rate, trimmed and levelled
        by process_clip), or None when no recording names it."""
        from . import process_clip

        key = phrase_key(text)
        if key not in self._files:
            return None
        with self._lock:
            if key in self._clips:
                return self._clips[key]
        raw, rate = self.raw(text)
        clip = process_clip(raw, rate)
        with self._lock:
            self._clips[key] = clip
        return clip

    def _decode(self, path: Path) -> np.ndarray:
        from .. import dsp
        from ..audiofile import decode
        from ..errors import VoiceguideError

        try:
            x = decode(path, dsp.RATE)
        except VoiceguideError as exc:
            raise VoiceError(f"recorded cue {path.name!r}: {exc}") from None
        x = np.asarray(x, dtype=np.float32)
        if x.size:
            x = x - np.float32(x.mean())  # no DC offset, so silence is silence
        x = _trim_relative(x, dsp.RATE)
        peak = float(np.abs(x).max()) if x.size else 0.0
        if peak < 10 ** (TRIM_FLOOR_DB / 20):
            raise VoiceError(f"recorded cue {path.name!r} is silent")
        x = x * np.float32(dsp.db_to_gain(-1.0) / peak)
        return dsp.to_int16(x)

    def fingerprint_for(self, text: str) -> str | None:
        """A hash of the recording used for this utterance (None when none is): a per-phrase cache key."""
        key = phrase_key(text)
        path = self._files.get(key)
        if path is None:
            return None
        with self._lock:
            if key not in self._hashes:
                self._hashes[key] = hash_of_file(path)
            return f"cue{CUE_FORMAT}-{self._hashes[key][:16]}"

    def fingerprint(self) -> str:
        """A hash of the whole folder's mapping and contents: changes when any recording does."""
        h = hashlib.sha256(f"cues {CUE_FORMAT}".encode())
        for key in sorted(self._files):
            h.update(key.encode("utf-8") + b"\0" + (self.fingerprint_for(key) or "").encode() + b"\0")
        return h.hexdigest()[:16]


class CuedEngine(Engine):
    """An Engine that speaks the recorded phrases from their recordings and the rest with `engine`."""

    def __init__(self, engine, cues: RecordedCues):
        self.inner = engine
        self.cues = cues
        self.name = engine.name
        self.workers = engine.workers
        self.loads_a_model = engine.loads_a_model

    def version(self) -> str:
        return f"{self.inner.version()} + recorded cues {self.cues.fingerprint()}"

    def voices(self) -> list[VoiceInfo]:
        return self.inner.voices()

    def resolve_voice(self, wanted: str | None, language: str) -> str:
        return self.inner.resolve_voice(wanted, language)

    def synthesize(self, text: str, voice: str, wpm: float) -> tuple[np.ndarray, int]:
        recorded = self.cues.raw(text)
        if recorded is not None:
            return recorded
        return self.inner.synthesize(text, voice, wpm)

    def synthesize_pieces(self, text: str, voice: str, wpm: float):
        recorded = self.cues.raw(text)
        if recorded is not None:
            return [lambda: recorded[0]], recorded[1]
        return self.inner.synthesize_pieces(text, voice, wpm)

    def load(self, voice: str, *, live: bool = False) -> None:
        self.inner.load(voice, live=live)
