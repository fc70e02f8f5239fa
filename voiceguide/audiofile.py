"""Small facts about audio files on disk: their length, without decoding them twice."""

from __future__ import annotations

import json
import shutil
import subprocess
import wave
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import VoiceguideError

if TYPE_CHECKING:
    import numpy as np


def ffmpeg_binary(name: str = "ffmpeg") -> str:
    """ffmpeg (or ffprobe) from PATH; else the ffmpeg bundled by the imageio-ffmpeg package
    (`pip install voiceguide[ffmpeg]`); else a clear error naming what to install."""
    found = shutil.which(name)
    if found is None and name == "ffmpeg":
        try:
            import imageio_ffmpeg

            found = imageio_ffmpeg.get_ffmpeg_exe()
        except Exception:  # not installed, or no binary for this platform
            found = None
    if found is None:
        raise VoiceguideError(
            f"{name} was not found; install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg; "
            "macOS: brew install ffmpeg; Windows: winget install ffmpeg) or pip install 'voiceguide[ffmpeg]'"
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
    if shutil.which("ffprobe") is None:  # e.g. only a bundled ffmpeg: decode and count
        return _decoded_length(p)
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


def _decoded_length(path: Path) -> float:
    from .dsp import RATE

    return decode(path, RATE).size / RATE


def audio_length(path: Path) -> float:
    """Length in seconds of a sound file (WAV read directly, anything else through ffprobe)."""
    try:
        st = path.stat()
    except OSError as exc:
        raise VoiceguideError(f"{path}: cannot read this sound file ({exc.strerror})") from None
    return _length_cached(str(path), st.st_mtime_ns, st.st_size)


def _decode_with_ffmpeg(args_in: list[str], data: bytes | None, rate: int) -> "np.ndarray":
    import numpy as np

    proc = subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-nostdin" if data is None else "-hide_banner", *args_in,
         "-f", "s16le", "-ac", "1", "-ar", str(rate), "pipe:1"],
        input=data,
        capture_output=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise VoiceguideError(f"cannot decode audio: {proc.stderr.decode('utf-8', 'replace').strip()[:300]}")
    return np.frombuffer(proc.stdout, dtype="<i2").astype(np.float32) / 32768.0


def decode(path: Path, rate: int | None = None) -> "np.ndarray":
    """A sound file as mono float32 at the session rate (WAV read directly, anything else via ffmpeg)."""
    import numpy as np

    from .dsp import RATE, resample

    rate = rate or RATE
    if path.suffix.lower() == ".wav":
        try:
            with wave.open(str(path), "rb") as w:
                if w.getsampwidth() == 2:
                    raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
                    if w.getnchannels() > 1:
                        raw = raw.reshape(-1, w.getnchannels()).mean(axis=1)
                    return resample(raw, w.getframerate(), rate)
        except (wave.Error, EOFError):
            pass
        except OSError as exc:
            raise VoiceguideError(f"{path}: cannot read this sound file ({exc.strerror})") from None
    return _decode_with_ffmpeg(["-i", str(path)], None, rate)


def decode_bytes(data: bytes) -> "tuple[np.ndarray, int]":
    """Any audio in memory (e.g. AIFF from macOS speech) as int16 at the session rate."""
    import numpy as np

    from .dsp import RATE

    samples = _decode_with_ffmpeg(["-i", "pipe:0"], data, RATE)
    return np.clip(np.rint(samples * 32768.0), -32768, 32767).astype(np.int16), RATE


def write_wav(target, samples: "np.ndarray", rate: int) -> None:
    """Mono int16 samples as a WAV file, to a path or an open binary file (the caller makes it atomic)."""
    with wave.open(target if hasattr(target, "write") else str(target), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
