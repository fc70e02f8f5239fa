"""The routine format's timing rules, one by one, on real parsed text: durations and ranges, pace
and hold scale, pauses in speech, cues inside a hold (at, half, from the end, every, countdown),
breath patterns, rest and wait steps, and a cue that does not fit. Split from the routine format's
tests; what steps become (chapters, spoken text) and what loading checks are in
test_script_steps.py."""

import pytest

from testsupport.routines import holds, plan_text, speech
from voiceguide.errors import ScriptError
from voiceguide.routine.settings import range_position


@pytest.mark.parametrize("value, seconds", [("45", 45), ("45s", 45), ("2m", 120), ("1m30s", 90), ("2.5s", 2.5)])
def test_duration_forms_are_exact(value, seconds):
    t = plan_text(f"""
        title: T
        steps:
          - say: Hold it.
            for: {value}
    """)
    (hold,) = holds(t)
    assert hold.length == pytest.approx(seconds, abs=1e-9)


@pytest.mark.parametrize("pace, expected", [(0.5, 30), (0.8, 27), (1.0, 25), (1.25, 23), (2.0, 20)])
def test_range_is_chosen_by_pace(pace, expected):
    t = plan_text("""
        title: T
        steps:
          - say: Hold it.
            for: 20-30s
    """, pace=pace)
    assert holds(t)[0].length == expected


def test_range_position_is_monotonic_and_centred():
    assert range_position(1.0) == 0.5
    assert range_position(0.5) == 1.0 and range_position(2.0) == 0.0
    paces = [0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0]
    positions = [range_position(p) for p in paces]
    assert positions == sorted(positions, reverse=True)


def test_minute_ranges():
    t = plan_text("""
        title: T
        steps:
          - say: Hold it.
            for: 1m-1m30s
    """)
    assert holds(t)[0].length == 75


def test_exact_durations_ignore_pace_but_hold_scale_scales():
    text = """
        title: T
        steps:
          - say: Hold it.
            for: 40s
    """
    assert holds(plan_text(text, pace=0.5))[0].length == pytest.approx(40, abs=1e-9)
    assert holds(plan_text(text, pace=2.0))[0].length == pytest.approx(40, abs=1e-9)
    assert holds(plan_text(text, hold_scale=1.5))[0].length == pytest.approx(60, abs=1e-9)


def test_pause_splits_speech_exactly():
    t = plan_text("""
        title: T
        steps:
          - say: Lie down. [pause 2s] Let your breath settle.
    """)
    a, b = speech(t)
    assert a.text == "Lie down." and b.text == "Let your breath settle."
    assert b.start - a.end == pytest.approx(2.0)


def test_cues_at_half_negative_countdown_and_sound():
    t = plan_text("""
        title: T
        steps:
          - say: Hold.
            for: 60s
            cues:
              - at: 10s
                say: Keep going.
              - at: half
                say: Halfway.
              - at: -10s
                say: Ten seconds left.
              - at: 40s
                sound: chime
              - countdown: 3
    """)
    (hold,) = holds(t)
    h0 = hold.start
    offsets = {e.text or e.sound: round(e.start - h0, 6) for e in t.events if e.role in ("cue", "countdown")}
    assert offsets == {"Keep going.": 10, "Halfway.": 30, "Ten seconds left.": 50, "chime": 40, "3": 57, "2": 58, "1": 59}
    bells = [e for e in t.events if e.sound == "bell"]
    assert [round(b.start - h0, 6) for b in bells] == [0, 60]


def test_every_sound_repeats_and_skips_other_cues():
    t = plan_text("""
        title: T
        steps:
          - say: Hold.
            for: 60s
            cues:
              - every: 10s
                sound: tick
              - at: 30s
                say: Halfway there now.
    """)
    h0 = holds(t)[0].start
    ticks = [round(e.start - h0, 6) for e in t.events if e.role == "every"]
    assert ticks == [10, 20, 40, 50]  # 30 is taken by the spoken cue


@pytest.mark.parametrize("value, spoken", [("1", 1), ("all", 6), ("none", 0), (None, 2)])
def test_breath_cues(value, spoken):
    extra = f"\n    breath_cues: {value}" if value is not None else ""
    t = plan_text(f"""
title: T
breath: {{in: 4, out: 6}}
steps:
  - say: Breathe.
    breaths: 6{extra}
""")
    cues = [e for e in t.events if e.role == "breath"]
    spoken_breaths = sum(1 for e in cues if e.text == "Breathe in")
    tones = sum(1 for e in cues if e.sound == "inhale")
    assert spoken_breaths == spoken and tones == 6 - spoken
    (hold,) = holds(t)
    assert hold.length == pytest.approx(60)


def test_breath_pattern_with_hold_and_pace():
    t = plan_text("""
        title: T
        breath: 4-7-8
        steps:
          - say: Breathe.
            breaths: 2
            breath_cues: all
    """, pace=0.8)
    h0 = holds(t)[0].start
    starts = [(e.text, round(e.start - h0, 6)) for e in t.events if e.role == "breath"]
    assert starts == [
        ("Breathe in", 0), ("Hold", 5), ("Breathe out", 13.75),
        ("Breathe in", 23.75), ("Hold", 28.75), ("Breathe out", 37.5),
    ]
    assert holds(t)[0].length == pytest.approx(47.5)


def test_rest_wait_and_sound_steps(tmp_path):
    t = plan_text("""
        title: T
        wait_fallback: 15s
        steps:
          - rest: 15s
            say: Relax.
          - rest: 5s
          - wait: true
            say: Press a key when ready.
          - sound: chime
    """)
    kinds = [(e.kind, round(e.length, 3)) for e in t.events if e.kind in ("rest", "wait")]
    assert kinds == [("rest", 15), ("rest", 5), ("wait", 15)]
    assert [c.title for c in t.chapters] == ["Relax", "Rest", "Press a key when ready", "Chime"]
    rest = t.events[0]
    assert t.events[1].kind == "speech" and t.events[1].start == rest.start


def test_pace_scales_speech_gaps_and_breath():
    text = """
        title: T
        steps:
          - say: One two three four five six seven eight.
          - say: Next.
            breaths: 2
            breath_cues: none
    """
    slow, fast = plan_text(text, pace=0.8), plan_text(text, pace=1.25)
    assert speech(slow)[0].length > speech(fast)[0].length
    assert holds(slow)[0].length == pytest.approx(20 / 0.8)
    assert holds(fast)[0].length == pytest.approx(20 / 1.25)
    assert slow.duration > fast.duration


def test_cue_overflow_names_step_and_amount():
    with pytest.raises(ScriptError) as exc:
        plan_text("""
            title: T
            steps:
              - title: Short hold
                say: Hold.
                for: 5s
                cues:
                  - at: -1s
                    say: This sentence is much too long to fit in one second.
        """)
    (d,) = exc.value.diagnostics
    assert d.pos.line == 7
    assert "Short hold" in d.message and "overflows the end of the 5s hold by" in d.message
