"""Property-based tests: for any valid routine and settings, the timeline keeps its invariants."""

import math

import yaml
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from testsupport.routines import load_text
from voiceguide.errors import ScriptError
from voiceguide.plan.planner import plan
from voiceguide.routine import iter_steps
from voiceguide.routine.settings import Breath, Settings
from voiceguide.plan.timeline import Extensions

WORDS = st.sampled_from("slowly breathe roll the ball glute hip press lean into your left right knee and".split())
SENTENCE = st.lists(WORDS, min_size=1, max_size=8).map(lambda ws: " ".join(ws).capitalize() + ".")
SECONDS = st.integers(min_value=10, max_value=180)


@st.composite
def durations(draw):
    lo = draw(SECONDS)
    form = draw(st.sampled_from(["plain", "s", "ms", "range"]))
    if form == "plain":
        return lo, lo, lo
    if form == "s":
        return f"{lo}s", lo, lo
    if form == "ms":
        m, s = divmod(lo, 60)
        return (f"{m}m{s}s" if m else f"{s}s"), lo, lo
    hi = lo + draw(st.integers(min_value=1, max_value=60))
    return f"{lo}-{hi}s", lo, hi


@st.composite
def steps(draw, depth=0, in_repeat=False):
    kind = draw(st.sampled_from(["spoken", "for", "breaths", "rest", "sound", "wait"] + (["repeat"] if depth == 0 else [])))
    step: dict = {}
    sides = kind in ("spoken", "for", "breaths") and draw(st.booleans())
    if sides:
        step["sides"] = ["right", "left"]
    if draw(st.booleans()):
        step["title"] = draw(SENTENCE).rstrip(".")
    say = draw(SENTENCE)
    if sides:
        say += " Use your {side} side, not the {other}."
    if in_repeat and draw(st.booleans()):
        say += " Round {round} of {rounds}."
    if kind == "spoken":
        step["say"] = say
    elif kind == "for":
        step["say"] = say + " Hold for {duration}."
        text, lo, hi = draw(durations())
        step["for"] = text
        if lo >= 30 and draw(st.booleans()):
            step["cues"] = [{"at": "half", "say": "Halfway."}, {"countdown": 3}]
        if draw(st.booleans()):
            step["setup"] = f"{draw(st.integers(1, 15))}s"
    elif kind == "breaths":
        step["say"] = say + " Take {breaths} breaths."
        n = draw(st.integers(1, 8))
        step["breaths"] = n if draw(st.booleans()) else f"{n}-{n + draw(st.integers(1, 3))}"
        step["breath_cues"] = draw(st.sampled_from([0, 1, 2, "all", "none"]))
    elif kind == "rest":
        text, lo, hi = draw(durations())
        step["rest"] = text
    elif kind == "sound":
        step["sound"] = draw(st.sampled_from(["bell", "chime", "tick", "inhale", "exhale"]))
    elif kind == "wait":
        step["wait"] = True
        if draw(st.booleans()):
            step["say"] = say
    else:
        step = {"repeat": draw(st.integers(1, 3)), "steps": draw(st.lists(steps(depth=1, in_repeat=True), min_size=1, max_size=3))}
    if kind in ("spoken", "for", "breaths") and (sides or in_repeat) and draw(st.booleans()):
        step["brief"] = "Again" + (" on the {side}." if sides else ".")
    return step


@st.composite
def routines(draw):
    doc: dict = {"title": draw(SENTENCE).rstrip(".")}
    if draw(st.booleans()):
        doc["intro"] = draw(SENTENCE) + " [pause 1s] " + draw(SENTENCE)
    if draw(st.booleans()):
        doc["safety"] = draw(st.lists(SENTENCE, min_size=1, max_size=3))
    doc["steps"] = draw(st.lists(steps(), min_size=1, max_size=6))
    if draw(st.booleans()):
        doc["outro"] = draw(SENTENCE)
    return doc


FIT_WORDS = ("overlaps", "overflows", "does not fit", "comes after", "comes before", "takes")

SETTINGS = st.builds(
    Settings,
    pace=st.floats(min_value=0.5, max_value=2.0),
    hold_scale=st.floats(min_value=0.5, max_value=2.0),
    breath=st.builds(Breath, st.floats(2, 8), st.floats(2, 10), st.sampled_from([0.0, 2.0, 7.0])),
    rate=st.floats(min_value=100, max_value=250),
)


def expected_chapters(doc) -> int:
    def count(step) -> int:
        if "repeat" in step:
            return step["repeat"] * sum(count(s) for s in step["steps"])
        return 2 if "sides" in step else 1

    return sum(count(s) for s in doc["steps"]) + (1 if "intro" in doc or "safety" in doc else 0)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=routines(), s=SETTINGS)
def test_timeline_invariants(doc, s):
    routine = load_text(yaml.safe_dump(doc, sort_keys=False))
    try:
        t = plan(routine, s)
    except ScriptError as exc:
        # At extreme settings a cue may not fit its hold: that must be a positioned, explained refusal.
        for d in exc.diagnostics:
            assert d.pos.line >= 1 and any(w in d.message for w in FIT_WORDS), str(d)
        return
    events = t.events
    # sorted, well-formed
    assert [e.start for e in events] == sorted(e.start for e in events)
    assert all(0 <= e.start <= e.end for e in events)
    # total = end of the last event
    assert math.isclose(t.duration, max(e.end for e in events), abs_tol=1e-9)
    # no overlapping speech
    spoken = sorted((e for e in events if e.kind == "speech"), key=lambda e: e.start)
    for a, b in zip(spoken, spoken[1:]):
        assert a.end <= b.start + 1e-9, (a, b)
    # one chapter per step, side and round (plus the introduction), in order
    assert len(t.chapters) == expected_chapters(doc)
    assert [c.start for c in t.chapters] == sorted(c.start for c in t.chapters)
    if "intro" in doc or "safety" in doc:
        assert t.chapters[0].start == 0 and t.chapters[0].title == "Introduction"
    # holds are exact: timed holds = chosen length x hold scale, breath holds = breaths x cycle
    cycle = s.breath_at_pace.cycle
    hold_steps = [st_ for st_ in iter_steps(routine.steps) if st_.kind in ("for", "breaths")]
    for hold in (e for e in events if e.kind == "hold"):
        inside = [e for e in events if e.kind != "hold" and hold.start <= e.start < hold.end]
        # every cue (speech, sound) inside a hold ends by the hold's end
        for e in inside:
            if e.role != "hold-start":
                assert e.end <= hold.end + 1e-9, (e, hold)
        # the next thing after the hold is heard no earlier than its end, and the end bell rings at the end
        after = [e for e in events if e.start >= hold.end - 1e-9 and e is not hold]
        assert any(e.sound == "bell" and abs(e.start - hold.end) < 1e-9 for e in after)
        narration_after = [e for e in events if e.kind == "speech" and e.role in ("narration", "transition") and e.start > hold.start]
        assert all(e.start >= hold.end - 1e-9 for e in narration_after)
        n = hold.length / cycle
        lengths_ok = abs(n - round(n)) < 1e-6 or any(
            st_.kind == "for" and st_.length.low * s.hold_scale - 1e-6 <= hold.length <= (st_.length.high) * s.hold_scale + 1e-6
            for st_ in hold_steps
        )
        assert lengths_ok, hold
    # every event belongs to a chapter (or the introduction)
    assert all(e.chapter >= 0 for e in events)


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=routines(), s=SETTINGS, data=st.data())
def test_more_time_moves_everything_after_the_hold_exactly(doc, s, data):
    """"More time" (an extension planned in) lengthens one hold or rest and moves all that follows it by
    exactly what was added: 15 s for a timed hold or rest, whole breaths for a breath hold."""
    routine = load_text(yaml.safe_dump(doc, sort_keys=False))
    try:
        before = plan(routine, s)
    except ScriptError:
        return
    holds = [e for e in before.events if e.kind.extendable]
    if not holds:
        return
    old = data.draw(st.sampled_from(holds))
    after = plan(routine, s, extensions=Extensions().plus(old.chapter, 15.0).plus(old.chapter, 0.0))
    new = next(e for e in after.events if e.kind == old.kind and e.chapter == old.chapter)
    added = new.end - old.end
    cycle = s.breath_at_pace.cycle
    if any(e.role == "breath" and e.chapter == old.chapter for e in before.events):
        assert math.isclose(added, max(1, int(15.0 / cycle + 0.5)) * cycle, abs_tol=1e-6)
    else:
        assert math.isclose(added, 15.0, abs_tol=1e-9)
    assert new.start == old.start and math.isclose(after.duration, before.duration + added, abs_tol=1e-9)

    def outside(tl):  # what is not inside the hold (the bed's end follows the session's)
        return [e for e in tl.events if e.role != "ambient" and not (e.chapter == old.chapter and old.start <= e.start < e_end(tl))]

    def e_end(tl):
        return next(e.end for e in tl.events if e.kind == old.kind and e.chapter == old.chapter)

    earlier = [e for e in outside(before) if e.start < old.start]
    assert earlier == [e for e in outside(after) if e.start < old.start]
    later_before = [e for e in outside(before) if e.start >= old.start]
    later_after = [e for e in outside(after) if e.start >= old.start]
    assert len(later_before) == len(later_after)
    for a, b in zip(later_before, later_after):
        assert abs(b.start - a.start - added) < 1e-9 and abs(b.end - a.end - added) < 1e-9, (a, b)
        assert (a.kind, a.text, a.sound, a.role, a.chapter) == (b.kind, b.text, b.sound, b.role, b.chapter)
    for a, b in zip(before.chapters, after.chapters):
        assert abs(b.start - a.start - (added if a.start > old.start else 0.0)) < 1e-9
