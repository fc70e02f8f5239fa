"""The timeline: timed events and chapters, the single source of truth that the exported file, live
playback, the page and the transcripts all follow; and `Lengths`, the planner's only window onto
audio (an estimate for `check --estimate`, measured clips everywhere else).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Callable, NamedTuple, Protocol

from ..audiofile import audio_length
from ..routine.delivery import delivery_for
from ..routine.settings import Settings

# ------------------------------------------------------------------ the timeline


class EventKind(StrEnum):
    """What an event is. A `StrEnum`, so that an event's kind is still the very string it always
    was wherever it is written out (`plan --json`, the plan table, the export's digest), and a
    misspelt kind fails where it is named instead of silently matching nothing."""

    SPEECH = "speech"  # words spoken (`text`)
    SOUND = "sound"  # a sound file played (`sound`, `path`)
    HOLD = "hold"  # a held position, or a breath hold: time the person spends, not sound
    REST = "rest"
    WAIT = "wait"  # until the person presses a key (or `wait_fallback` seconds in a file)

    @property
    def audible(self) -> bool:
        """Speech and sounds make sound; holds, rests and waits are spans of time under them."""
        return self in (EventKind.SPEECH, EventKind.SOUND)

    @property
    def counted(self) -> bool:
        """The spans the floor view and the phone count down, and "how long" answers for."""
        return self in (EventKind.HOLD, EventKind.REST, EventKind.WAIT)

    @property
    def extendable(self) -> bool:
        """The spans "more time" lengthens (a breath hold is laid out as a hold)."""
        return self in (EventKind.HOLD, EventKind.REST)


@dataclass(frozen=True)
class Event:
    start: float
    end: float
    kind: EventKind  # a plain string naming a kind is taken too (and made the kind)
    step: str  # the step's title with side and round, or intro / safety / outro
    text: str | None = None  # speech: exactly what is spoken
    sound: str | None = None  # sound: its name
    role: str = ""  # narration, cue, countdown, breath, transition, marker, ...
    chapter: int = -1  # index into Timeline.chapters; -1 before the first chapter
    path: Path | None = field(default=None, compare=False)  # sound file to play

    def __post_init__(self) -> None:
        if not isinstance(self.kind, EventKind):
            object.__setattr__(self, "kind", EventKind(self.kind))

    @property
    def length(self) -> float:
        return self.end - self.start

    def to_json(self) -> dict:
        d: dict = {"start": _r(self.start), "end": _r(self.end), "kind": str(self.kind), "step": self.step}
        if self.text is not None:
            d["text"] = self.text
        if self.sound is not None:
            d["sound"] = self.sound
        if self.role:
            d["role"] = self.role
        d["chapter"] = self.chapter
        return d


class ChapterKind(StrEnum):
    """Whether a chapter is the introduction (the intro and safety notes) or one of the routine's
    steps: `--from 1` counts steps, and `compose` finds its moves' chapters after the introduction."""

    INTRO = "intro"
    STEP = "step"


@dataclass(frozen=True)
class Chapter:
    """A chapter as the planner made it: `title` is what files, the page and the plan table show;
    `step` and `side` are its parts, kept so that the floor view and the phone can show them apart
    without reading them back out of the title. A chapter read back from a file (the library of
    rendered sessions) has only its title."""

    start: float
    title: str  # "Figure four (right, round 1 of 2)"
    end: float = 0.0
    step: str = ""  # "Figure four": the step's own title
    side: str | None = None  # "right, round 1 of 2": the side and round the title adds in parentheses
    kind: ChapterKind = ChapterKind.STEP

    def to_json(self) -> dict:
        return {"start": _r(self.start), "end": _r(self.end), "title": self.title}


@dataclass(frozen=True)
class Timeline:
    title: str
    duration: float
    chapters: tuple[Chapter, ...]
    events: tuple[Event, ...]
    settings: Settings
    summary: str | None = None
    safety: tuple[str, ...] = ()

    def to_json(self) -> dict:
        s = self.settings
        return {
            "title": self.title,
            "duration": _r(self.duration),
            "chapters": [c.to_json() for c in self.chapters],
            "events": [e.to_json() for e in self.events],
            "summary": self.summary,
            "safety": list(self.safety),
            "settings": {
                "pace": s.pace,
                "hold_scale": s.hold_scale,
                "rate": s.rate,
                "speech_rate": round(s.speech_rate, 1),
                "breath": {"in": s.breath.inhale, "hold": s.breath.hold, "out": s.breath.exhale},
                "engine": s.engine,
                "voice": s.voice,
                "language": s.language,
                "wait_fallback": s.wait_fallback,
                "guidance": s.guidance,
                "delivery": s.delivery,
                "ambient": s.ambient.name if s.ambient else None,
            },
        }

    @property
    def chapter_count(self) -> int:
        """The chapters as the exported file, the player and the page have them (an introduction is
        one): the one count that `check`, `plan` and `render` print."""
        return len(self.chapters)

    def speech(self) -> list[Event]:
        return [e for e in self.events if e.kind is EventKind.SPEECH]

    def chapter_at(self, t: float) -> int:
        """The index of the chapter playing at second `t` (0 before the first one begins). A chapter
        begins a microsecond early, so that a position set to its start lands in it."""
        return max((i for i, c in enumerate(self.chapters) if c.start <= t + 1e-6), default=0)

    def counting_at(self, t: float) -> Event | None:
        """The hold, rest or wait going on at second `t`: what the floor view counts down."""
        return self._latest_at(t, lambda kind: kind.counted)

    def speech_at(self, t: float) -> Event | None:
        """The words being spoken at second `t`: the floor view's caption."""
        return self._latest_at(t, lambda kind: kind is EventKind.SPEECH)

    def _latest_at(self, t: float, wanted: Callable[[EventKind], bool]) -> Event | None:
        """The latest-starting event of the wanted kind going on at `t` (a cue inside a hold wins)."""
        found = None
        for ev in self.events:
            if wanted(ev.kind) and ev.start <= t < ev.end:
                found = ev
        return found

    def extendable_at(self, t: float) -> Event | None:
        """The hold, rest or breath hold that "more time" lengthens at second `t`: the one going on,
        else the one still to come in this step (asked during its narration, that is the one meant).
        None after it, in a step without one, and in a wait (it waits for you already)."""
        chapter = self.chapter_at(t)
        return next((e for e in self.events if e.kind.extendable and e.chapter == chapter and e.end > t), None)

    def utterances(self) -> list[Utterance]:
        """Every distinct utterance (text and role) spoken, in order of first use."""
        return list(dict.fromkeys(Utterance(e.text, e.role) for e in self.events if e.kind is EventKind.SPEECH))


def _r(x: float) -> float:
    return round(x, 3)


# ------------------------------------------------------------------ lengths


class Utterance(NamedTuple):
    """What is said and in which role: the same words as a breath cue and as narration are spoken
    differently (`delivery`), so they are different clips."""

    text: str
    role: str = "narration"


@dataclass(frozen=True)
class Extensions:
    """Time added to holds and rests while a session plays ("more time"): seconds by the index of the
    chapter whose hold, rest or breath hold they lengthen (a step has at most one).

    An input of the planner, like the lengths, so that every later re-plan (the render-ahead's, as
    real clip lengths arrive) keeps them and the timeline stays the one source of truth. A chapter's
    index is stable across re-plans: the chapters follow the routine and its settings, never lengths."""

    added: tuple[tuple[int, float], ...] = ()

    def of(self, chapter: int) -> float:
        return sum(seconds for c, seconds in self.added if c == chapter)

    def plus(self, chapter: int, seconds: float) -> Extensions:
        return Extensions(self.added + ((chapter, seconds),))


class Lengths(Protocol):
    """How long things take; the planner's only window onto audio."""

    def speech(self, text: str, role: str = "narration") -> float: ...

    def sound(self, path: Path) -> float: ...


_PAUSE_PUNCT = re.compile(r"[.!?;:](?=\s)")
_COMMA = re.compile(r",(?=\s)")


class EstimatedLengths:
    """Speech length from word count and rate (for `check` and `plan` without TTS); sounds measured."""

    FLOOR_WPM = 80.0  # engines stop slowing down here; slower speech comes from gaps between words

    def __init__(self, settings: Settings):
        self.wpm = settings.speech_rate
        self.style = settings.delivery

    def speech(self, text: str, role: str = "narration") -> float:
        words = len(text.split())
        wpm = self.wpm * delivery_for(self.style, role).tempo
        spoken = max(wpm, self.FLOOR_WPM)
        gaps = max(0, words - 1) * max(0.0, 60.0 / wpm - 60.0 / spoken)
        pauses = len(_PAUSE_PUNCT.findall(text)) * 0.3 + len(_COMMA.findall(text)) * 0.15
        return round(0.1 + words * 60.0 / spoken + gaps + pauses, 3)

    def sound(self, path: Path) -> float:
        return audio_length(path)
