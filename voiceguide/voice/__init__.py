"""The voice stage: TTS engines and a content-addressed cache of rendered, measured clips."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .. import dsp
from ..audiofile import audio_length, write_wav
from .cache import ClipCache, clip_key
from ..routine.delivery import Delivery, delivery_for
from .base import Engine, VoiceError, VoiceInfo
from .registry import ENGINES, choose, get_engine
from .sentences import cores
from .spoken import as_spoken

__all__ = ["Voice", "VoiceError", "VoiceInfo", "ENGINES", "choose", "get_engine", "ClipCache", "process_clip", "SPEECH_LUFS"]

# Each clip's loudness and true-peak ceiling. A session measures about 1.5 dB quieter than its clips (the
# gaps between words count in its 400 ms blocks), so clips a little louder than the -16 LUFS target
# need almost no gain at export, and their peaks (limited once, when cached) stay under the session's
# ceiling: the export's limiter then has little or nothing to do.
SPEECH_LUFS = -14.5
SPEECH_CEILING_DB = -4.5


def _clip_loudness(x: np.ndarray) -> float:
    """Loudness of a clip; short clips (under 400 ms) use the ungated mean of their 100 ms blocks."""
    if x.size >= int(0.4 * dsp.RATE):
        return dsp.integrated_loudness(x)
    meter = dsp.LoudnessMeter()
    padded = np.concatenate([x, np.zeros((-x.size) % meter.sub, np.float32)])
    meter.feed(padded)
    if not meter.energies:
        return -math.inf
    energy = np.concatenate(meter.energies)
    energy = energy[energy > 0]
    return -0.691 + 10 * math.log10(energy.mean()) if energy.size else -math.inf


def process_clip(samples: np.ndarray, rate: int, gain_db: float = 0.0, first: bool = True, last: bool = True) -> np.ndarray:
    """Raw TTS output -> a clip for the timeline: session rate, trimmed to its onset and end,
    levelled to SPEECH_LUFS + gain_db under a true-peak ceiling, with short fades (no clicks).

    A clip an engine speaks in pieces (a neural voice's sentences, each followed by its pause) is
    processed piece by piece, so that its first sentence can be played before the rest exists: a
    piece is levelled on its own, and only the clip's own edges are trimmed and faded (`first`: the
    piece holds the clip's start, `last`: its end)."""
    x = dsp.from_int16(samples)
    x = dsp.resample(x, rate, dsp.RATE)
    x = dsp.trim_silence(x, start=first, end=last)
    if x.size == 0:
        return np.zeros(int(0.05 * dsp.RATE), dtype=np.int16)  # e.g. punctuation only: a breath of silence
    ceiling = dsp.db_to_gain(SPEECH_CEILING_DB)
    target = SPEECH_LUFS + gain_db
    loud = _clip_loudness(x)
    if math.isfinite(loud):
        gain = 1.0
        for _ in range(3):  # the limiter lowers loudness a little: correct twice more
            y = dsp.limit(x * gain, ceiling)
            now = _clip_loudness(y)
            if not math.isfinite(now) or abs(now - target) < 0.1:
                break
            gain *= dsp.db_to_gain(target - now)
        x = y
    return dsp.to_int16(dsp.fade_edges(x, start=first, end=last))


def spoken_pieces(engine: Engine, text: str, voice: str, wpm: float) -> tuple[list[Callable[[], np.ndarray]], int]:
    """The engine's raw audio for `text` as pieces in order, each a call that waits for its piece
    (`Engine.synthesize_pieces`: one per sentence from the neural engines, else the whole utterance)."""
    return engine.synthesize_pieces(text, voice, wpm)


class Voice:
    """An engine, a voice, a speaking rate and a delivery style: renders utterances to clips (cached)
    and knows their lengths.

    It is also the planner's `Lengths`: speech lengths are the measured clips. A clip is the text
    spoken in its role's delivery (`delivery.py`), so the same words as a breath cue and as
    narration are two clips."""

    def __init__(self, engine: Engine, voice_id: str, wpm: float, cache: ClipCache | None = None, cues=None,
                 style: str = "calm", note: str | None = None, language: str = "en"):
        self.engine = engine
        self.language = language  # how ranges, units and abbreviations are read out (`spoken.as_spoken`)
        self.cues = cues  # RecordedCues: the user's recordings replace the engine for the phrases they name
        self.voice_id = voice_id
        self.wpm = wpm
        self.style = style
        self.note = note  # how to get the natural voice, when `auto` fell back to the system voice
        self.cache = cache or ClipCache()
        self._lengths: dict[tuple[str, Delivery], float] = {}
        self._version = engine.version()

    @classmethod
    def create(cls, engine_name: str, wanted: str | None, language: str, wpm: float, cache: ClipCache | None = None,
               cues: Path | None = None, style: str = "calm"):
        picked = choose(engine_name, wanted, language)
        recorded = None
        if cues is not None:
            from .recorded import RecordedCues

            recorded = RecordedCues(cues)
        return cls(picked.engine, picked.voice, wpm, cache, cues=recorded, style=style, note=picked.note,
                   language=language)

    def describe(self) -> str:
        extra = f", {len(self.cues)} recorded cues" if self.cues is not None else ""
        return f"{self.engine.name} voice {self.voice_id} at {self.wpm:.0f} wpm{extra}"

    def delivery(self, role: str) -> Delivery:
        return delivery_for(self.style, role)

    def key(self, text: str, delivery: Delivery = Delivery()) -> str:
        """The clip's cache key: of what is spoken (`as_spoken`), so two spellings of it share a clip."""
        return clip_key(
            text=as_spoken(text, self.language), engine=self.engine.name, engine_version=self._version, voice=self.voice_id,
            wpm=self.wpm * delivery.tempo, rate=dsp.RATE, gain_db=delivery.gain_db,
        )

    def clip(self, text: str, role: str = "narration",
             first_part: Callable[[np.ndarray], None] | None = None) -> np.ndarray:
        """The clip for `text` spoken in `role`, as int16 at the session rate, rendered if not cached.

        `first_part` is called with the clip's first piece as soon as it is ready, when the clip is
        rendered in more than one (the rest is then still being synthesised): the clip begins
        with exactly those samples, so a live session can start playing them at once."""
        delivery = self.delivery(role)
        recorded = self.cues.lookup(text) if self.cues is not None else None
        if recorded is not None:  # the user's own recording of exactly this phrase
            self._lengths[text, delivery] = recorded.size / dsp.RATE
            return recorded
        key = self.key(text, delivery)
        samples = self.cache.get(key, dsp.RATE)
        if samples is None:
            samples = self._render(text, delivery, first_part)
            self.cache.put(key, samples, dsp.RATE)
        self._lengths[text, delivery] = samples.size / dsp.RATE
        return samples

    def _render(self, text: str, delivery: Delivery, first_part: Callable[[np.ndarray], None] | None) -> np.ndarray:
        pieces, rate = spoken_pieces(self.engine, as_spoken(text, self.language), self.voice_id, self.wpm * delivery.tempo)
        out = []
        for i, piece in enumerate(pieces):
            out.append(process_clip(piece(), rate, delivery.gain_db, first=i == 0, last=i == len(pieces) - 1))
            if i == 0 and first_part is not None and len(pieces) > 1:
                first_part(out[0])
        return out[0] if len(out) == 1 else np.concatenate(out)

    def prepare(self, said: Iterable[tuple[str, str]], jobs: int = 0,
                progress: Callable[[int, int], None] | None = None) -> None:
        """Render every utterance (text, role) not yet cached, in parallel where the engine allows."""
        todo = [u for u in dict.fromkeys(said) if (u[0], self.delivery(u[1])) not in self._lengths]
        if not todo:
            return
        workers = jobs or self.engine.workers or min(8, max(2, cores()))
        done = 0
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(lambda u: self.clip(*u), todo):
                done += 1
                if progress:
                    progress(done, len(todo))

    # -- Lengths
    def speech(self, text: str, role: str = "narration") -> float:
        delivery = self.delivery(role)
        if (text, delivery) not in self._lengths:
            self.clip(text, role)
        return self._lengths[text, delivery]

    def sound(self, path: Path) -> float:
        return audio_length(path)


def voice_samples(engine: Engine, voices: list[VoiceInfo], text: str, out_dir: Path, wpm: float):
    """Render `text` with each voice into out_dir/<voice>.wav (atomic); yields (voice, path)."""
    import re

    from ..fsutil import atomic_path

    out_dir.mkdir(parents=True, exist_ok=True)
    for v in voices:
        raw, rate = engine.synthesize(text, v.id, wpm)
        clip = process_clip(raw, rate)
        path = out_dir / (re.sub(r"[^A-Za-z0-9._+-]+", "_", v.id).strip("._") + ".wav")
        with atomic_path(path, suffix=".wav.part") as tmp:
            write_wav(tmp, clip, dsp.RATE)
        yield v, path
