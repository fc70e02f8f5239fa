"""The floor view: what it shows (a pure function of the timeline and the position), how it is
drawn (block digits, large letters, a layout per terminal size), and the real thing in tmux.

The tmux tests run `voiceguide play` in a detached tmux of a fixed size, playing to a null sink of
a private PulseAudio server, and read the screen with `tmux capture-pane`; every wait is a poll
with a deadline, so a slow machine only makes them slower.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from testsupport import ROOT
from testsupport.cli import command
from testsupport.routines import plan_text
from testsupport.terminal import TmuxScreen
from voiceguide.live.floor import font
from voiceguide.live.floor.digits import BLOCK, big_digits
from voiceguide.text import countdown_clock as clock
from voiceguide.live.floor.letters import big_letters, wrap_large
from voiceguide.plan.now import Now
from voiceguide.live.floor.view import layout
from voiceguide.plan.planner import plan
from voiceguide.plan.timeline import ChapterKind
from voiceguide.routine import load_routine
from voiceguide.routine.settings import resolve

SHIPPED = ROOT / "scripts" / "two-minute-reset.yaml"
FLOOR = ROOT / "tests" / "live" / "floor.yaml"
BLOCKS = set("\u2588\u2580\u2584 ")


def planned(path: Path, **settings):
    routine = load_routine(path)
    s = resolve(routine)
    return plan(routine, replace(s, **settings) if settings else s)


def event(tl, kind: str, step: str, role: str | None = None, text: str | None = None):
    return next(
        e for e in tl.events
        if e.kind == kind and e.step == step and (role is None or e.role == role) and (text is None or e.text == text)
    )


# ------------------------------------------------------------------ the state


def test_state_during_a_hold_with_sides():
    tl = planned(SHIPPED)
    hold = event(tl, "hold", "Seated figure four (right)")
    t = hold.start + 3.0
    s = Now(tl, t)
    assert (s.step, s.side) == ("Seated figure four", "right")
    assert (s.chapter, s.chapters) == (2, 5)
    assert s.countdown_kind == "hold"
    assert s.countdown == pytest.approx(hold.end - t)
    assert s.countdown_seconds == 12
    assert s.hold_progress == pytest.approx(3.0 / hold.length)
    assert s.session_progress == pytest.approx(t / tl.duration)
    assert s.next_step == "Seated figure four (left)"
    assert s.caption is None  # nothing is spoken 3 s into this hold
    assert s.breath is None  # a plain hold has no breath indicator
    assert not s.paused and not s.waiting


def test_more_time_shows_in_the_countdown_the_note_and_the_keys():
    """An extension planned in (steer's "extend") is what the floor view counts down; the keys line
    names + and t, and a command's note stands at the foot."""
    from voiceguide.plan.timeline import Extensions

    routine = load_routine(FLOOR)
    s = resolve(routine)
    tl = plan(routine, s)
    hold = event(tl, "hold", "Knee hug")
    longer = plan(routine, s, extensions=Extensions().plus(hold.chapter, 15.0))
    before, after = Now(tl, hold.start + 3.0), Now(longer, hold.start + 3.0)
    assert after.countdown == pytest.approx(before.countdown + 15.0) and after.countdown_seconds == 22
    assert after.hold_progress == pytest.approx(3.0 / 25.0)
    assert after.duration == pytest.approx(before.duration + 15.0)
    full = [line.plain for line in layout(after, 80, 24, True, ("more time: +15 s",))]
    keys = next(line for line in full if "q quit" in line)
    assert "+ more time" in keys and "t how long" in keys
    assert any("more time: +15 s" in line for line in full) and any("hold: 0:22 left" in line for line in full)


def test_caption_is_the_speech_under_the_position():
    tl = planned(SHIPPED)
    cue = event(tl, "speech", "Seated figure four (right)", role="cue")
    assert Now(tl, cue.start + 0.01).caption == cue.text
    assert Now(tl, cue.end - 0.01).caption == cue.text
    assert Now(tl, cue.end + 0.01).caption is None
    assert Now(tl, cue.start + 0.5).countdown_kind == "hold"  # the cue is heard inside the hold
    first = tl.speech()[0]
    assert Now(tl, 0.0).caption == first.text
    assert Now(tl, 0.0).step == "Introduction"


def test_countdown_rounds_up_so_it_reads_what_is_spoken():
    tl = planned(SHIPPED)
    for n in (3, 2, 1):
        spoken = event(tl, "speech", "Seated figure four (left)", role="countdown", text=str(n))
        s = Now(tl, spoken.start + 0.2)
        assert s.countdown_seconds == n and s.caption == str(n)


@pytest.mark.parametrize("pace", [1.0, 0.8, 1.25])
def test_breath_phase_follows_the_spoken_breaths(pace):
    tl = planned(SHIPPED, pace=pace)
    b = tl.settings.breath_at_pace
    hold = event(tl, "hold", "Slow breaths")
    cues = [e for e in tl.events if e.role == "breath"]
    assert len(cues) == 6
    for cue in cues:
        s = Now(tl, cue.start + 0.05)
        assert s.breath == cue.text.split()[-1].lower(), (cue.text, s.breath)
        assert s.caption == cue.text
    s = Now(tl, hold.start + b.inhale / 2)
    assert s.breath == "in" and s.breath_progress == pytest.approx(0.5)
    s = Now(tl, hold.start + b.inhale + b.exhale * 0.25)
    assert s.breath == "out" and s.breath_progress == pytest.approx(0.25)
    assert Now(tl, hold.end + 0.01).breath is None


def test_breath_phase_with_a_held_breath_and_sound_cues():
    tl = plan_text(
        """
        title: Box
        breath: {in: 4, hold: 2, out: 4}
        steps:
          - title: Box breaths
            breaths: 3
            breath_cues: 1
        """
    )
    hold = event(tl, "hold", "Box breaths")
    assert any(e.kind == "sound" and e.role == "breath" for e in tl.events)  # later breaths are sounds
    later = hold.start + 2 * 10.0  # the third breath: no words, only the breath sounds
    assert Now(tl, later + 1.0).breath == "in"
    assert Now(tl, later + 5.0).breath == "hold"
    assert Now(tl, later + 5.0).breath_progress == pytest.approx(0.5)
    assert Now(tl, later + 9.0).breath == "out"


def test_paused_waiting_and_a_wait_step():
    tl = planned(ROOT / "tests" / "live" / "wait.yaml")
    wait = next(e for e in tl.events if e.kind == "wait")
    s = Now(tl, wait.start, waiting=True)
    assert s.waiting and s.countdown_kind == "wait" and s.step == "Wait for you" and s.next_step == "Begin"
    assert Now(tl, 0.5, paused=True).paused
    end = Now(tl, tl.duration)
    assert end.session_progress == 1.0 and end.left == 0.0 and end.next_step is None


def test_chapters_carry_their_step_side_and_kind():
    tl = plan_text("""
        title: Sides
        intro: Hello.
        steps:
          - repeat: 2
            steps:
              - title: Lunge
                say: Step forward.
                sides: [left, right]
                for: 10s
          - title: Shoulder rolls (gently)
            say: Roll.
            for: 10s
    """)
    assert [(c.title, c.step, c.side, c.kind) for c in tl.chapters] == [
        ("Introduction", "Introduction", None, ChapterKind.INTRO),
        ("Lunge (left, round 1 of 2)", "Lunge", "left, round 1 of 2", ChapterKind.STEP),
        ("Lunge (right, round 1 of 2)", "Lunge", "right, round 1 of 2", ChapterKind.STEP),
        ("Lunge (left, round 2 of 2)", "Lunge", "left, round 2 of 2", ChapterKind.STEP),
        ("Lunge (right, round 2 of 2)", "Lunge", "right, round 2 of 2", ChapterKind.STEP),
        ("Shoulder rolls (gently)", "Shoulder rolls (gently)", None, ChapterKind.STEP),
    ]
    shown = Now(tl, tl.chapters[2].start + 0.1)
    assert (shown.step, shown.side) == ("Lunge", "right, round 1 of 2")


# ------------------------------------------------------------------ the drawing


def test_every_digit_is_five_rows_of_blocks():
    shapes = set()
    for ch in "0123456789:":
        rows = big_digits(ch)
        assert len(rows) >= 5
        assert len({len(r) for r in rows}) == 1
        assert set("".join(rows)) <= {BLOCK, " "}
        assert all(BLOCK in r for r in rows) or ch == ":"
        shapes.add(tuple(rows))
    assert len(shapes) == 11  # no two look alike
    assert len(big_digits("0:15", scale=2)) == 10
    assert clock(75) == "1:15" and clock(5) == "0:05" and clock(3725) == "1:02:05"


def test_large_letters_are_three_rows_of_blocks():
    rows = big_letters("Seated figure four, right!")
    assert len(rows) == 3 and set("".join(rows)) <= BLOCKS
    assert font.covers("Étirement du psoas")  # accented capitals drawn as their base letter
    assert wrap_large("Seated figure four", 60, 2) == ["Seated figure", "four"]
    assert wrap_large("Seated figure four", 40, 2) is None  # three lines: too tall, plain text instead
    assert wrap_large("深呼吸", 80, 2) is None  # not in the font: the view falls back to plain text


def block_rows(lines: list[str]) -> list[str]:
    """Rows drawn only with blocks (a big digit or letter row), at least 6 cells of ink."""
    return [ln for ln in lines if ln.strip() and set(ln) <= BLOCKS and ln.count(BLOCK) >= 6]


def test_layout_fits_every_size_and_keeps_step_and_countdown():
    tl = planned(SHIPPED)
    hold = event(tl, "hold", "Seated figure four (right)")
    s = Now(tl, hold.start + 3.0)
    for width in (20, 30, 40, 60, 80, 100, 140, 200):
        for height in (6, 8, 12, 18, 24, 40, 60):
            lines = [ln.plain for ln in layout(s, width, height)]
            assert len(lines) == height
            assert all(len(ln) <= width for ln in lines), (width, height)
            text = "\n".join(lines)
            if width >= 40 and height >= 12:
                assert len(block_rows(lines)) >= 5, (width, height, text)
                assert "SEATED FIGURE FOUR" in text or len(block_rows(lines)) >= 8
            if width >= 80 and height >= 24:
                assert "next: Seated figure four (left)" in text and "q quit" in text
            elif width >= 20:
                assert "next:" not in text and "q quit" not in text
    small = "\n".join(ln.plain for ln in layout(s, 30, 8))
    assert "hold: 0:12 left" in small and "SEATED" in small


def test_layout_shows_pause_and_wait_unmistakably():
    tl = planned(ROOT / "tests" / "live" / "wait.yaml")
    wait = next(e for e in tl.events if e.kind == "wait")
    for size in ((80, 24), (40, 12)):
        paused = "\n".join(ln.plain for ln in layout(Now(tl, 0.5, paused=True), *size))
        waiting = "\n".join(ln.plain for ln in layout(Now(tl, wait.start, waiting=True), *size))
        assert "paused · space to resume" in paused
        assert "press any key to go on" in waiting and "wait:" not in waiting


# ------------------------------------------------------------------ the real thing, in tmux


def floor_play(pulse, cache: Path, tmp: Path, routine: Path, width: int, height: int) -> TmuxScreen:
    """`voiceguide play` in a detached tmux of its own (own socket), on its own null sink."""
    env = dict(pulse.env, PULSE_SINK=pulse.new_sink(), VOICEGUIDE_CACHE_DIR=str(cache), TERM="xterm-256color")
    return TmuxScreen(command("play", str(routine), "--engine", "espeak"), env=env, tmp=tmp, width=width,
                      height=height, name="floor")


@pytest.fixture
def tmux_play(pulse, cache, tmp_path):
    if shutil.which("tmux") is None:
        pytest.fail("the floor view tests need tmux: sudo apt-get install tmux (./dev test installs it)", pytrace=False)
    sessions: list[TmuxScreen] = []

    def start(routine: Path, width: int, height: int) -> TmuxScreen:
        folder = tmp_path / f"tmux{len(sessions)}"
        folder.mkdir()
        sessions.append(floor_play(pulse, cache, folder, routine, width, height))
        return sessions[-1]

    yield start
    for t in sessions:
        t.close()


HOLD = re.compile(r"hold: (\d+):(\d\d) left")


def hold_left(screen: str) -> int | None:
    m = HOLD.search(screen)
    return int(m[1]) * 60 + int(m[2]) if m else None


EIGHTHS = "\u258f\u258e\u258d\u258c\u258b\u258a\u2589"


def filled(line: str) -> float:
    """How much of a bar line is filled, in cells (an eighth block counts its eighths)."""
    return line.count(BLOCK) + sum((EIGHTHS.index(ch) + 1) / 8 for ch in line if ch in EIGHTHS)


def hold_bar(screen: str) -> float:
    """The hold's bar: the first shaded line without a time on it."""
    return filled(next(ln for ln in screen.splitlines() if "\u2591" in ln and "left" not in ln))


def session_bar(screen: str) -> float:
    return filled(next(ln for ln in screen.splitlines() if "\u2591" in ln and ln.rstrip().endswith("left")))


def test_floor_view_at_80x24(tmux_play):
    t = tmux_play(FLOOR, 80, 24)
    intro = t.until("the intro's words as a caption", lambda s: "Lie down on the mat." in s)
    assert "INTRO" not in intro and "Floor test" in intro and "q quit" in intro
    first = t.until("big digits during the hold", lambda s: hold_left(s) is not None and len(block_rows(s.splitlines())) >= 5)
    assert hold_left(first) >= 5
    assert "Let your shoulders soften." not in first  # the cue's words only while it is heard (4 s in)
    later = t.until("the countdown moving on", lambda s: (hold_left(s) or 99) <= hold_left(first) - 2)
    assert len(block_rows(later.splitlines())) >= 5
    assert hold_bar(later) > hold_bar(first)
    assert session_bar(later) > session_bar(first)
    t.until("the cue's words as a caption", lambda s: "Let your shoulders soften." in s and hold_left(s) is not None)
    t.until("the breath indicator", lambda s: "BREATHE IN" in s or "BREATHE OUT" in s)
    assert t.quit() == 0
    assert "Traceback" not in t.stderr()


def test_floor_view_at_40x12_and_on_resize(tmux_play):
    t = tmux_play(FLOOR, 40, 12)
    small = t.until("the step and big digits", lambda s: "KNEE HUG" in s and len(block_rows(s.splitlines())) >= 5)
    assert "next:" not in small and "q quit" not in small and "Floor test" not in small  # no decoration
    assert all(len(ln) <= 40 for ln in small.splitlines())
    t.resize(80, 24)
    t.until("the full view after the resize", lambda s: "next: Slow breaths" in s and "q quit" in s)
    assert t.quit() == 0
    assert "Traceback" not in t.stderr()


def test_notices_stand_at_the_foot_of_the_full_view_only():
    """A controller's notice (the remote's address) is kept at the foot from 80x24 up; smaller
    screens keep the step and the countdown instead."""
    timeline = plan_text(
        """
        title: Notice test
        steps:
          - title: Stretch
            say: Hold it.
            for: 30s
        """
    )
    notice = "phone remote: http://192.168.1.23:8766/"
    state = Now(timeline, timeline.duration / 2)
    full = [line.plain for line in layout(state, 80, 24, True, (notice,))]
    assert full.index(next(l for l in full if "q quit" in l)) + 1 == full.index(next(l for l in full if notice in l))
    assert sum("█" in l for l in full) >= 5  # the big digits are still there
    small = [line.plain for line in layout(state, 40, 12, True, (notice,))]
    assert not any(notice in l for l in small)
