"""The mix: place clips and sounds on the timeline, block by block, in one pass.

`Mixer.render(a, b)` gives any stretch of the session on demand, so export
streams the session to the encoder in fixed blocks (memory stays flat however
long the session is) and live playback can start anywhere. Nothing is ever
concatenated: each block is a zero buffer that the overlapping events are
added into. Loudness is corrected for the whole session and a look-ahead
true-peak limiter keeps every block under the ceiling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .. import dsp
from ..audiofile import decode
from ..plan.timeline import Event, EventKind, Timeline
from ..recent import RecentArrays

TARGET_LUFS = -16.0
CEILING_DBTP = -4.0  # the limiter's ceiling: 64 kbit/s MP3 adds up to 2.6 dB to Piper's speech (1.2 dB to espeak-ng's); the file stays under -1 dBTP
BLOCK_SECONDS = 4.0
# Rounds of the loudness correction: each mixes again only the blocks the limiter touches. One was
# enough under Piper's and espeak-ng's ceiling; under Kokoro's lower one a dB of gain added 0.4 dB of
# loudness to a shipped routine, and adding the shortfall each round left it 0.75 dB short after four.
NORMALISE_ROUNDS = 5
CLIP_MEMORY = 4 << 20  # bytes of clips kept between blocks: a few minutes of speech

# The background bed: its level under the session, how far it ducks under speech, and its ramps.
AMBIENT_LEVEL = 0.25
AMBIENT_DUCK_DB = -15.0
DUCK_ATTACK = 0.25  # seconds before speech begins the bed starts going down
DUCK_RELEASE = 0.6  # seconds after speech ends it is back up
AMBIENT_FADE_IN = 3.0
AMBIENT_FADE_OUT = 4.0
LOOP_SEAM = 0.05  # seconds cross-faded where a bed loops back to its start

# How loud each kind of sound sits under speech levelled at -16 LUFS (linear gain on the file).
SOUND_LEVELS = {
    "hold-start": 0.55,
    "hold-end": 0.55,
    "transition": 0.5,
    "breath": 0.4,
    "every": 0.45,
    "cue": 0.55,
    "step": 0.6,
}


@dataclass(frozen=True)
class _Placed:
    start: int  # first sample
    end: int  # one past the last sample
    event: Event


class Mixer:
    def __init__(self, timeline: Timeline, speech: Callable[[str, str], np.ndarray], gain_db: float = 0.0, *,
                 ceiling_dbtp: float = CEILING_DBTP):
        """`speech(text, role)` returns the int16 clip for an utterance (the voice stage); `ceiling_dbtp`
        is the limiter's (lower for a voice that declares more headroom, `Engine.peak_headroom_db`)."""
        self.timeline = timeline
        self.ceiling = dsp.db_to_gain(ceiling_dbtp)
        self.speech = speech
        self.gain = dsp.db_to_gain(gain_db)
        self.length = int(round(timeline.duration * dsp.RATE))
        placed = []
        self.ambient = [ev for ev in timeline.events if ev.role == "ambient"]
        for ev in timeline.events:
            if ev.kind.audible and ev.role != "ambient":
                s = int(round(ev.start * dsp.RATE))
                placed.append(_Placed(s, s + max(1, int(round(ev.length * dsp.RATE))), ev))
        placed.sort(key=lambda p: p.start)
        self.placed = placed
        self.starts = np.array([p.start for p in placed], dtype=np.int64)
        self.longest = max((p.end - p.start for p in placed), default=0)
        self.speech_spans = [(p.start, p.end) for p in placed if p.event.kind is EventKind.SPEECH]
        self.speech_starts = np.array([a for a, _ in self.speech_spans], dtype=np.int64)
        self.longest_speech = max((b - a for a, b in self.speech_spans), default=0)
        self._sounds: dict[Path, np.ndarray] = {}
        self._loops: dict[Path, np.ndarray] = {}
        self._clips = RecentArrays(CLIP_MEMORY)  # memory stays flat: recent clips only

    # ---------------------------------------------------------- sources

    def _sound(self, path: Path) -> np.ndarray:
        if path not in self._sounds:
            self._sounds[path] = decode(path)
        return self._sounds[path]

    def _clip(self, text: str, role: str) -> np.ndarray:
        """The int16 clip of an utterance; the few most recent are kept (the cache on disk holds them all)."""
        key = (text, role)
        clip = self._clips.get(key)
        if clip is None:
            clip = self.speech(text, role)
            self._clips.put(key, clip)
        return clip

    def audio_of(self, p: _Placed) -> np.ndarray:
        ev = p.event
        n = p.end - p.start
        if ev.kind is EventKind.SPEECH:
            return dsp.from_int16(self._clip(ev.text, ev.role)[:n])
        data = self._sound(ev.path)
        level = SOUND_LEVELS.get(ev.role, 0.6)
        if n < data.size:  # cut short (a breath tone longer than its phase): fade the cut
            return dsp.fade_out_tail(data[:n] * level, 0.05)
        return data * level

    # ---------------------------------------------------------- the background bed

    def _loop(self, path: Path) -> np.ndarray:
        """The bed as a loop: its last LOOP_SEAM seconds cross-faded into its first, so it never clicks."""
        if path not in self._loops:
            data = self._sound(path)
            n = min(int(LOOP_SEAM * dsp.RATE), data.size // 4)
            if n > 0:
                ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
                head = data[:n] * ramp + data[-n:] * (1.0 - ramp)
                data = np.concatenate([head, data[n:-n]])
            self._loops[path] = data.astype(np.float32)
        return self._loops[path]

    def duck_envelope(self, a: int, b: int) -> np.ndarray:
        """The bed's gain over [a, b): 1, falling to AMBIENT_DUCK_DB under speech with linear ramps."""
        t = np.arange(a, b, dtype=np.float64)
        gain = np.ones(b - a, dtype=np.float64)
        low = dsp.db_to_gain(AMBIENT_DUCK_DB)
        attack, release = DUCK_ATTACK * dsp.RATE, DUCK_RELEASE * dsp.RATE
        lo = int(np.searchsorted(self.speech_starts, a - self.longest_speech - release, side="left"))
        hi = int(np.searchsorted(self.speech_starts, b + attack, side="right"))
        for s, e in self.speech_spans[lo:hi]:
            if e + release < a or s - attack > b:
                continue
            # 1 far away, `low` inside [s, e], straight lines in between
            f = np.where(t < s, (s - t) / attack, np.where(t > e, (t - e) / release, 0.0))
            np.minimum(gain, low + (1.0 - low) * np.clip(f, 0.0, 1.0), out=gain)
        return gain.astype(np.float32)

    def _ambient(self, ev: Event, a: int, b: int) -> np.ndarray:
        loop = self._loop(ev.path)
        idx = np.arange(a, b) % loop.size
        bed = loop[idx] * AMBIENT_LEVEL
        t = np.arange(a, b, dtype=np.float64) / dsp.RATE
        fade = np.clip(np.minimum(t / AMBIENT_FADE_IN, (ev.end - t) / AMBIENT_FADE_OUT), 0.0, 1.0)
        return (bed * fade * self.duck_envelope(a, b)).astype(np.float32)

    # ---------------------------------------------------------- rendering

    def render(self, a: int, b: int) -> np.ndarray:
        """Samples [a, b) of the session, before gain and limiting (float32)."""
        out = np.zeros(max(0, b - a), dtype=np.float32)
        for ev in self.ambient:
            s, e = max(a, 0), min(b, self.length)
            if e > s:
                out[s - a : e - a] += self._ambient(ev, s, e)
        lo = int(np.searchsorted(self.starts, a - self.longest, side="left"))
        hi = int(np.searchsorted(self.starts, b, side="left"))
        for p in self.placed[lo:hi]:
            if p.end <= a or p.start >= b:
                continue
            audio = self.audio_of(p)
            s = max(a, p.start)
            e = min(b, p.start + audio.size)
            if e > s:
                out[s - a : e - a] += audio[s - p.start : e - p.start]
        return out

    def render_final(self, a: int, b: int) -> np.ndarray:
        """Samples [a, b) with the session gain and the true-peak limiter applied."""
        m = dsp.LIMIT_MARGIN
        raw = self.render(a - m, b + m) * self.gain
        limited = dsp.limit(raw, self.ceiling)
        return limited[m : m + (b - a)]

    def blocks(self, start: int = 0, block: int | None = None) -> Iterator[np.ndarray]:
        block = block or int(BLOCK_SECONDS * dsp.RATE)
        for a in range(start, self.length, block):
            yield self.render_final(a, min(self.length, a + block))

    def normalise(self, target: float = TARGET_LUFS, progress: Callable[[int], None] | None = None) -> float:
        """Set the gain that brings the session to `target` LUFS, the limiter included; returns it in dB.

        One pass mixes the session at unit gain, keeping each 100 ms sub-block's loudness energy and
        each block's true peak (a few bytes a second, so memory stays flat). The gain follows from the
        energies; only the blocks whose peak the gain would push over the ceiling are mixed again
        through the limiter, and their energies replace the scaled ones, so the limiter's loss is
        corrected without a second full pass (in up to NORMALISE_ROUNDS rounds of those blocks)."""
        meter = dsp.LoudnessMeter()
        block = int(BLOCK_SECONDS * dsp.RATE)
        per_block = -(-block // meter.sub)
        starts = range(0, self.length, block)
        energies = np.zeros(len(starts) * per_block, dtype=np.float64)
        peaks = np.zeros(len(starts), dtype=np.float32)
        for i, a in enumerate(starts):
            b = min(self.length, a + block)
            raw = self.render(a, b)
            e = meter.subblock_energies(raw)
            energies[i * per_block : i * per_block + e.size] = e
            peak = float(np.abs(raw).max()) if raw.size else 0.0
            peaks[i] = dsp.true_peak(raw) if peak > 0.25 else peak * 1.5  # quiet blocks: a safe bound
            if progress:
                progress(b)
        n_sub = -(-self.length // meter.sub)
        loud = dsp.gated_loudness(energies[:n_sub])
        if not math.isfinite(loud):
            self.gain = 1.0
            return 0.0
        gain_db = max(-30.0, min(30.0, target - loud))
        unit, tried = energies.copy(), []
        for _ in range(NORMALISE_ROUNDS):  # the limiter takes loudness back: measure, correct
            self.gain = dsp.db_to_gain(gain_db)
            energies = unit * self.gain**2
            for i in np.flatnonzero(peaks * self.gain > self.ceiling):
                a = starts[i]
                e = meter.subblock_energies(self.render_final(a, min(self.length, a + block)))
                energies[i * per_block : i * per_block + e.size] = e
            after = dsp.gated_loudness(energies[:n_sub])
            if not math.isfinite(after) or abs(target - after) <= 0.05:
                break
            tried.append((gain_db, after))
            # a dB of gain adds less than a dB of loudness where the limiter works: the last two
            # rounds say how much (a secant), within reason
            slope = 1.0
            if len(tried) > 1 and tried[-1][0] != tried[-2][0]:
                slope = min(1.0, max(0.1, (tried[-1][1] - tried[-2][1]) / (tried[-1][0] - tried[-2][0])))
            gain_db = max(-30.0, min(30.0, gain_db + (target - after) / slope))
        self.gain = dsp.db_to_gain(gain_db)
        return gain_db
