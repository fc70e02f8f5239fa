"""Small facts about audio files on disk: their length, without decoding them twice."""

from __future__ import annotations

import json
import shutil
import subprocess
import wave
from functools import lru_cache
from pathlib import Path

from .errors import VoiceguideError


def ffmpeg_binary(name: str = "ffmpeg") -> str:
    """ffmpeg/ffprobe from PATH; a clear error naming the package to install if missing."""
    found = shutil.which(name)
    if found is None:
        raise VoiceguideError(
            f"{name} was not found; install it (Debian/Ubuntu: sudo apt-get install ffmpeg; "
            "macOS: brew install ffmpeg; Windows: winget install ffmpeg)"
        )
    return found


@lru_cache(maxsize=512)
def _length_cached(path: str, mtime_ns: int, size: int) -> float:
    p = Path(path)
    if p.suffix.lower() == ".wav":
        try:
            with wave.open(str(p), "rb") as w:
                return w.getnframes() / float(w.getframerate())
        except (wave.Error, EOFError):
            pass  # not plain PCM: let ffprobe read it
    out = subprocess.run(
        [ffmpeg_binary("ffprobe"), "-v", "error", "-show_entries", "format=duration", "-of", "json", "--", str(p)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    try:
        return float(json.loads(out.stdout)["format"]["duration"])
    except (ValueError, KeyError, TypeError):
        raise VoiceguideError(f"{path}: cannot read this sound file ({out.stderr.strip() or 'unknown format'})") from None


def audio_length(path: Path) -> float:
    """Length in seconds of a sound file (WAV read directly, anything else through ffprobe)."""
    try:
        st = path.stat()
    except OSError as exc:
        raise VoiceguideError(f"{path}: cannot read this sound file ({exc.strerror})") from None
    return _length_cached(str(path), st.st_mtime_ns, st.st_size)
