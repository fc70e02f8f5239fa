"""Steering a live session (steer.py): the commands that keys, spoken words and the phone remote
send, applied in process to a real player playing a real timeline (espeak-ng clips, no device)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from voiceguide import dsp
from voiceguide.ahead import prepare_live
from voiceguide.live import Player
from voiceguide.steer import COMMANDS, KEYS, command_for_key, steer
from voiceguide.voice import ClipCache

LIVE = ROOT / "tests" / "live"
BLOCK = dsp.RATE // 100  # 10 ms


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return ClipCache(tmp_path_factory.mktemp("steer-clips"))


def player_for(routine: str, clips: ClipCache, interactive_waits: bool = False) -> Player:
    ahead = prepare_live(LIVE / routine, engine="espeak", cache=clips)
    while ahead._next < len(ahead.texts):
        ahead.render_some(10)
    return Player(ahead.timeline, ahead.voice.clip, interactive_waits=interactive_waits)


def play_for(player: Player, seconds: float) -> np.ndarray:
    return np.concatenate([np.frombuffer(player.pull(BLOCK), "<i2") for _ in range(int(seconds * 100))])


def chapter_starts(player: Player) -> list[float]:
    return [c.start for c in player.timeline.chapters]


def test_every_key_maps_to_a_known_command():
    assert set(KEYS.values()) <= set(COMMANDS)
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
    for _ in range(3000):
        p.pull(BLOCK)
        if p.waiting:
            break
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
