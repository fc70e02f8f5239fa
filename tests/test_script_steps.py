"""The routine format's rules for what steps become, one by one, on real parsed text: the spec's
complete example, sides, repeats, titles, placeholders and their grammar, the introduction chapter,
the timeline's JSON, settings and their overrides, and what loading reports and types. Split from
the routine format's tests; the timing rules are in test_script_timing.py."""

import json
import shutil

import pytest

from testsupport import ROOT
from testsupport.routines import holds, load_text, plan_text, speech
from voiceguide.errors import ScriptError
from voiceguide.plan.planner import plan
from voiceguide.routine import BreathHold, Hold, Repeat, Rest, parse_routine
from voiceguide.routine.settings import resolve

SPEC = (ROOT.parent / "shared" / "design" / "routine-format.md")


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


def test_yaml_booleans_stay_text_where_text_is_expected():
    r = load_text("""
        title: yes
        steps:
          - say: no
            sides: [on, off]
    """)
    assert r.title == "yes" and r.steps[0].sides == ("on", "off")
