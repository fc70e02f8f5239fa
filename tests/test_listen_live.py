"""`play --listen` on a real session: spoken commands to a private PulseAudio server.

The live tests give the server a second null sink, `mic`, whose monitor is the default source: the
session's microphone. Commands are rendered with the bundled natural voice and played into `mic`
with `paplay` at moments the plan says are silent; the session plays to its own sink and is
recorded from that sink's monitor. With `module-loopback` from the session's sink to `mic`, the
session hears itself, as a microphone in the room would.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from testsupport import ROOT
from testsupport.audio import write_wav
from testsupport.cli import command, plan_json, voiceguide
from testsupport.pulse import MonitorRecording
from voiceguide import dsp

RATE = dsp.RATE

LIVE = ROOT / "tests" / "live"


def plan_of(pulse, routine: Path, cache: Path) -> dict:
    return plan_json(routine, "--engine", "piper", env=dict(pulse.env, VOICEGUIDE_CACHE_DIR=str(cache)))


class Room:
    """A microphone for one session: a null sink of its own whose monitor the session captures."""

    def __init__(self, pulse, tmp: Path, natural):
        self.pulse, self.tmp, self.natural = pulse, tmp, natural
        self.mic = pulse.new_sink()
        self.sink = pulse.new_sink()
        self.env = dict(pulse.env, PULSE_SINK=self.sink, PULSE_SOURCE=f"{self.mic}.monitor")

    def settle(self) -> None:
        """Play a tenth of a second of silence into the microphone, to its end. The first stream into
        the null sink after a capture opened its monitor makes the monitor skip about a second (3 s
        of capture held 2.07 s of samples), which cut a first word said at once ("wait" heard as
        "Bye."); a real microphone has no such start."""
        path = write_wav(self.tmp / "settle.wav", np.zeros(RATE // 10, np.int16))
        subprocess.run(["paplay", f"--device={self.mic}", str(path)], env=self.pulse.env, timeout=30, check=True)

    def say(self, word: str) -> tuple[float, float]:
        """Speak `word` into the microphone (in the background); returns when it starts and how long it is."""
        clip = self.natural.clip(word)
        path = write_wav(self.tmp / f"{word}.wav", clip)
        started = time.monotonic()
        subprocess.Popen(["paplay", f"--device={self.mic}", str(path)], env=self.pulse.env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return started, clip.size / RATE


class Listening:
    """`voiceguide play ROUTINE --listen` unattended on the room's sink, recorded from its monitor."""

    def __init__(self, room: Room, routine: Path, cache: Path, *args: str):
        self.recording = MonitorRecording(room.pulse, room.sink, room.tmp / f"{room.sink}.raw")
        self.lines: list[tuple[float, str]] = []
        self.err = bytearray()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            command("play", str(routine), "--listen", "--engine", "piper", *args),
            cwd=ROOT, env=dict(room.env, VOICEGUIDE_CACHE_DIR=str(cache)), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.err.extend(self.proc.stderr.read()), daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.decode("utf-8", "replace").rstrip("\n")))

    def wait_line(self, title: str, timeout: float = 60.0) -> float:
        """When the plain line for the step `title` appeared (the player reached the step's start)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for when, line in self.lines:
                if line.split("  ")[1:2] == [title]:
                    return when
            assert self.proc.poll() is None, self.output()
            time.sleep(0.01)
        raise AssertionError(f"the step {title!r} never began: {self.output()}")

    def has_line(self, title: str, within: float) -> bool:
        """Whether the plain line for the step `title` appears within `within` seconds from now."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if any(line.split("  ")[1:2] == [title] for _, line in self.lines):
                return True
            time.sleep(0.01)
        return False

    def ends_within(self, seconds: float) -> bool:
        try:
            self.proc.wait(seconds)
            return True
        except subprocess.TimeoutExpired:
            return False

    def finish(self, timeout: float) -> np.ndarray:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"play did not end within {timeout:.0f}s: {self.output()}")
        self.ended = time.monotonic()
        time.sleep(0.3)
        self.recording.stop()
        return self.recording.audio()

    def output(self) -> str:
        return "\n".join(line for _, line in self.lines) + "\n" + self.err.decode("utf-8", "replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.recording.stop()


def find_sound(audio: np.ndarray, tpl: np.ndarray, threshold: float = 0.8) -> list[float]:
    """Where `tpl` occurs in `audio` (seconds), by normalised cross-correlation."""
    L = tpl.size
    n = 1 << int(np.ceil(np.log2(audio.size + L)))
    c = np.fft.irfft(np.fft.rfft(audio, n) * np.conj(np.fft.rfft(tpl, n)), n)[: audio.size - L + 1]
    sq = np.concatenate([[0.0], np.cumsum(audio.astype(np.float64) ** 2)])
    ncc = c / np.sqrt(np.maximum(sq[L:] - sq[:-L], 1e-9) * float(np.dot(tpl, tpl)))
    hits: list[int] = []
    for i in np.flatnonzero(ncc > threshold):
        if hits and i - hits[-1] < 0.3 * RATE:
            if ncc[i] > ncc[hits[-1]]:
                hits[-1] = int(i)
        else:
            hits.append(int(i))
    return [i / RATE for i in hits]


def loud_at(audio: np.ndarray, a: float, b: float, level: float = 0.01) -> list[float]:
    seg = audio[int(a * RATE) : int(b * RATE)]
    return [a + i / RATE for i in np.flatnonzero(np.abs(seg) > level)[:1]]


@pytest.fixture
def sessions():
    started: list[Listening] = []
    yield started
    for s in started:
        s.kill()


def hold_of(plan: dict, title: str) -> dict:
    chapter = next(c for c in plan["chapters"] if c["title"] == title)
    return next(e for e in plan["events"] if e["kind"] == "hold" and chapter["start"] <= e["start"] < chapter["end"])


@pytest.mark.parametrize("words", [("pause", "continue", "next", "stop"), ("wait", "go on", "skip", "finish")],
                         ids=["words", "synonyms"])
def test_spoken_commands_steer_the_session(pulse, natural, session_voice, listen_cache, sessions, tmp_path, words):
    """pause, then continue, then next, then stop (or their synonyms), each said in a silence of the session; each acts
    within 1.5 s of the word's end, and nothing else is obeyed. A command that was missed is said once more, as a
    person would (README: how many commands are heard), and timed from that word."""
    from voiceguide.live.listen.controller import acknowledgement

    routine = LIVE / "listen.yaml"
    plan = plan_of(pulse, routine, listen_cache)
    room = Room(pulse, tmp_path, natural)
    s = Listening(room, routine, listen_cache)
    sessions.append(s)
    rec = s.recording
    bell = 1.9  # the hold's opening bell rings this long
    pause, resume, skip, stop = words
    said: list[tuple[str, int, float]] = []  # word, where it ended on the recording's clock, wall clock
    again: list[str] = []  # commands said a second time because the first was missed (printed; see README)

    def say_at(word: str, step_seen: float, step_start: float, position: float) -> None:
        """Say `word` so that it ends when the player is at `position` (the step began at `step_seen`)."""
        length = natural.clip(word).size / RATE
        time.sleep(max(0.0, step_seen + (position - step_start) - length - time.monotonic()))
        at, _ = room.say(word)
        said.append((word, rec.now() + int(length * RATE), at + length))

    def acknowledged(within: float) -> bool:
        """Whether the acknowledgement is heard after the last word said, within `within` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            time.sleep(0.2)
            after = rec.audio()[said[-1][1]:]
            if after.size > acknowledgement().size and find_sound(after, acknowledgement(), 0.8):
                return True
        return False

    settle = hold_of(plan, "Settle")
    seen = s.wait_line("Settle")
    say_at(pause, seen, 0.0, settle["start"] + bell + 2.0)
    if not acknowledged(within=2.0):  # missed: said once more, as a person would
        again.append(pause)
        say_at(pause, time.monotonic(), 0.0, 0.8)
    time.sleep(settle["end"] - settle["start"] - bell)  # long past the hold's planned end
    say_at(resume, time.monotonic(), 0.0, 1.0)
    if not acknowledged(within=2.0):
        again.append(resume)
        say_at(resume, time.monotonic(), 0.0, 0.8)
    reach = hold_of(plan, "Reach")
    reach_start = next(c["start"] for c in plan["chapters"] if c["title"] == "Reach")
    seen = s.wait_line("Reach")
    say_at(skip, seen, reach_start, reach["start"] + bell + 2.0)
    if not s.has_line("Fold", within=2.0):  # missed: said once more in the same silence, as a person would
        again.append(skip)
        say_at(skip, time.monotonic(), 0.0, 0.8)
    fold = hold_of(plan, "Fold")
    fold_start = next(c["start"] for c in plan["chapters"] if c["title"] == "Fold")
    seen = s.wait_line("Fold")
    say_at(stop, seen, fold_start, fold["start"] + bell + 2.0)
    if not s.ends_within(2.0):
        again.append(stop)
        say_at(stop, time.monotonic(), 0.0, 0.8)
    audio = s.finish(timeout=20)
    np.save(tmp_path / "recording.npy", audio)
    assert s.proc.returncode == 0 and "Traceback" not in s.output(), s.output()
    stop_end = said[-1][2]
    assert s.ended - stop_end < 1.5, s.ended - stop_end  # stop: the process ends

    ends = {w: end / RATE for w, end, _ in said}
    fold_words = dsp.from_int16(session_voice.clip("Fold forward."))[: int(0.5 * RATE)]
    fold_heard = find_sound(audio, fold_words, 0.6)
    assert len(fold_heard) == 1, fold_heard
    # each acknowledgement is heard where a command was obeyed; "next"'s lies under the next step's words
    acks = [t for t in find_sound(audio, acknowledgement(), 0.8) if abs(t - fold_heard[0]) > 0.5]
    assert len(acks) in (2, 3), acks  # pause, continue (and stop, unless the end cut it)
    pause_ack, continue_ack = acks[:2]
    effects = {pause: pause_ack - ends[pause], resume: continue_ack - ends[resume],
               skip: fold_heard[0] - ends[skip], stop: s.ended - stop_end}
    for word, delay in effects.items():
        assert 0 < delay < 1.5, (word, delay, again)
    print(f"said twice: {again or 'none'}")
    # paused: no sound at all until "continue", though the hold's closing bell was due meanwhile
    assert not loud_at(audio, pause_ack + 0.2, continue_ack - 0.01), loud_at(audio, pause_ack + 0.2, continue_ack)
    assert continue_ack - pause_ack > settle["end"] - (settle["start"] + bell + 2.0)
    assert loud_at(audio, continue_ack + 0.2, continue_ack + 8), "no sound after continue"
    # next: the next step's first words, long before the 20 s hold would have ended
    reach_words = find_sound(audio, dsp.from_int16(session_voice.clip("Reach up high."))[: int(0.5 * RATE)], 0.6)
    assert len(reach_words) == 1 and fold_heard[0] - reach_words[0] < 10, (reach_words, fold_heard)
    print("\ncommand end to its effect: " + ", ".join(f"{w} {d:.2f}s" for w, d in effects.items()))


def test_more_time_and_how_long_by_voice(pulse, natural, session_voice, listen_cache, sessions, tmp_path):
    """"more time" in the first hold: the next step's first words are heard exactly 15 s later than
    planned; "how long" in the next hold: an answer is spoken at once, and is never taken for a command."""
    from voiceguide.live.listen.controller import acknowledgement

    routine = LIVE / "listen.yaml"
    plan = plan_of(pulse, routine, listen_cache)
    room = Room(pulse, tmp_path, natural)
    s = Listening(room, routine, listen_cache)
    sessions.append(s)
    bell = 1.9

    def say_at(phrase: str, step_seen: float, step_start: float, position: float) -> tuple[float, float]:
        """Said to end at `position`: when it ends on the wall clock and on the recording's (seconds)."""
        length = natural.clip(phrase).size / RATE
        time.sleep(max(0.0, step_seen + (position - step_start) - length - time.monotonic()))
        at, _ = room.say(phrase)
        return at + length, s.recording.now() / RATE + length

    def answered(after: float, within: float) -> bool:
        """Whether anything is heard after `after` (seconds on the recording) within `within` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            time.sleep(0.2)
            audio = s.recording.audio()
            if loud_at(audio, after + 0.1, audio.size / RATE):
                return True
        return False

    again: list[str] = []  # said a second time because the first was missed (printed; see README)
    settle = hold_of(plan, "Settle")
    _, said_at = say_at("more time", s.wait_line("Settle"), 0.0, settle["start"] + bell + 2.0)
    if not answered(said_at, within=2.0):  # the acknowledgement, in the hold's silence
        again.append("more time")
        say_at("more time", time.monotonic(), 0.0, 0.8)
    reach_start = next(c["start"] for c in plan["chapters"] if c["title"] == "Reach")
    reach = hold_of(plan, "Reach")
    seen = s.wait_line("Reach", timeout=60)
    asked, asked_at = say_at("how long", seen, reach_start + 15.0, reach["start"] + 15.0 + bell + 2.0)
    if not answered(asked_at, within=2.5):
        again.append("how long")
        asked, asked_at = say_at("how long", time.monotonic(), 0.0, 0.8)
    time.sleep(max(0.0, asked + 6.0 - time.monotonic()))
    s.proc.terminate()
    audio = s.finish(timeout=20)
    from voiceguide.audiofile import decode

    strikes = find_sound(audio, decode(ROOT / "sounds" / "bell.wav")[: int(0.3 * RATE)], 0.8)
    bells = [t for i, t in enumerate(strikes) if i == 0 or t - strikes[i - 1] > bell]  # a bell's first strike
    np.save(tmp_path / "recording.npy", audio)
    assert len(bells) >= 2, strikes
    held = bells[1] - bells[0]  # the first hold's opening bell to its closing bell, as heard
    assert abs(held - (settle["end"] - settle["start"] + 15.0)) < 0.05, (held, settle, strikes, s.output())
    acks = find_sound(audio, acknowledgement(), 0.9)
    assert acks and bells[0] < acks[0] < bells[1], (acks, bells)  # "more time", obeyed in the hold
    assert len([t for t in acks if t > bells[1]]) <= 1, acks  # the spoken answer was never obeyed as a command
    assert "seconds left" in s.output(), s.output()  # the answer, also in the plain view's lines
    answer = loud_at(audio, asked_at + 0.1, asked_at + 2.5)  # in the hold's silence: the answer (and its ack)
    assert answer, "nothing heard after how long"
    print(f"\nmore time: the hold lasted {held:.3f} s (planned {settle['end'] - settle['start']:.3f} + 15); "
          f"how long: heard {answer[0] - asked_at:.2f} s after the words; said twice: {again or 'none'}")


def test_the_session_never_obeys_its_own_voice(pulse, natural, listen_cache, sessions, tmp_path):
    """The speakers looped back into the microphone, and narration full of the command words (alone
    and in sentences, a second apart): the session runs to its planned end, untouched."""
    from voiceguide.live.listen.controller import acknowledgement

    routine = LIVE / "listen-echo.yaml"
    plan = plan_of(pulse, routine, listen_cache)
    room = Room(pulse, tmp_path, natural)
    module = pulse.pactl("load-module", "module-loopback", f"source={room.sink}.monitor", f"sink={room.mic}")
    try:
        s = Listening(room, routine, listen_cache)
        sessions.append(s)
        audio = s.finish(timeout=plan["duration"] + 60)
    finally:
        pulse.pactl("unload-module", module)
    assert s.proc.returncode == 0 and "Traceback" not in s.output(), s.output()
    assert "--listen" not in s.err.decode(), s.output()  # the microphone was there
    assert find_sound(audio, acknowledgement(), 0.8) == []  # nothing was obeyed
    sounds = np.flatnonzero(np.abs(audio) > 0.01)
    heard = (sounds[-1] - sounds[0]) / RATE
    last = max(e["end"] for e in plan["events"] if e["kind"] in ("speech", "sound") and e.get("role") != "ambient")
    assert abs(heard - last) < 0.3, (heard, last)  # from the first sound to the last, as planned
    lines = [line for _, line in s.lines if not line.startswith("first sound")]
    assert lines[-1].endswith("end") and len(lines) == len(plan["chapters"]) + 1, lines


def test_no_microphone_is_one_line_and_playback_goes_on(pulse, listen_cache, tmp_path):
    env = dict(pulse.env, VOICEGUIDE_CACHE_DIR=str(listen_cache))
    proc = voiceguide("play", str(LIVE / "quit.yaml"), "--listen", "--engine", "espeak", "--hold-scale", "0.25",
                      "--audio-backend", "null", env=env, stdin=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stderr.splitlines() if "--listen" in line]
    assert len(notes) == 1 and "no microphone" in notes[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.rstrip().endswith("end"), proc.stdout  # played to the end



def test_listen_tries_the_commands_on_the_microphone_and_ctrl_c_sums_them_up(pulse, natural, listen_cache, tmp_path):
    """`voiceguide listen`: each word said into the microphone is printed with what a session would do
    (a command obeyed, a sentence not one), and Ctrl-C ends it with the words obeyed per command."""
    import signal

    from testsupport.cli import start

    room = Room(pulse, tmp_path, natural)
    proc = start("listen", env=dict(room.env, VOICEGUIDE_CACHE_DIR=str(listen_cache)))
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(line.rstrip("\n") for line in proc.stdout), daemon=True).start()

    def next_line(after: int, within: float) -> str:
        deadline = time.monotonic() + within
        while len(lines) <= after:
            assert proc.poll() is None and time.monotonic() < deadline, (lines, proc.poll())
            time.sleep(0.02)
        return lines[after]

    try:
        assert next_line(0, 120).startswith("Listening. Say a command on its own"), lines
        room.settle()
        told = {}
        for said in ("wait", "Stop if it hurts.", "how long"):
            before = len(lines)
            room.say(said)
            told[said] = next_line(before, 20)  # one line per utterance, once its outcome is settled
            time.sleep(1.0)  # a person's pause: a command needs a second of quiet before it (recognizer.ALONE)
        assert told["wait"].endswith("-> wait: obeyed"), told
        assert told["Stop if it hurts."].endswith("-> not a command"), told
        assert told["how long"].endswith("-> how long: obeyed"), told
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    summary = {line.split()[0]: line for line in lines[4:] if line.startswith("  ")}
    assert "wait (1)" in summary["pause"] and "pause / wait" in summary["pause"], lines
    assert "how long (1)" in summary["how"] and "obeyed as: -" in summary["next"], lines
    assert lines[-1] == "2 of 3 utterances obeyed as commands.", lines
    assert "Traceback" not in proc.stderr.read()


def test_listen_without_a_microphone_is_one_line(pulse, listen_cache):
    proc = voiceguide("listen", "--audio-backend", "null", env=dict(pulse.env, VOICEGUIDE_CACHE_DIR=str(listen_cache)),
                      stdin=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == 1 and proc.stderr.strip() == "voiceguide: no microphone (no sound server or capture device)", proc
    assert proc.stdout == ""


LATENCY = """
import sys, threading, time
import numpy as np
from voiceguide.live.output import MiniaudioOutput
from voiceguide.live.listen.microphone import Microphone
click_at, handed, heard = 16000, [], []
done = threading.Event()
state = {"frames": 0}
def pull(n):
    a = state["frames"]; state["frames"] += n
    x = np.zeros(n, "<i2")
    if a <= click_at < a + n:
        x[click_at - a:] = 20000
        handed.append(time.monotonic())
    return x.tobytes()
def block(pcm):
    if handed and not heard and np.abs(np.frombuffer(pcm, "<i2")).max() > 5000:
        heard.append(time.monotonic()); done.set()
mic = Microphone(); mic.start(block)
out = MiniaudioOutput(); out.start(22050, pull)
done.wait(5); out.close(); mic.close()
print(f"{heard[0] - handed[0]:.3f}")
"""


def test_the_guard_covers_the_devices_latency(pulse, tmp_path):
    """From a frame handed to the output device to the capture block that holds it, on a null sink whose
    monitor is the microphone: the output's and the capture's buffers. The guard must cover it."""
    from voiceguide.live.listen.controller import GUARD

    sink = pulse.new_sink()
    env = dict(pulse.env, PULSE_SINK=sink, PULSE_SOURCE=f"{sink}.monitor")
    runs = []
    for _ in range(3):
        proc = subprocess.run([sys.executable, "-c", LATENCY], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        runs.append(float(proc.stdout.strip()))
    print(f"\noutput to capture on a null sink: {', '.join(f'{r * 1000:.0f} ms' for r in runs)}")
    assert max(runs) < GUARD / 2, runs
