"""A cold live start with the natural voice, on a real sound server.

`play` with an empty clip cache loads the model once, synthesises the first sentence of the first
words alone and starts the sound with it, rendering the rest while it plays. Measured here as
the time from launching each program to its first sound on a PulseAudio null sink, against a bare
audio program on the same server; the 1-second target itself is checked by the benchmark
(benchmarks/bench_voice.py), where the machine is not shared with the rest of the test suite."""

import os
import sys

import pytest

from testsupport import ROOT
from testsupport.pulse import BARE_PROGRAM, RATE, clips_cached, time_to_first_sound
from testsupport.cli import command

if not os.environ.get("CI"):
    pytest.importorskip("piper", reason="the [neural] extra is not installed (pip install -e '.[neural]')")

ROUTINE = ROOT / "scripts" / "two-minute-reset.yaml"


def test_natural_voice_cold_start(pulse, tmp_path):
    server = pulse
    bare = min(time_to_first_sound(server, [sys.executable, "-c", BARE_PROGRAM, str(RATE)], dict(os.environ), tmp_path)
               for _ in range(2))
    cold = []
    for run in range(2):
        cache = tmp_path / f"cold-{run}"
        env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(cache), VOICEGUIDE_VOICES_DIR=str(tmp_path / "no-voices"))
        last = run == 1  # its clips start the warm run: it plays on until the first of them is cached
        cold.append(time_to_first_sound(server, command("play", str(ROUTINE)), env,
                                        tmp_path, cwd=ROOT, until=clips_cached(cache) if last else None))
    assert clips_cached(cache)(), "the natural voice rendered nothing"
    warm = time_to_first_sound(server, command("play", str(ROUTINE)), env, tmp_path,
                               cwd=ROOT)
    print(f"first sound: bare {bare:.2f}s, natural voice cold {min(cold):.2f}s, warm {warm:.2f}s")
    # a generous bound for a shared CI machine; the benchmark holds the 1 s target
    assert min(cold) < bare + 3.0, (bare, cold)
    assert warm < bare + 2.0, (bare, warm)


def test_ctrl_c_ends_a_starting_session_at_once_in_one_line(pulse, tmp_path):
    """Ctrl-C while a session starts ends it with the one line and code 130, within 1.5 s as `q` does
    (tests/test_live_play.py), whenever it lands. Cold: while the first sentence is spoken, the next
    ones queued behind it are dropped (sentences.stop_speaking), and one whose turn comes as the pool
    closes is no traceback (it was, for a signal 1.6-2.4 s in). Warm, the first words cached: the
    model is loading in the thread that renders ahead, and onnxruntime aborted the exit (-6) when it
    was still making its session; now the exit waits for that and stops the sentence being spoken
    (onnxsession.end_sessions), where it took 3-4 s; and Ctrl-C as the sound device starts (0.7 s in)
    left the device open, and its finaliser hung the exit for more than 15 s (view.play_session now
    closes it whatever happens from its start). The moments are spread over the start."""
    import signal
    import subprocess
    import time

    def interrupted(cache, delay: float) -> tuple[int, str, float]:
        env = dict(os.environ, **pulse.env, PULSE_SINK=pulse.new_sink(), VOICEGUIDE_CACHE_DIR=str(cache),
                   VOICEGUIDE_VOICES_DIR=str(tmp_path / "no-voices"))
        proc = subprocess.Popen(command("play", str(ROUTINE)), env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        time.sleep(delay)  # a moment of the start, not an event to wait for: any moment must do
        sent = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        return proc.returncode, err, time.monotonic() - sent

    warm = tmp_path / "warm"
    time_to_first_sound(pulse, command("play", str(ROUTINE)), dict(os.environ, VOICEGUIDE_CACHE_DIR=str(warm)),
                        tmp_path, cwd=ROOT, until=clips_cached(warm))
    for cache, delay in [(tmp_path / f"cold-{d}", d) for d in (1.0, 1.6, 2.2)] + [(warm, d) for d in (0.7, 1.3, 1.5, 1.7, 2.5)]:
        code, err, took = interrupted(cache, delay)
        assert code == 130, (cache.name, delay, code, err[-2000:])
        assert err.strip().splitlines() == ["voiceguide: interrupted; nothing half-written was left behind"], \
            (cache.name, delay, err[-2000:])
        assert took < 1.5, (cache.name, delay, took)
