"""What the floor view shows at a moment of the session, worked out from the timeline alone.

A pure function of (timeline, position): the view never asks the player anything but its
position and its paused/waiting flags, so the player can change inside without the view
noticing, and every field can be tested on a planned timeline without sound or a terminal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .timeline import Event, EventKind, Timeline



@dataclass(frozen=True)
class FloorState:
    routine: str
    step: str  # the step's title without its side or round
    side: str | None  # "right", "left, round 2 of 3", ...: the planner's parenthesised suffix
    chapter: int  # 0-based index into the timeline's chapters
    chapters: int
    countdown: float | None  # seconds left in the hold, rest or wait under the position
    countdown_kind: str | None  # hold | rest | wait
    hold_progress: float | None  # 0-1 through that hold, rest or wait
    position: float
    duration: float
    caption: str | None  # the words being spoken now
    breath: str | None  # in | hold | out, during a breath hold
    breath_progress: float | None  # 0-1 through that phase
    next_step: str | None
    paused: bool = False
    waiting: bool = False

    @property
    def session_progress(self) -> float:
        return min(1.0, max(0.0, self.position / self.duration)) if self.duration > 0 else 1.0

    @property
    def left(self) -> float:
        return max(0.0, self.duration - self.position)

    @property
    def countdown_seconds(self) -> int | None:
        """Whole seconds left, rounded up: it shows 3 while "three" is spoken and never 0 during a hold."""
        return None if self.countdown is None else max(0, math.ceil(self.countdown - 1e-6))


def floor_state(timeline: Timeline, position: float, paused: bool = False, waiting: bool = False) -> FloorState:
    t = position
    chapters = timeline.chapters
    idx = timeline.chapter_at(t)
    step, side = (chapters[idx].step, chapters[idx].side) if chapters else (timeline.title, None)
    counted = timeline.counting_at(t)
    countdown = kind = progress = None
    if counted is not None:
        countdown, kind = counted.end - t, counted.kind
        progress = _fraction(t, counted)
    spoken = timeline.speech_at(t)
    breath = breath_progress = None
    if counted is not None and counted.kind is EventKind.HOLD and _is_breath_hold(timeline.events, counted):
        breath, breath_progress = _breath_phase(timeline, t - counted.start)
    return FloorState(
        routine=timeline.title,
        step=step,
        side=side,
        chapter=idx,
        chapters=len(chapters),
        countdown=countdown,
        countdown_kind=kind,
        hold_progress=progress,
        position=t,
        duration=timeline.duration,
        caption=spoken.text if spoken is not None else None,
        breath=breath,
        breath_progress=breath_progress,
        next_step=chapters[idx + 1].title if idx + 1 < len(chapters) else None,
        paused=paused,
        waiting=waiting,
    )


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
