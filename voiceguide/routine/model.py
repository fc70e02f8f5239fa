"""The routine as small frozen dataclasses: what `voiceguide.routine.reader` builds from the valid parts of a file.

A `Routine` holds its steps (`Spoken`, `Hold`, `BreathHold`, `Rest`, `PlaySound`, `Wait`, `Repeat`),
their cues, and the text to speak as `Narration` with its position in the file. Nothing here depends
on timing; that is `plan`'s job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Pos
from .settings import Breath
from ..text import Part, Placeholder


@dataclass(frozen=True)
class Narration:
    """Text to speak, split into literals, placeholders and pauses."""

    source: str
    parts: tuple[Part, ...]
    pos: Pos
    spots: tuple[Pos, ...] = ()  # where each placeholder stands, in the order of `parts`

    def spot(self, placeholder: Placeholder) -> Pos:
        marks = [p for p in self.parts if isinstance(p, Placeholder)]
        for part, pos in zip(marks, self.spots):
            if part is placeholder:
                return pos
        return self.pos

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(p.name for p in self.parts if isinstance(p, Placeholder))


@dataclass(frozen=True)
class Span:
    """An exact length (low == high) or a range the pace chooses inside."""

    low: float
    high: float

    @property
    def exact(self) -> bool:
        return self.low == self.high

    def pick(self, position: float) -> float:
        """The value `position` (0..1) of the way up the range, in whole units for ranges."""
        if self.exact:
            return self.low
        return math.floor(self.low + (self.high - self.low) * position + 0.5)


@dataclass(frozen=True)
class SoundRef:
    name: str  # as written
    path: Path
    pos: Pos


@dataclass(frozen=True)
class CueTime:
    seconds: float | None  # None for `half`
    from_end: bool = False

    def resolve(self, hold: float, scale: float = 1.0) -> float:
        """Seconds after the hold's start; times from the start stretch with the hold scale."""
        if self.seconds is None:
            return hold / 2
        return hold - self.seconds if self.from_end else self.seconds * scale

    def __str__(self) -> str:
        if self.seconds is None:
            return "half"
        return f"{'-' if self.from_end else ''}{self.seconds:g}s"


@dataclass(frozen=True)
class SayCue:
    pos: Pos
    at: CueTime
    text: Narration


@dataclass(frozen=True)
class SoundCue:
    pos: Pos
    at: CueTime
    sound: SoundRef


@dataclass(frozen=True)
class Countdown:
    pos: Pos
    count: int


@dataclass(frozen=True)
class Every:
    pos: Pos
    interval: float
    sound: SoundRef


Cue = SayCue | SoundCue | Countdown | Every


@dataclass(frozen=True, kw_only=True)
class Step:
    pos: Pos
    title: Narration | None = None
    say: Narration | None = None
    brief: Narration | None = None
    sides: tuple[str, str] | None = None

    kind = "spoken"


@dataclass(frozen=True, kw_only=True)
class Spoken(Step):
    kind = "spoken"


@dataclass(frozen=True, kw_only=True)
class Hold(Step):
    length: Span
    setup: float | None = None
    cues: tuple[Cue, ...] = ()
    kind = "for"


@dataclass(frozen=True, kw_only=True)
class BreathHold(Step):
    breaths: Span
    setup: float | None = None
    breath_cues: int | None = None  # None: all breaths get spoken cues
    kind = "breaths"


@dataclass(frozen=True, kw_only=True)
class Rest(Step):
    length: Span
    kind = "rest"


@dataclass(frozen=True, kw_only=True)
class PlaySound(Step):
    sound: SoundRef
    kind = "sound"


@dataclass(frozen=True, kw_only=True)
class Wait(Step):
    kind = "wait"


@dataclass(frozen=True, kw_only=True)
class Repeat(Step):
    times: int
    steps: tuple[Step, ...]
    kind = "repeat"


@dataclass(frozen=True, kw_only=True)
class Routine:
    path: Path
    name: str  # how the file is named in messages
    title: str
    summary: str | None = None
    author: str | None = None
    album: str | None = None
    language: str | None = None
    voice: str | None = None
    rate: float | None = None
    pace: float | None = None
    breath: Breath | None = None
    sounds: tuple[tuple[str, Path], ...] = ()
    ambient: SoundRef | None = None
    safety: tuple[Narration, ...] = ()
    intro: Narration | None = None
    outro: Narration | None = None
    wait_fallback: float | None = None
    steps: tuple[Step, ...] = ()
    steps_pos: Pos = field(default_factory=Pos)


def iter_steps(steps: tuple[Step, ...]):
    """Every step, with repeats' inner steps, depth first."""
    for step in steps:
        yield step
        if isinstance(step, Repeat):
            yield from iter_steps(step.steps)
