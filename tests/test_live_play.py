"""Live playback (`voiceguide play`) on a real sound server.

A private PulseAudio daemon (testsupport/pulse.py) runs for this module; every session plays to its own null sink and is
recorded from that sink's monitor. The sink adds latency, so recordings are compared by CONTENT and
INTERVALS (speech found by cross-correlation with the real clips, ticks by a matched filter), not by
wall-clock time. Keys are sent through a pseudo-terminal, as a person would type them.

The shipped routine plays in real time (over two minutes): it starts in the background when the
module starts, on its own sink, while the other tests run; its test is the last one in the file.

Split from the live tests: the player driven in process (no device, its own clock, as fast as the
machine goes) is in test_live_in_process.py, so that it does not load the machine while the shipped
routine plays here in real time.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from testsupport import LIVE, ROOT
from testsupport.audio import ANCHOR, RATE, best_match, clip_of, find_all, find_speech, onset_lag, speech, voice_of
from testsupport.cli import voiceguide
from testsupport.live import SHIPPED, Session, plan_json
from testsupport.pulse import MISSING_TOOLS, TOOLS

HOLD_LEFT = re.compile(r"hold: (\d+):(\d\d) left")


# ------------------------------------------------------------------ a play session


@pytest.fixture
def play(pulse, cache, tmp_path):
    sessions: list[Session] = []

    def start(routine: Path, *args: str, tty: bool = False, clips: Path | None = None) -> Session:
        s = Session(pulse, routine, *args, cache=clips or cache, tty=tty, tmp=tmp_path)
        sessions.append(s)
        return s

    yield start
    for s in sessions:
        s.kill()


# ------------------------------------------------------------------ the plan and the reference sound


def chapter_start(plan: dict, title: str) -> float:
    return next(c["start"] for c in plan["chapters"] if c["title"] == title)


def first_sound(audio: np.ndarray, level: float = 0.01) -> float:
    loud = np.flatnonzero(np.abs(audio) > level)
    assert loud.size, "the recording is silent"
    return loud[0] / RATE


def peak(audio: np.ndarray, a: float, b: float) -> float:
    seg = audio[int(a * RATE) : int(b * RATE)]
    return float(np.abs(seg).max()) if seg.size else 0.0


def tick_sound() -> np.ndarray:
    from voiceguide.audiofile import decode
    from voiceguide.mix.mixer import SOUND_LEVELS

    return decode(ROOT / "sounds" / "tick.wav") * SOUND_LEVELS["every"]


def hold_seconds_left(m: re.Match) -> int:
    return int(m.group(1)) * 60 + int(m.group(2))


def position_at(hold: dict, shown: int, seen: float, when: float) -> float:
    """Where the player was at `when`, given that the hold's countdown first showed `shown` seconds
    at `seen`: it shows whole seconds rounded up, so it turned at `shown` left
    (seen up to one screen refresh, about 1/10 s, later)."""
    return hold["end"] - shown + (when - seen)


# ------------------------------------------------------------------ the shipped routine, started first


@pytest.fixture(scope="module")
def shipped_session(pulse, tmp_path_factory):
    """scripts/two-minute-reset.yaml played unattended with a cold clip cache, recorded."""
    clips = tmp_path_factory.mktemp("cold-clips")
    s = Session(pulse, SHIPPED, cache=clips, tty=False, tmp=tmp_path_factory.mktemp("shipped"))
    yield s, clips
    s.kill()


@pytest.fixture(scope="module", autouse=True)
def _start_shipped_first(request):
    if any(getattr(item, "originalname", item.name) == "test_shipped_routine_follows_the_plan"
           for item in request.session.items):
        request.getfixturevalue("shipped_session")


# ------------------------------------------------------------------ tests


def test_sound_server_tools_are_installed():
    missing = [t for t in TOOLS if shutil.which(t) is None]
    assert not missing, MISSING_TOOLS.format(missing=", ".join(missing))


def test_pause_stops_and_resumes_without_losing_a_tick(play, pulse, cache):
    routine = LIVE / "pause-ticks.yaml"
    plan = plan_json(pulse, routine, cache)
    ticks_planned = [e["start"] for e in plan["events"] if e["kind"] == "sound" and e["sound"] == "tick"]
    assert len(ticks_planned) == 19
    s = play(routine, tty=True)
    # sync on the countdown: it turns to 0:16 just as the tick 4 s into the hold goes out,
    # so half a second later is well between two ticks
    s.wait_for(HOLD_LEFT, timeout=30, check=lambda m: hold_seconds_left(m) <= 16)
    time.sleep(0.45)
    paused_at = s.send(" ")
    s.wait_for(r"paused", timeout=3)
    time.sleep(max(0.0, 2.0 - (time.monotonic() - paused_at)))
    resumed_at = s.send(" ")
    audio = s.finish(timeout=plan["duration"] + 20)
    s.assert_clean_exit()
    pause = resumed_at - paused_at

    ticks = [t for t, _ in find_all(audio, tick_sound(), threshold=0.7, spacing=0.3)]
    assert len(ticks) == len(ticks_planned), ticks  # nothing lost, nothing repeated
    gaps = np.diff(ticks)
    long = [i for i, g in enumerate(gaps) if g > 1.5]
    assert len(long) == 1, gaps
    k = long[0]
    assert abs(gaps[k] - (1.0 + pause)) < 0.15, (gaps[k], pause)
    others = np.delete(gaps, k)
    assert np.all(np.abs(others - 1.0) < 0.020), others
    assert 2 <= k <= 4  # the pause fell where it was sent, a few seconds into the hold
    assert peak(audio, ticks[k] + 0.1, ticks[k + 1] - 0.01) < 0.01  # silence while paused


def test_a_stalled_player_keeps_every_tick_in_time(play, pulse, cache):
    """A busy machine can stop the player for a moment (another program, a virtual machine's host):
    the device's buffer carries the sound over such stalls, so no gap opens and the ticks stay
    exactly a second apart. The stalls are 60 ms: a 40 ms buffer gave way under them (every later
    tick 50 ms late), and the 120 ms buffer keeps room for the machine's own delays on top."""
    routine = LIVE / "stall.yaml"
    plan = plan_json(pulse, routine, cache)
    ticks_planned = [e["start"] for e in plan["events"] if e["kind"] == "sound" and e["sound"] == "tick"]
    s = play(routine, tty=True)
    s.wait_for(HOLD_LEFT, timeout=30)
    stalls = 0
    while s.proc.poll() is None and stalls < 8:
        time.sleep(0.7)
        if s.proc.poll() is None:
            os.kill(s.proc.pid, signal.SIGSTOP)
            time.sleep(0.06)
            os.kill(s.proc.pid, signal.SIGCONT)
            stalls += 1
    audio = s.finish(timeout=plan["duration"] + 20)
    s.assert_clean_exit()
    assert stalls == 8
    ticks = [t for t, _ in find_all(audio, tick_sound(), threshold=0.7, spacing=0.3)]
    assert len(ticks) == len(ticks_planned), ticks
    assert np.max(np.abs(np.diff(ticks) - np.diff(ticks_planned))) < 0.005, np.diff(ticks)


def test_next_skips_the_rest_of_the_step(play, pulse, cache):
    routine = LIVE / "skip.yaml"
    plan = plan_json(pulse, routine, cache)
    voice = voice_of(plan, cache)
    first, left, after = (e for e in speech(plan))
    assert after["start"] == chapter_start(plan, "After the skip")
    hold = next(e for e in plan["events"] if e["kind"] == "hold")
    s = play(routine, tty=True)
    _, seen = s.wait_for(HOLD_LEFT, timeout=30, check=lambda m: hold_seconds_left(m) <= 57)
    time.sleep(0.5)
    sent = s.send("n")
    at_key = position_at(hold, 57, seen, sent)
    audio = s.finish(timeout=plan["duration"])
    s.assert_clean_exit()
    assert s.ended - s.started < plan["duration"] - 40  # far earlier than the full minute

    r_first = find_speech(audio, clip_of(voice, first), ANCHOR)
    r_after = find_speech(audio, clip_of(voice, after))
    assert len(r_first) == 1 and len(r_after) == 1, (r_first, r_after)
    # the next step's narration follows right where the key was pressed
    expected = r_first[0] + (at_key - first["start"])
    assert -0.1 < r_after[0] - expected < 0.4, (r_after[0], expected)
    assert best_match(audio, clip_of(voice, left)) < 0.5  # the rest of the hold was skipped


def test_back_replays_the_step(play, pulse, cache):
    routine = LIVE / "back.yaml"
    plan = plan_json(pulse, routine, cache)
    voice = voice_of(plan, cache)
    ready, narration = speech(plan)
    assert narration["start"] == chapter_start(plan, "Stand tall")
    hold = next(e for e in plan["events"] if e["kind"] == "hold")
    s = play(routine, tty=True)
    _, seen = s.wait_for(HOLD_LEFT, timeout=30, check=lambda m: hold_seconds_left(m) <= 6)
    time.sleep(0.3)
    at_key = position_at(hold, 6, seen, s.send("b"))
    audio = s.finish(timeout=plan["duration"] + 20)
    s.assert_clean_exit()
    assert len(find_speech(audio, clip_of(voice, ready), ANCHOR)) == 1
    twice = find_speech(audio, clip_of(voice, narration))
    assert len(twice) == 2, twice
    # the second time follows right where the key was pressed, a little way into the hold
    expected = twice[0] + (at_key - narration["start"])
    assert -0.1 < twice[1] - expected < 0.4, (twice, expected)


def test_quit_ends_at_once_and_restores_the_terminal(play, pulse, cache):
    s = play(LIVE / "quit.yaml", tty=True)
    s.wait_for(HOLD_LEFT, timeout=30)
    s.send("\x1b[A")  # an arrow key starts with Esc, but it is no Esc: the session goes on
    time.sleep(0.5)
    assert s.proc.poll() is None, s.output[-1500:]
    sent = s.send("q")
    s.finish(timeout=10)
    assert s.ended - sent < 1.5, s.ended - sent
    s.assert_clean_exit()


def test_wait_step_waits_for_a_key_in_a_terminal(play, pulse, cache):
    routine = LIVE / "wait.yaml"
    plan = plan_json(pulse, routine, cache)
    voice = voice_of(plan, cache)
    ready, begin = speech(plan)
    fallback = plan["settings"]["wait_fallback"]
    assert fallback == 2.0
    s = play(routine, tty=True)
    _, seen = s.wait_for(r"press any key to go on", timeout=30)
    time.sleep(4.0)
    sent = s.send("x")
    audio = s.finish(timeout=30)
    s.assert_clean_exit()
    r_ready = find_speech(audio, clip_of(voice, ready), ANCHOR)
    r_begin = find_speech(audio, clip_of(voice, begin))
    assert len(r_ready) == 1 and len(r_begin) == 1
    waited = (r_begin[0] - r_ready[0]) - (begin["start"] - ready["start"]) + fallback
    assert waited > 3.9, waited  # no sound for 4 s, though the fallback is 2 s
    assert abs(waited - (sent - seen)) < 0.35, (waited, sent - seen)  # and on at the key
    ready_end = r_ready[0] + clip_of(voice, ready).size / RATE
    assert peak(audio, ready_end + 0.05, r_begin[0] - 0.01) < 0.01


def test_quit_works_during_a_wait(play, pulse, cache):
    s = play(LIVE / "wait.yaml", tty=True)
    s.wait_for(r"press any key to go on", timeout=30)
    sent = s.send("q")
    s.finish(timeout=10)
    assert s.ended - sent < 1.5, s.ended - sent
    s.assert_clean_exit()
    assert best_match(s.audio, clip_of(voice_of(plan_json(pulse, LIVE / "wait.yaml", cache), cache),
                                       {"text": "Now lift your right leg."})) < 0.5  # it quit, not went on


def test_wait_step_lasts_the_fallback_unattended(play, pulse, cache):
    routine = LIVE / "wait.yaml"
    plan = plan_json(pulse, routine, cache)
    voice = voice_of(plan, cache)
    ready, begin = speech(plan)
    s = play(routine)
    audio = s.finish(timeout=30)
    s.assert_clean_exit()
    r_ready = find_speech(audio, clip_of(voice, ready), ANCHOR)
    r_begin = find_speech(audio, clip_of(voice, begin))
    assert len(r_ready) == 1 and len(r_begin) == 1
    assert abs((r_begin[0] - r_ready[0]) - (begin["start"] - ready["start"])) < 0.05


@pytest.mark.parametrize("start_at, title", [("2", "Shoulder circles"), ("ankle circles", "Ankle circles")])
def test_from_starts_at_that_step(play, pulse, cache, start_at, title):
    routine = LIVE / "from.yaml"
    plan = plan_json(pulse, routine, cache)
    voice = voice_of(plan, cache)
    events = speech(plan)
    target = next(e for e in events if e["step"] == title)
    s = play(routine, "--from", start_at)
    audio = s.finish(timeout=plan["duration"] + 20)
    s.assert_clean_exit()
    clip = clip_of(voice, target)
    found = find_speech(audio, clip)
    assert len(found) == 1, found
    # the first sound recorded is that step's words (the sink may swallow their very beginning)
    assert found[0] - 0.03 < first_sound(audio) < found[0] + 0.5, (found, first_sound(audio))
    for e in events:
        if e["start"] < target["start"]:
            assert best_match(audio, clip_of(voice, e)) < 0.5, e["text"]
    lines = [line for _, line in s.stdout_lines if not line.startswith("first sound")]
    assert re.fullmatch(rf"\d+:\d\d\.\d  {title}(  \(next: .*\))?", lines[0]), lines


def test_no_sound_server_is_a_clear_error(pulse, tmp_path):
    env = dict(pulse.env, PULSE_SERVER=f"unix:{tmp_path}/no-such-socket", VOICEGUIDE_CACHE_DIR=str(tmp_path))
    proc = voiceguide("play", str(LIVE / "quit.yaml"), "--audio-backend", "pulseaudio", env=env,
                      stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode != 0
    assert "voiceguide render" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_shipped_routine_follows_the_plan(shipped_session, pulse):
    """Unattended, cold clip cache: the first words within a second, then every utterance where
    `plan --json` puts it (the recording's own offset found from the first one)."""
    s, clips = shipped_session
    audio = s.finish(timeout=400)
    s.assert_clean_exit()
    stdout = "\n".join(line for _, line in s.stdout_lines)
    m = re.search(r"^first sound after (\d+\.\d+)s$", stdout, re.M)
    assert m, stdout
    assert float(m.group(1)) < 1.0, m.group(0)
    plan = plan_json(pulse, SHIPPED, clips)  # after the play: its clips were rendered cold
    for chapter in plan["chapters"]:
        assert re.search(rf"^\d+:\d\d\.\d  {re.escape(chapter['title'])}", stdout, re.M), chapter["title"]
    assert re.search(r"^\d+:\d\d\.\d  end$", stdout, re.M)
    voice = voice_of(plan, clips)
    events = speech(plan)
    first = events[0]
    hits = find_speech(audio[: int(20 * RATE)], clip_of(voice, first), ANCHOR)
    assert hits, "the first words are not in the recording"
    offset = hits[0] - first["start"]
    lags = [onset_lag(audio, clip_of(voice, e), offset + e["start"], search=0.3) for e in events]
    late = [f"{e['start']:.3f}s {lag * 1000:+.0f} ms" for e, lag in zip(events, lags) if abs(lag) >= 0.050]
    assert not late, (
        "speech off the plan by 50 ms or more: " + ", ".join(late) + "; all lags (ms): "
        + " ".join(f"{lag * 1000:+.0f}" for lag in lags)
        + " (a lasting step at one point means the sound server ran dry there: a busy machine)"
    )
    assert audio.size / RATE > offset + plan["duration"]  # the recording holds the whole session
