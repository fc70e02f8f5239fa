"""Steering a live session (steer.py): the commands that keys, spoken words and the phone remote
send, applied in process to a real player playing a real timeline (espeak-ng clips, no device)."""

from __future__ import annotations

import numpy as np
import pytest

from testsupport import ROOT
from testsupport.player import (BLOCK, chapter_starts, frames, hold_of, play_for, play_to, play_until_waiting,
                                 player_for, rendered)
from voiceguide import dsp
from voiceguide.live.ahead import Ahead, prepare_live
from voiceguide.live.player import Player
from voiceguide.plan.planner import plan
from voiceguide.live.steer import COMMANDS, KEYS, MORE_TIME, command_for_key, steer
from voiceguide.voice import ClipCache

LIVE = ROOT / "tests" / "live"


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return ClipCache(tmp_path_factory.mktemp("steer-clips"))


def test_every_key_maps_to_a_known_command():
    assert set(KEYS.values()) <= set(COMMANDS)
    assert [command_for_key(k) for k in "+=tT"] == ["extend", "extend", "remaining", "remaining"]
    assert command_for_key("x") is None
    with pytest.raises(ValueError):
        steer(None, "dance")  # type: ignore[arg-type]


def test_pause_and_resume_are_explicit(clips):
    p = player_for("back.yaml", clips)
    play_for(p, 0.5)
    steer(p, "pause")
    steer(p, "pause")  # saying it twice keeps it paused (a toggle would not)
    at = p.position
    assert not play_for(p, 0.5).any() and p.position == at
    steer(p, "resume")
    steer(p, "resume")
    play_for(p, 0.2)
    assert p.position == at + 20 * BLOCK and not p.paused
    steer(p, "toggle")
    assert p.paused


def test_next_back_and_repeat(clips):
    p = player_for("back.yaml", clips)
    starts = chapter_starts(p)
    assert len(starts) >= 2
    steer(p, "next")
    assert p.position == round(starts[1] * dsp.RATE)
    play_for(p, 5.0)  # well into the second step
    steer(p, "repeat")
    assert p.position == round(starts[1] * dsp.RATE)  # the step again
    play_for(p, 1.0)
    steer(p, "back")  # only just begun: back means the step before
    assert p.position == round(starts[0] * dsp.RATE)
    steer(p, "next")
    play_for(p, 4.0)
    steer(p, "back")  # 4 s in: back to the start of this step
    assert p.position == round(starts[1] * dsp.RATE)


def test_stop_ends_the_session(clips):
    p = player_for("back.yaml", clips)
    play_for(p, 0.3)
    steer(p, "stop")
    assert p.finished.is_set()


def test_a_wait_ends_on_anything_but_pause(clips):
    p = player_for("wait.yaml", clips, interactive_waits=True)
    play_until_waiting(p)
    assert p.waiting
    at = p.position
    steer(p, "pause")
    assert p.waiting and not p.paused and p.position == at
    steer(p, "resume")  # "continue" ends the wait
    assert not p.waiting and p.position > at


def test_overlay_is_heard_even_while_paused_and_keeps_the_clock(clips):
    p = player_for("back.yaml", clips)
    play_for(p, 0.2)
    steer(p, "pause")
    at = p.position
    tone = 0.25 * np.sin(2 * np.pi * 880 * np.arange(int(0.05 * dsp.RATE)) / dsp.RATE).astype(np.float32)
    p.overlay(tone)
    heard = play_for(p, 0.1)
    assert p.position == at
    assert np.abs(heard[: len(tone)]).max() > 0.2 * 32767
    assert not heard[len(tone):].any()


# ------------------------------------------------------------------ more time, how long


def test_more_time_in_a_hold_moves_all_that_follows_15_s_later_to_the_sample(clips):
    ahead = rendered("more-time.yaml", clips)
    before = ahead.timeline
    hold = hold_of(before, 0)
    straight = play_to(Player(before, ahead.voice.clip), before.duration + 1)
    p = Player(before, ahead.voice.clip, planner=ahead)
    heard = play_to(p, hold.start + 5.0)  # after the cue at 2 s
    at = p.position
    steer(p, "extend")
    assert p.position == at and p.status().note == "more time: +15 s"
    after = p.timeline
    assert hold_of(after, 0).end - hold.end == MORE_TIME
    assert round(after.duration * dsp.RATE) - round(before.duration * dsp.RATE) == frames(MORE_TIME)
    for old, new in zip(before.events, after.events):
        if old == hold:
            assert (new.start, new.end) == (hold.start, hold.end + MORE_TIME)
        elif old.start < hold.start + 5.0 and not old.role == "countdown" and old.text != "Almost there.":
            assert new == old  # what is before the position stays, the cue counted from the start too
        else:  # the cue counted from the end, the countdown, the bell and every later step: 15 s later
            assert frames(new.start) - frames(old.start) == frames(MORE_TIME), (old, new)
    heard = np.concatenate([heard, play_to(p, after.duration + 1)])[: frames(after.duration)]
    straight = straight[: frames(before.duration)]
    cut, shift = frames(hold.end - 8.0), frames(MORE_TIME)
    assert np.array_equal(heard[:cut], straight[:cut])
    assert not heard[cut : cut + shift].any()  # the hold, longer: silence
    rest = heard[cut + shift :]
    assert rest.size == straight[cut:].size and np.array_equal(rest, straight[cut:])
    assert np.abs(rest).max() > 1000  # the cue, countdown, bell and later steps: heard


def test_more_time_survives_the_render_aheads_re_plans(clips):
    ahead = prepare_live(LIVE / "more-time.yaml", engine="espeak", cache=clips)  # the first words only
    p = Player(ahead.timeline, ahead.clip, until=ahead.mixable_until, planner=ahead)
    hold = hold_of(ahead.timeline, 0)
    play_to(p, hold.start + 3.0)
    countdown = p.status().countdown
    steer(p, "extend")
    steer(p, "extend")  # twice: 30 s
    shown = p.status()  # what the floor view, the phone and "how long" all read
    assert shown.countdown == pytest.approx(countdown + 2 * MORE_TIME) and shown.countdown_kind == "hold"
    assert shown.hold_progress < 0.1  # 3 s into 60
    while not ahead.all_rendered:
        ahead.render_some(1, p.update)  # real lengths arrive: each re-plan keeps the extension
    plain = plan(ahead.routine, ahead.settings, ahead.lengths)
    assert p.timeline == ahead.timeline and p.timeline != plain
    assert hold_of(p.timeline, 0).end == hold_of(plain, 0).end + 2 * MORE_TIME
    later = [(frames(e.start), e.text) for e in plain.events if e.start >= hold_of(plain, 0).end]
    assert later == [(frames(e.start) - frames(2 * MORE_TIME), e.text)
                     for e in p.timeline.events if e.start >= hold_of(p.timeline, 0).end]  # to the sample


def test_more_time_in_narration_means_the_hold_to_come_and_a_step_without_one_says_so(clips):
    ahead = rendered("more-time.yaml", clips)
    p = Player(ahead.timeline, ahead.voice.clip, planner=ahead)
    hold = hold_of(p.timeline, 0)
    play_to(p, 0.3)  # "Stand tall."
    steer(p, "extend")
    assert hold_of(p.timeline, 0).length == hold.length + MORE_TIME
    steer(p, "next")  # "Shake out your arms": no hold in this step
    before = p.timeline
    steer(p, "extend")
    assert p.timeline is before and p.status().note == "more time: no hold or rest left in this step"
    steer(p, "next")  # two breaths of 4 s; 15 s is four more (whole breaths, the nearest)
    breaths = hold_of(p.timeline, 2)
    steer(p, "extend")
    assert hold_of(p.timeline, 2).length == breaths.length + 16.0 and p.status().note == "more time: +16 s"


def test_how_long_is_spoken_at_once_over_the_session(clips):
    p = player_for("more-time.yaml", clips)
    hold = hold_of(p.timeline, 0)
    play_to(p, hold.start + 8.0)  # 22 s left
    quiet = hold.start + 10.0  # nothing in the hold until "Almost there."
    at = p.position
    steer(p, "remaining")
    assert p.position == at and p.overlaying
    assert p.status().note == "Twenty seconds left."
    said = play_to(p, quiet)
    assert np.abs(said[: BLOCK * 10]).max() > 1000  # speech from the first blocks on
    assert not p.overlaying and not said[-BLOCK * 10 :].any()  # over before the hold's silence ends
    steer(p, "pause")
    steer(p, "remaining")  # heard while paused too, and the clock stays
    at = p.position
    assert np.abs(play_for(p, 1.0)).max() > 1000 and p.position == at


def test_how_long_outside_a_hold_is_the_session_and_neither_ends_a_wait(clips):
    p = player_for("wait.yaml", clips, interactive_waits=True)
    play_until_waiting(p)
    steer(p, "remaining")
    steer(p, "extend")
    assert p.waiting and p.overlaying
    assert p.status().note == "more time: no hold or rest left in this step"
    assert np.abs(play_for(p, 1.0)).max() > 1000


def test_how_long_is_said_as_a_person_would():
    from voiceguide.text import time_left_words

    assert [time_left_words(s) for s in (1, 22, 23, 57, 58, 89, 90)] == [
        "Five seconds left.", "Twenty seconds left.", "Twenty-five seconds left.", "Fifty-five seconds left.",
        "About one minute left.", "About one minute left.", "About two minutes left."]
    assert time_left_words(700, session=True) == "About twelve minutes left in the session."
    assert time_left_words(20, "de-DE") == "Noch 20 Sekunden."  # espeak-ng reads the digits in German
    assert time_left_words(70, "fr") == "Encore environ une minute."  # "1 minute" would be read "un minute"
    assert time_left_words(20, "sv") == "20 s left."  # the English phrase where a language has none, as for "Switch sides."
