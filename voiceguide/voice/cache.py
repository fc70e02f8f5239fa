"""A content-addressed cache of rendered clips, shared safely between concurrent renders.

The key is a hash of everything that shapes a clip (text, engine and its version,
voice, rate, and the clip format version). Entries are WAV files written to a
temporary name and renamed into place, so a reader never sees half a file; a
truncated or corrupt entry is detected on read, removed and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import wave
from pathlib import Path

import numpy as np

from ..audiofile import write_wav

CLIP_FORMAT = 6  # bump when clip processing changes, so old entries are not reused (6: the polyphase resampler)


def default_cache_dir() -> Path:
    env = os.environ.get("VOICEGUIDE_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("voiceguide", appauthor=False))


def clip_key(*, text: str, engine: str, engine_version: str, voice: str, wpm: float, rate: int,
             gain_db: float = 0.0) -> str:
    fields = {
        "format": CLIP_FORMAT,
        "engine": engine,
        "engine_version": engine_version,
        "voice": voice,
        "wpm": round(float(wpm), 2),
        "rate": rate,
        "text": text,
    }
    if gain_db:  # a delivery's level (neutral clips keep the keys they always had)
        fields["gain_db"] = round(float(gain_db), 2)
    blob = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ClipCache:
    def __init__(self, root: Path | None = None):
        self.root = (root or default_cache_dir()) / "clips"

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def get(self, key: str, rate: int) -> np.ndarray | None:
        """The cached int16 samples, or None when absent or damaged (a damaged entry is removed)."""
        path = self.path(key)
        try:
            size = path.stat().st_size
            with wave.open(str(path), "rb") as w:
                ok = w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == rate
                frames = w.getnframes()
                ok = ok and size >= 44 + frames * 2
                data = w.readframes(frames) if ok else b""
            if ok and len(data) == frames * 2 and frames > 0:
                return np.frombuffer(data, dtype="<i2").astype(np.int16)
        except FileNotFoundError:
            return None
        except (OSError, wave.Error, EOFError, ValueError):
            pass
        with contextlib.suppress(OSError):
            path.unlink()
        return None

    def put(self, key: str, samples: np.ndarray, rate: int) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:8]}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                write_wav(f, samples, rate)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
