"""When the session is silent, so that what the microphone hears then can only be the room.

The timeline says to the sample when speech and sounds play. Every speech and sound event is
audible from its start to its end plus a guard (the device's output and capture buffers and the
room's echo); the rest of the session is silent, and only audio captured while the session is
silent may steer it. The ambient bed plays under everything, so it does not count: to the recogniser
it is room noise, which its thresholds were tuned with.

`audible_spans` and `is_audible` are pure functions of the timeline. `Gate` applies them to the
player's audio clock as capture blocks arrive, and adds the one thing the timeline cannot know:
the guard after sound the player stopped early (a pause, a skip) or played outside the timeline
(an acknowledgement), measured on the wall clock.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from ...plan.timeline import Timeline


@dataclass(frozen=True)
class Span:
    start: float
    end: float


def audible_spans(timeline: Timeline, guard: float) -> tuple[Span, ...]:
    """Where the session makes sound, in timeline seconds: every speech and sound event (not the
    ambient bed) from its start to `guard` seconds after its end, overlapping spans merged."""
    spans = sorted(
        (e.start, e.end + guard)
        for e in timeline.events
        if e.kind.audible and e.role != "ambient" and e.end > e.start
    )
    merged: list[list[float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple(Span(a, b) for a, b in merged)


def silent_spans(timeline: Timeline, guard: float) -> tuple[Span, ...]:
    """The complement of `audible_spans` within the session: when only the room can be heard."""
    out, at = [], 0.0
    for span in audible_spans(timeline, guard):
        if span.start > at:
            out.append(Span(at, span.start))
        at = max(at, span.end)
    if at < timeline.duration:
        out.append(Span(at, timeline.duration))
    return tuple(out)


def is_audible(spans: tuple[Span, ...], starts: list[float], t: float) -> bool:
    """Whether timeline second `t` lies in one of `spans` (sorted, disjoint; `starts` their starts)."""
    i = bisect.bisect_right(starts, t) - 1
    return i >= 0 and t < spans[i].end


class Gate:
    """Says, block by block, whether the microphone's audio can contain the session's own sound.

    `quiet(position, playing, now)` takes the player's audio clock (seconds), whether it is playing
    (not paused, not waiting) and the wall clock. A block is loud while the position lies in an
    audible span with its guard, and for `guard` seconds (wall clock) after the last block that was
    sounding, which covers what the device still plays after a pause or a skip."""

    def __init__(self, timeline: Timeline, guard: float):
        self.guard = guard
        self.timeline: Timeline | None = None
        self.loud_until = float("-inf")
        self.follow(timeline)

    def follow(self, timeline: Timeline) -> None:
        """The player re-plans as clips are rendered: gate on its current timeline."""
        if timeline is not self.timeline:
            self.timeline = timeline
            self.sounding = audible_spans(timeline, 0.0)
            self.guarded = audible_spans(timeline, self.guard)
            self._sounding_starts = [s.start for s in self.sounding]
            self._guarded_starts = [s.start for s in self.guarded]

    def sound_outside(self, now: float, seconds: float) -> None:
        """A sound outside the timeline (an acknowledgement) plays from `now` for `seconds`."""
        self.loud_until = max(self.loud_until, now + seconds + self.guard)

    def quiet(self, position: float, playing: bool, now: float) -> bool:
        if not playing:
            return now >= self.loud_until
        if is_audible(self.sounding, self._sounding_starts, position):
            self.loud_until = max(self.loud_until, now + self.guard)
            return False
        return now >= self.loud_until and not is_audible(self.guarded, self._guarded_starts, position)
