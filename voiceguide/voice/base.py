"""What every speech engine shares: the `Engine` interface, voice descriptions and their errors.

Engines are plugins: each lives in its own module and imports only this one; `registry` picks
one by name. Nothing here imports an engine.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Callable, Protocol

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
    """A speech engine. The four methods without a body are what every engine must offer; the rest
    are optional features with their defaults here, which an engine that subclasses this protocol
    inherits and overrides to declare that it offers more (so the voice stage never has to probe)."""

    name: str
    workers: int = 0  # utterances it can synthesise at once; 0: the voice stage decides from the cores
    loads_a_model: bool = False  # True: `load` takes seconds, worth starting before the first words
    # dB by which an export of its speech is limited below the mixer's ceiling (CEILING_DBTP): a voice
    # whose peaks a 64 kbit/s MP3 raises further than that ceiling allows for declares it
    peak_headroom_db: float = 0.0

    def version(self) -> str: ...

    def voices(self) -> list[VoiceInfo]: ...

    def resolve_voice(self, wanted: str | None, language: str) -> str: ...

    def synthesize(self, text: str, voice: str, wpm: float) -> tuple[np.ndarray, int]:
        """int16 mono samples and their sample rate."""
        ...

    def synthesize_pieces(self, text: str, voice: str, wpm: float) -> tuple[list[Callable[[], np.ndarray]], int]:
        """The utterance as pieces in order, each a call that waits for its samples, and their rate.
        By default one piece, the whole utterance; an engine that speaks sentence by sentence hands
        over the first sentence while it makes the rest (a live session starts on it)."""
        raw, rate = self.synthesize(text, voice, wpm)
        return [lambda: raw], rate

    def load(self, voice: str, *, live: bool = False) -> None:
        """Load what speaking in `voice` needs (a model), so that the first words come sooner; by
        default there is nothing to load. `live`: for a live session, which wants each sentence as
        soon as it can have it more than many sentences at once (an engine may then give a sentence
        more of the cores)."""
        return None


def suggest(wanted: str, candidates: list[str]) -> str:
    near = difflib.get_close_matches(wanted.lower(), [c.lower() for c in candidates], n=5, cutoff=0.4)
    lookup = {c.lower(): c for c in candidates}
    return ", ".join(lookup[n] for n in near) if near else ""


def unknown_voice(wanted: str, candidates: list[str], engine: str) -> VoiceError:
    near = suggest(wanted, candidates)
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



# what --voice female / male means; each engine maps it to its own voices
GENDERS = {"female": "f3", "woman": "f3", "f": "f3", "male": "m3", "man": "m3", "m": "m3"}
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")


@dataclass(frozen=True)
class Wanted:
    """What a `--voice` word that names no voice asks of a natural engine's voices: a gender
    ("female" or "male"), or a language tag (`de`, `en-gb`); `neither` when it is neither."""

    gender: str | None = None
    language: str | None = None

    @property
    def neither(self) -> bool:
        return self.gender is None and self.language is None


def wanted_voice(word: str) -> Wanted:
    """`--voice female`, `--voice en-gb`, ...: the word (lower case, `-` or `_`) read as a gender or a
    language tag, for engines that pick among their own voices (Piper, Kokoro)."""
    low = word.strip().lower().replace("_", "-")
    if low in GENDERS:
        return Wanted(gender="female" if GENDERS[low].startswith("f") else "male")
    if LANGUAGE_TAG.fullmatch(low):
        return Wanted(language=low)
    return Wanted()
