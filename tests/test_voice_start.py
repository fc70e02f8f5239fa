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
from testsupport.pulse import BARE_PROGRAM, RATE, time_to_first_sound
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
        cold.append(time_to_first_sound(server, command("play", str(ROUTINE)), env,
                                        tmp_path, cwd=ROOT, linger=1.5))
        assert any((cache / "clips").glob("*/*.wav")), "the natural voice rendered nothing"
    warm = time_to_first_sound(server, command("play", str(ROUTINE)), env, tmp_path,
                               cwd=ROOT)
    print(f"first sound: bare {bare:.2f}s, natural voice cold {min(cold):.2f}s, warm {warm:.2f}s")
    # a generous bound for a shared CI machine; the benchmark holds the 1 s target
    assert min(cold) < bare + 3.0, (bare, cold)
    assert warm < bare + 2.0, (bare, warm)
