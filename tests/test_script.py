"""The routine format's rules, one by one, on real parsed text."""

import json
import shutil

import pytest

from testsupport import ROOT
from testsupport.routines import load_text, plan_text
from voiceguide.errors import ScriptError
from voiceguide.plan.planner import plan
from voiceguide.routine import BreathHold, Hold, Repeat, Rest, parse_routine
from voiceguide.routine.settings import range_position, resolve

SPEC = (ROOT.parent / "shared" / "design" / "routine-format.md")


def holds(timeline):
    return [e for e in timeline.events if e.kind == "hold"]


def speech(timeline):
    return [e for e in timeline.events if e.kind == "speech"]


def test_spec_complete_example_plans(tmp_path):
    if not SPEC.exists():
        pytest.skip("the shared design folder is not beside the repo")
    text = SPEC.read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    shutil.copy(ROOT / "sounds" / "bell.wav", tmp_path / "my-gong.wav")
    routine = parse_routine(text, path=tmp_path / "example.yaml", name="example.yaml")
    timeline = plan(routine, resolve(routine))
    titles = [c.title for c in timeline.chapters]
    assert titles[0] == "Introduction"
    assert "Figure four on the ball (right)" in titles and "Figure four on the ball (left)" in titles
    assert "Glute bridge (round 2 of 2)" in titles
    assert titles[-1] == "Gong"
    assert timeline.events[-1].text == "Well done. Drink some water."


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


def test_sides_expand_with_switch_and_brief():
    t = plan_text("""
        title: T
        steps:
          - title: Figure four
            sides: [right, left]
            say: Cross your {side} ankle over your {other} knee.
            brief: Now the {side} side.
            for: 30s
    """)
    assert [c.title for c in t.chapters] == ["Figure four (right)", "Figure four (left)"]
    texts = [e.text for e in speech(t)]
    assert texts == ["Cross your right ankle over your left knee.", "Switch sides.", "Now the left side."]
    left = t.chapters[1].start
    chime = [e for e in t.events if e.kind == "sound" and e.sound == "chime"]
    assert chime and chime[0].start == pytest.approx(left)
    assert [e.step for e in holds(t)] == ["Figure four (right)", "Figure four (left)"]


def test_repeat_rounds_and_brief():
    t = plan_text("""
        title: T
        steps:
          - repeat: 3
            steps:
              - title: Bridge
                say: Round {round} of {rounds}. Lift your hips.
                brief: Round {round}. Again.
                for: 10s
    """)
    assert [c.title for c in t.chapters] == [f"Bridge (round {i} of 3)" for i in (1, 2, 3)]
    texts = [e.text for e in speech(t) if e.role == "narration"]
    assert texts == ["Round 1 of 3. Lift your hips.", "Round 2. Again.", "Round 3. Again."]


def test_title_defaults_to_first_words_of_say():
    t = plan_text("""
        title: T
        steps:
          - say: March gently on the spot and swing your arms. Then stop.
    """)
    assert t.chapters[0].title == "March gently on the spot…"


def test_placeholders_duration_breaths_next():
    t = plan_text("""
        title: T
        steps:
          - say: Hold for {duration}. Next comes {next}.
            for: 1m30s
          - title: Slow breathing
            say: Take {breaths} slow breaths.
            breaths: 5
    """)
    texts = [e.text for e in speech(t) if e.role == "narration"]
    assert texts == [
        "Hold for one minute and thirty seconds. Next comes Slow breathing.",
        "Take five slow breaths.",
    ]


@pytest.mark.parametrize(
    "say, spoken",
    [
        ("Take {breaths} slow breaths.", "Take one slow breath."),
        ("Stay for {breaths} breaths, and let go.", "Stay for one breath, and let go."),
        ("Take {breaths} deep, slow breaths. As you breathe out, soften.", "Take one deep, slow breath. As you breathe out, soften."),
        ("Follow {breaths} breaths.", "Follow one breath."),
        ("Breaths: {breaths}. Count the breaths.", "Breaths: one. Count the breaths."),
    ],
)
def test_one_breath_is_said_in_the_singular(say, spoken):
    t = plan_text(f"""
        title: T
        steps:
          - say: "{say}"
            breaths: 1
    """)
    assert [e.text for e in speech(t) if e.role == "narration"] == [spoken]


def test_next_skips_the_other_side_of_the_same_step():
    t = plan_text("""
        title: T
        steps:
          - title: Stretch
            sides: [right, left]
            say: Stretch the {side}. Then {next}.
            for: 10s
          - title: Rest well
            rest: 5s
    """)
    assert speech(t)[0].text == "Stretch the right. Then Rest well."


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


def test_introduction_chapter_only_with_intro_or_safety():
    assert plan_text("title: T\nsteps:\n  - say: Hi.\n").chapters[0].title == "Hi"
    t = plan_text("title: T\nsafety: [Stop if it hurts.]\nsteps:\n  - say: Hi.\n")
    assert t.chapters[0].title == "Introduction" and t.chapters[0].start == 0
    assert [e.step for e in speech(t)] == ["safety", "Hi"]


def test_timeline_json_shape():
    t = plan_text("""
        title: Shape
        intro: Hello.
        steps:
          - say: Hold.
            for: 10s
        outro: Bye.
    """)
    data = json.loads(json.dumps(t.to_json()))
    assert data["title"] == "Shape"
    assert data["duration"] == pytest.approx(max(e["end"] for e in data["events"]), abs=1e-3)
    assert all(set(c) >= {"start", "title"} for c in data["chapters"])
    starts = [e["start"] for e in data["events"]]
    assert starts == sorted(starts)
    for e in data["events"]:
        assert {"start", "end", "kind", "step"} <= set(e)
        assert e["kind"] in {"speech", "sound", "hold", "rest", "wait"}
        assert ("text" in e) == (e["kind"] == "speech")
    assert [e["step"] for e in data["events"] if e["kind"] == "speech"] == ["intro", "Hold", "outro"]


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


def test_routine_defaults_and_cli_override_precedence():
    r = load_text("""
        title: T
        pace: gentle
        rate: 140
        breath: {in: 3, out: 5}
        voice: en-us+f3
        steps:
          - say: Hi.
    """)
    from voiceguide.routine.settings import Overrides

    s = resolve(r)
    assert (s.pace, s.rate, s.breath.inhale, s.breath.exhale, s.voice) == (0.8, 140, 3, 5, "en-us+f3")
    s = resolve(r, Overrides(pace=1.25, rate=180))
    assert (s.pace, s.rate, s.voice) == (1.25, 180, "en-us+f3")


def test_all_problems_of_a_file_are_reported_at_once():
    with pytest.raises(ScriptError) as exc:
        load_text("""
            titel: T
            steps:
              - say: Hi {sid}.
                for: abc
              - wait: false
        """)
    messages = [str(d) for d in exc.value.diagnostics]
    assert any(m.startswith("test.yaml:1:1: unknown key 'titel'") and "did you mean 'title'" in m for m in messages)
    assert any(m.startswith("test.yaml:3:13:") and "{sid}" in m and "did you mean {side}" in m for m in messages)
    assert any(m.startswith("test.yaml:4:10:") and "not a duration" in m for m in messages)
    assert any(m.startswith("test.yaml:5:11:") and "wait takes only `true`" in m for m in messages)


def test_step_kinds_are_typed():
    r = load_text("""
        title: T
        steps:
          - say: a
            for: 1m
          - say: b
            breaths: 5-6
          - rest: 10s
          - repeat: 2
            steps:
              - say: c
    """)
    assert [type(s) for s in r.steps] == [Hold, BreathHold, Rest, Repeat]
    assert r.steps[1].breaths.low == 5 and r.steps[1].breaths.high == 6


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


def test_yaml_booleans_stay_text_where_text_is_expected():
    r = load_text("""
        title: yes
        steps:
          - say: no
            sides: [on, off]
    """)
    assert r.title == "yes" and r.steps[0].sides == ("on", "off")
