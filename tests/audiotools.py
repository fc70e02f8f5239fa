"""Helpers the audio tests share: decode a file, read it with ffprobe, find where a clip begins."""

import json
import subprocess
from pathlib import Path

import numpy as np

from voiceguide import dsp


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
