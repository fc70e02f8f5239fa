"""`play --listen`: the silent spans (pure), the spotter on rendered speech, and spoken commands to a
real session on a private PulseAudio server.

The live tests give the server a second null sink, `mic`, whose monitor is the default source: the
session's microphone. Commands are rendered with the bundled natural voice and played into `mic`
with `paplay` at moments the plan says are silent; the session plays to its own sink and is
recorded from that sink's monitor. With `module-loopback` from the session's sink to `mic`, the
session hears itself, as a microphone in the room would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, plan_text
from voiceguide import dsp
from voiceguide.listen.gate import Gate, Span, audible_spans, silent_spans
from voiceguide.settings import Settings
from voiceguide.timeline import Chapter, Event, Timeline

RATE = dsp.RATE


def timeline(events: list[Event], duration: float) -> Timeline:
    return Timeline("t", duration, (Chapter(0.0, "one", duration),), tuple(events), Settings())


EVENTS = [
    Event(0.0, 12.0, "sound", "one", sound="ocean", role="ambient"),
    Event(1.0, 2.0, "speech", "one", text="Hello.", role="narration"),
    Event(1.5, 2.5, "sound", "one", sound="bell", role="marker"),
    Event(3.0, 10.0, "hold", "one"),
    Event(6.0, 6.05, "sound", "one", sound="tick", role="every"),
    Event(10.0, 11.0, "speech", "one", text="Done.", role="narration"),
]


# ------------------------------------------------------------------ the silent spans (pure)


def test_audible_spans_merge_speech_and_sounds_with_the_guard_and_ignore_the_bed():
    tl = timeline(EVENTS, 12.0)
    assert audible_spans(tl, 0.5) == (Span(1.0, 3.0), Span(6.0, 6.55), Span(10.0, 11.5))
    assert audible_spans(tl, 0.0) == (Span(1.0, 2.5), Span(6.0, 6.05), Span(10.0, 11.0))


def test_silent_spans_are_the_rest_of_the_session():
    tl = timeline(EVENTS, 12.0)
    assert silent_spans(tl, 0.5) == (Span(0.0, 1.0), Span(3.0, 6.0), Span(6.55, 10.0), Span(11.5, 12.0))
    assert silent_spans(timeline([], 5.0), 0.5) == (Span(0.0, 5.0),)
    assert silent_spans(timeline([Event(0.0, 5.0, "speech", "one", text="x")], 5.0), 0.5) == ()


def test_no_speech_of_a_planned_routine_falls_in_a_silent_span():
    tl = plan_text("""
        title: Gate
        intro: Lie on your back. [pause 2s] Let your breath settle.
        steps:
          - title: Figure four
            sides: [right, left]
            say: Cross your {side} ankle over your {other} knee. Stop at once for sharp pain.
            for: 20s
            cues:
              - {at: half, say: Halfway.}
              - {countdown: 3}
          - rest: 10s
          - title: Breathe
            breaths: 3
        outro: Well done.
    """)
    silent = silent_spans(tl, 0.3)
    assert silent, "a routine with holds and rests has silences"
    for e in tl.events:
        if e.kind in ("speech", "sound"):
            for s in silent:
                assert e.end + 0.3 <= s.start + 1e-9 or s.end <= e.start + 1e-9, (e, s)
    holds = [e for e in tl.events if e.kind in ("hold", "rest")]
    assert sum(s.end - s.start for s in silent) > 0.5 * sum(h.length for h in holds)


def test_gate_follows_the_clock_pauses_skips_and_sounds_outside_the_timeline():
    gate = Gate(timeline(EVENTS, 12.0), guard=0.5)
    assert gate.quiet(0.5, True, now=100.0)
    assert not gate.quiet(1.2, True, now=100.7)  # speech
    assert not gate.quiet(2.6, True, now=102.1)  # the bell ended at 2.5: still within the guard
    assert gate.quiet(3.2, True, now=102.7)  # a hold, after the guard
    assert not gate.quiet(10.2, True, now=109.7)  # speech again...
    assert not gate.quiet(10.3, False, now=109.9)  # ...paused: the device still plays its buffer
    assert gate.quiet(10.3, False, now=110.25)  # paused for longer than the guard: quiet
    assert not gate.quiet(10.3, True, now=110.3)  # resumed in the middle of the speech
    assert not gate.quiet(4.0, True, now=110.4)  # "back" into the hold: what was played still echoes
    assert gate.quiet(4.5, True, now=110.9)
    gate.sound_outside(now=111.0, seconds=0.12)  # an acknowledgement
    assert not gate.quiet(5.0, True, now=111.5)
    assert gate.quiet(5.7, True, now=111.7)
    later = timeline(EVENTS + [Event(8.0, 9.0, "speech", "one", text="Later.")], 12.0)
    gate.follow(later)  # the player re-planned
    assert not gate.quiet(8.5, True, now=115.0)
