"""Reading what voiceguide wrote or played: decode a file, read it with ffprobe, and find clips in a
recording (where a clip begins, where a planned speech event is heard) by cross-correlation."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import numpy as np

from voiceguide import dsp

RATE = dsp.RATE
# The null sink's monitor can lose the first moments of a new stream (up to ~0.2 s of a session's
# first words), so the first clip of a recording is matched with a lower threshold.
ANCHOR = 0.6


def decode(path: Path) -> np.ndarray:
    """Any audio file as mono float32 at the session rate, decoded by ffmpeg."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(dsp.RATE), "pipe:1"],
        capture_output=True, check=True,
    )
    return np.frombuffer(out.stdout, dtype="<i2").astype(np.float32) / 32768.0


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-show_chapters", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout)


def onset_lag(audio: np.ndarray, clip: np.ndarray, start: float, search: float = 0.15) -> float:
    """Where `clip` actually begins in `audio` relative to `start` (seconds), by cross-correlation."""
    head = clip[: int(0.8 * dsp.RATE)]
    pad = int(search * dsp.RATE)
    a = int(round(start * dsp.RATE)) - pad
    seg = audio[max(0, a) : a + head.size + 2 * pad]
    if a < 0:
        seg = np.concatenate([np.zeros(-a, np.float32), seg])
    if seg.size < head.size + 2 * pad:
        seg = np.concatenate([seg, np.zeros(head.size + 2 * pad - seg.size, np.float32)])
    n = 1 << int(np.ceil(np.log2(seg.size + head.size)))
    corr = np.fft.irfft(np.fft.rfft(seg, n) * np.conj(np.fft.rfft(head, n)), n)[: seg.size - head.size + 1]
    return (int(np.argmax(corr)) - pad) / dsp.RATE


def write_wav(path: Path, clip: np.ndarray) -> Path:
    """A mono int16 clip at the session rate as a WAV file."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(clip.astype("<i2").tobytes())
    return path


# ------------------------------------------------------------------ planned speech in a recording


def voice_of(plan: dict, clips: Path):
    from voiceguide.voice import ClipCache, Voice

    s = plan["settings"]
    return Voice.create(s["engine"], s["voice"], s["language"], s["speech_rate"], ClipCache(clips))


def clip_of(voice, event: dict) -> np.ndarray:
    """The clip a planned speech event plays (its text in its role's delivery)."""
    return dsp.from_int16(voice.clip(event["text"], event.get("role", "narration")))


def speech(plan: dict) -> list[dict]:
    return [e for e in plan["events"] if e["kind"] == "speech"]


def correlate(audio: np.ndarray, tpl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised cross-correlation of `tpl` at every offset in `audio` (1.0 = the very same sound),
    and the gain it would have there."""
    L = tpl.size
    if audio.size < L:
        audio = np.concatenate([audio, np.zeros(L - audio.size, np.float32)])
    n = 1 << int(np.ceil(np.log2(audio.size + L)))
    c = np.fft.irfft(np.fft.rfft(audio, n) * np.conj(np.fft.rfft(tpl, n)), n)[: audio.size - L + 1]
    sq = np.concatenate([[0.0], np.cumsum(audio.astype(np.float64) ** 2)])
    window = sq[L:] - sq[:-L]
    t2 = float(np.dot(tpl, tpl))
    ncc = c / np.sqrt(np.maximum(window, 1e-6 * t2) * t2)
    return ncc, c / t2


def find_all(audio: np.ndarray, tpl: np.ndarray, threshold: float = 0.8, spacing: float = 0.3) -> list[tuple[float, float]]:
    """Where `tpl` occurs in `audio`: (seconds, match) for every peak of the correlation above `threshold`."""
    ncc, gain = correlate(audio, tpl)
    hits: list[int] = []
    for i in np.flatnonzero((ncc > threshold) & (gain > 0.5) & (gain < 2.0)):
        if hits and i - hits[-1] < spacing * RATE:
            if ncc[i] > ncc[hits[-1]]:
                hits[-1] = int(i)
        else:
            hits.append(int(i))
    return [(i / RATE, float(ncc[i])) for i in hits]


def find_speech(audio: np.ndarray, clip: np.ndarray, threshold: float = 0.8) -> list[float]:
    return [t for t, _ in find_all(audio, clip[: int(1.5 * RATE)], threshold, spacing=0.5)]


def best_match(audio: np.ndarray, clip: np.ndarray) -> float:
    return float(correlate(audio, clip[: int(1.5 * RATE)])[0].max())
