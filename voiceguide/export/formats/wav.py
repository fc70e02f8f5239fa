"""WAV: 16-bit mono PCM at the session rate, sample-exact, no tags."""

from __future__ import annotations

import contextlib
import wave
from pathlib import Path

import numpy as np

from ... import dsp
from .base import FileMeta, OutputFormat, write_stream


class WavEncoder:
    def __init__(self, path: Path):
        self.path = path
        self.w = wave.open(str(path), "wb")
        self.w.setnchannels(1)
        self.w.setsampwidth(2)
        self.w.setframerate(dsp.RATE)

    def write(self, block: np.ndarray) -> None:
        self.w.writeframes(dsp.to_int16(block).tobytes())

    def close(self) -> None:
        self.w.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.w.close()


class WavFormat(OutputFormat):
    name, suffix, mime = "wav", "wav", "audio/wav"
    describe = "WAV (PCM, no tags)"

    def write(self, path, blocks, meta: FileMeta, bitrate, progress=None) -> None:
        write_stream(WavEncoder(path), blocks, progress)
