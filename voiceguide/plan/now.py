"""What is happening at one moment of a session: the one model of "now".

The player's `status()` returns a `Now`, and every reader takes it from there: the floor view and
the plain lines of the terminal, the phone remote's page, "how long", and the listener, which
gates the microphone on it. It lives here, below the live side and the web, so that the remote
(which must not know the terminal view) and the player read the same thing.

Its fields are what only the player knows: the timeline it plays, its audio clock, its flags and
a command's note. Everything else (the step, its side, the countdown, the caption, the breath
phase) is worked out from the timeline at that position, so every reader shows the same thing and
each fact can be tested on a planned timeline without sound or a terminal. Those are worked out
when first asked and then kept: the listener reads a status for every block the microphone
captures and asks only for the position and the flags.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from .timeline import Chapter, Event, EventKind, Timeline


@dataclass(frozen=True)
class Now:
    timeline: Timeline
    position: float  # seconds into the timeline: the player's audio clock
    paused: bool = False
    waiting: bool = False  # at an interactive wait, until a key
    finished: bool = False
    note: str | None = None  # a short answer to a command ("more time: +15 s"), shown for a few seconds

    # ---------------------------------------------------------- the session and the step

    @property
    def routine(self) -> str:
        return self.timeline.title

    @property
    def duration(self) -> float:
        return self.timeline.duration

    @property
    def chapters(self) -> int:
        return len(self.timeline.chapters)

    @cached_property
    def chapter(self) -> int:
        """The 0-based index of the chapter playing (0 when the timeline has none)."""
        return self.timeline.chapter_at(self.position)

    @property
    def _current(self) -> Chapter | None:
        return self.timeline.chapters[self.chapter] if self.timeline.chapters else None

    @property
    def chapter_title(self) -> str:
        """The chapter's whole title, as files and the plain lines show it ("" without chapters)."""
        return self._current.title if self._current is not None else ""

    @property
    def step(self) -> str:
        """The step's own title, without its side or round (the routine's title without chapters)."""
        return self._current.step if self._current is not None else self.routine

    @property
    def side(self) -> str | None:
        """"right", "left, round 2 of 3": what the chapter's title adds to the step's."""
        return self._current.side if self._current is not None else None

    @property
    def next_step(self) -> str | None:
        """The next chapter's whole title; None in the last one."""
        following = self.chapter + 1
        return self.timeline.chapters[following].title if following < self.chapters else None

    @property
    def session_progress(self) -> float:
        return min(1.0, max(0.0, self.position / self.duration)) if self.duration > 0 else 1.0

    @property
    def left(self) -> float:
        return max(0.0, self.duration - self.position)

    # ---------------------------------------------------------- what is counted and what is said

    @cached_property
    def counting(self) -> Event | None:
        """The hold, rest or wait under the position."""
        return self.timeline.counting_at(self.position)

    @property
    def countdown(self) -> float | None:
        """Seconds left in the hold, rest or wait under the position."""
        return None if self.counting is None else self.counting.end - self.position

    @property
    def countdown_kind(self) -> EventKind | None:
        return None if self.counting is None else self.counting.kind

    @property
    def countdown_seconds(self) -> int | None:
        """Whole seconds left, rounded up: it shows 3 while "three" is spoken and never 0 during a hold."""
        return None if self.countdown is None else max(0, math.ceil(self.countdown - 1e-6))

    @property
    def hold_progress(self) -> float | None:
        """0-1 through the hold, rest or wait."""
        return None if self.counting is None else _fraction(self.position, self.counting)

    @cached_property
    def caption(self) -> str | None:
        """The words being spoken now."""
        spoken = self.timeline.speech_at(self.position)
        return spoken.text if spoken is not None else None

    @cached_property
    def _breathing(self) -> tuple[str, float] | tuple[None, None]:
        held = self.counting
        if held is None or held.kind is not EventKind.HOLD or not _is_breath_hold(self.timeline.events, held):
            return None, None
        return _breath_phase(self.timeline, self.position - held.start)

    @property
    def breath(self) -> str | None:
        """in | hold | out, during a breath hold."""
        return self._breathing[0]

    @property
    def breath_progress(self) -> float | None:
        """0-1 through that phase."""
        return self._breathing[1]


def _fraction(t: float, ev: Event) -> float:
    return min(1.0, max(0.0, (t - ev.start) / ev.length)) if ev.length > 0 else 1.0


def _is_breath_hold(events: tuple[Event, ...], hold: Event) -> bool:
    """A `breaths` step is laid out as a hold with breath cues (spoken or sounds) inside it."""
    return any(
        ev.role == "breath" and ev.chapter == hold.chapter and hold.start - 1e-6 <= ev.start < hold.end
        for ev in events
    )


def _breath_phase(timeline: Timeline, into: float) -> tuple[str, float]:
    """The phase of the breath pattern at pace the planner laid the breaths with, and how far into it."""
    b = timeline.settings.breath_at_pace
    offset = into % b.cycle if b.cycle > 0 else 0.0
    for phase, seconds in (("in", b.inhale), ("hold", b.hold), ("out", b.exhale)):
        if seconds <= 0:
            continue
        if offset < seconds:
            return phase, offset / seconds
        offset -= seconds
    return "out", 1.0
