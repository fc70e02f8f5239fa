#!/usr/bin/env python3
"""`play --listen`, measured side by side in one run: what listening costs in memory, and how soon a
command is known after the word ends.

1. Memory: `voiceguide play tests/live/listen.yaml` (the session's voice: the default engine, Kokoro,
   or --engine; warm clip cache, holds scaled to a third) played to its end on a private PulseAudio server, with and without `--listen` (the
   microphone is a second null sink's monitor, hearing nothing). Peak RSS of each process, medians
   of --repeats, interleaved. Target: with - without <= 400 MB.
2. Time to a command: every English phrase said alone by the natural voice (Piper) at 120 wpm, fed
   to the real `Recognizer` in 30 ms blocks at the microphone's own pace (one block every 30 ms of
   wall clock, as the capture thread delivers them), from the block in which the word ends to the
   command coming back. Targets (with the device's buffer, 120 ms, and the acknowledgement's 0.16 s before a
   jump on top): median <= 1.0 s, worst <= 1.5 s from the end of the word to its effect.
3. A whole shipped routine (--loopback, the default routine unless named) played with `--listen`, in
   the session's voice, and the speakers looped back into the microphone (PulseAudio's module-loopback): every word the
   session says reaches the recogniser as a person's would, were it not for the gate. Target: no
   command obeyed (the session prints each step once, then "end", and lasts as planned).

    python3 benchmarks/bench_listen.py [--repeats 3] [--engine piper] [--loopback ROUTINE|none] [--json benchmarks/listen-results.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO)]  # the source checkout: voiceguide and testsupport (benchmarks/ is already first)

import harness  # noqa: E402  (child processes and their peak memory)
from testsupport.pulse import Pulse  # noqa: E402
from voiceguide.live.output import BUFFER_MS  # noqa: E402

ROUTINE = REPO / "tests" / "live" / "listen.yaml"
BLOCK = 960  # bytes: the microphone's 30 ms blocks at 16 kHz


@contextlib.contextmanager
def room(folder: Path, cache: Path, *, loopback: bool = False) -> Iterator[dict]:
    """A private PulseAudio server with a speaker sink and a microphone (a second sink's monitor),
    the speakers looped into the microphone if asked; yields the environment a child plays in."""
    folder.mkdir()
    pulse = Pulse(folder)
    try:
        sink, mic = pulse.new_sink(), pulse.new_sink()
        if loopback:
            pulse.pactl("load-module", "module-loopback", f"source={sink}.monitor", f"sink={mic}")
        yield dict(harness.child_env(cache), **{k: v for k, v in pulse.env.items() if k != "PYTHONPATH"},
                   PULSE_SINK=sink, PULSE_SOURCE=f"{mic}.monitor")
    finally:
        pulse.close()


def engine_args(engine: str | None) -> list[str]:
    """The session's engine on a command line: none for the default engine."""
    return ["--engine", engine] if engine else []


def memory_rows(repeats: int, tmp: Path, log, engine: str | None) -> dict:
    with room(tmp / "pulse", tmp / "cache") as env:
        argv = [sys.executable, "-m", "voiceguide", "play", str(ROUTINE), *engine_args(engine), "--hold-scale", "0.3"]
        harness.run_child(argv, env, "warm-up")  # the clips reach the cache, and the listen model is joined once
        harness.run_child(argv + ["--listen"], env, "warm-up --listen")
        plain, listening = [], []
        for i in range(repeats):
            plain.append(harness.run_child(argv, env, "play")["rss_mb"])
            listening.append(harness.run_child(argv + ["--listen"], env, "play --listen")["rss_mb"])
            log(f"memory run {i + 1}: play {plain[-1]:.0f} MB, play --listen {listening[-1]:.0f} MB")
    return {"play_mb": statistics.median(plain), "listen_mb": statistics.median(listening),
            "extra_mb": statistics.median(listening) - statistics.median(plain), "runs": [plain, listening]}


def loopback_row(routine: Path, tmp: Path, log, engine: str | None) -> dict:
    import subprocess

    with room(tmp / "pulse-loop", tmp / "cache", loopback=True) as env:
        planned = json.loads(harness.run_child([sys.executable, "-m", "voiceguide", "plan", str(routine), "--json",
                                              *engine_args(engine)], env, "plan")["stdout"])
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "voiceguide", "play", str(routine), "--listen", *engine_args(engine)],
                              env=env, cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - started
    lines = [line for line in proc.stdout.splitlines() if line.strip() and not line.startswith("first sound")]
    untouched = (proc.returncode == 0 and len(lines) == len(planned["chapters"]) + 1 and lines[-1].endswith("end")
                 and "--listen" not in proc.stderr)
    log(f"loopback {routine.name}: exit {proc.returncode}, {len(lines)} lines for {len(planned['chapters'])} steps, "
        f"{wall:.1f} s for {planned['duration']:.1f} s planned")
    return {"routine": routine.name, "planned": planned["duration"], "wall": wall, "untouched": untouched,
            "lines": lines, "stderr": proc.stderr[-500:]}


def command_rows(tmp: Path, log) -> dict:
    from voiceguide import dsp
    from voiceguide.live.listen.model import load_models
    from voiceguide.live.listen.recognizer import Recognizer
    from voiceguide.live.listen.vad import RATE
    from voiceguide.live.listen.words import PHRASES
    from voiceguide.voice import ClipCache, Voice

    voice = Voice.create("piper", None, "en", 120, ClipCache(tmp / "clips"))
    recognizer = Recognizer(load_models(tmp / "cache"))
    rows = []
    for phrase, command in PHRASES["en"].items():
        speech = dsp.resample(dsp.from_int16(voice.clip(phrase)), dsp.RATE, RATE)
        pcm = dsp.to_int16(np.concatenate([np.zeros(RATE // 2, np.float32), speech,
                                           np.zeros(2 * RATE, np.float32)])).astype("<i2").tobytes()
        word_end = (RATE // 2 + speech.size) * 2
        recognizer.reset()
        ended_at = heard_at = None
        heard: list = []
        start = time.perf_counter()
        for n, i in enumerate(range(0, len(pcm), BLOCK)):
            time.sleep(max(0.0, start + n * 0.03 - time.perf_counter()))  # the microphone's pace
            if ended_at is None and i + BLOCK >= word_end:
                ended_at = time.perf_counter() - (i + BLOCK - word_end) / 2 / RATE
            found = recognizer.feed(pcm[i : i + BLOCK])
            if found and heard_at is None:
                heard_at, heard = time.perf_counter(), found
        delay = heard_at - ended_at if heard_at is not None else None
        rows.append({"phrase": phrase, "heard": [h.command for h in heard], "ok": [h.command for h in heard] == [command],
                     "seconds": delay})
        log(f"{phrase!r}: {[h.command for h in heard]} after {delay if delay is None else round(delay, 3)} s")
    delays = [r["seconds"] for r in rows if r["seconds"] is not None]
    return {"rows": rows, "median": statistics.median(delays), "worst": max(delays),
            "obeyed": sum(r["ok"] for r in rows), "of": len(rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--engine", default=None, help="the session's engine (default: the default engine, Kokoro)")
    parser.add_argument("--loopback", default=str(REPO / "scripts" / "glute-release.yaml"),
                        help="a routine to play to its end with the speakers looped into the microphone, or none")
    args = parser.parse_args()
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="bench-listen-") as folder:
        tmp = Path(folder)
        memory = memory_rows(args.repeats, tmp, log, args.engine)
        commands = command_rows(tmp, log)
        loop = loopback_row(Path(args.loopback), tmp, log, args.engine) if args.loopback != "none" else None
    extra_ok = memory["extra_mb"] <= 400
    print("| measure | value | target |\n|---|---|---|")
    print(f"| peak RSS, play / play --listen | {memory['play_mb']:.0f} / {memory['listen_mb']:.0f} MB | |")
    print(f"| listening's extra memory | {memory['extra_mb']:.0f} MB | <= 400 MB {'ok' if extra_ok else 'MISSED'} |")
    print(f"| commands known (of {commands['of']}) | {commands['obeyed']} | all |")
    for name, target in (("median", 1.0), ("worst", 1.5)):
        value = commands[name]
        effect = value + BUFFER_MS / 1000 + 0.16  # the device's buffer, and the acknowledgement before a jump
        print(f"| end of word to command, {name} | {value:.2f} s (to the effect of a jump: {effect:.2f} s) | "
              f"<= {target} s {'ok' if effect <= target else 'MISSED'} |")
    if loop is not None:
        print(f"| {loop['routine']} looped back into the microphone ({loop['planned'] / 60:.1f} min) | "
              f"{'untouched' if loop['untouched'] else 'STEERED'} in {loop['wall']:.1f} s | no command obeyed |")
    if args.json:
        args.json.write_text(json.dumps({"engine": args.engine or "default", "memory": memory, "commands": commands,
                                         "loopback": loop}, indent=1))


if __name__ == "__main__":
    main()
