#!/usr/bin/env python3
"""The natural voice (Piper, the default since it is installed with the neural extra), measured side
by side in one run. Read the ratios and differences: the machine may be shared.

1. Cold render with the default voice: `python -m voiceguide render ROUTINE` (engine auto: Piper with
   the bundled voice) with an empty clip cache, on bench.py's generated routine (30 minutes by
   default), against the floor: encoding the same session into voiceguide's MP3 with voiceguide's own
   encoder command (bench.py's floor). Runs are interleaved, medians of --repeats. Also shown: the
   same render warm, and cold with espeak-ng. Target: cold natural <= 4x the floor.
2. Cold live start: a private PulseAudio server (tests/livetools.py), each program on a fresh null
   sink of its own; the time from launching it to its first sound, read off a recording of the sink's
   monitor (the recording's own clock, so every program is measured the same way). Programs: a bare
   audio program (Python + miniaudio playing a tone, the same 40 ms buffer as voiceguide), `voiceguide
   play` with the natural voice and an empty clip cache (left playing 2 s after its first sound, so
   that its first clips reach the cache), the same warm, and espeak-ng cold.
   Interleaved, medians of --repeats. Target: natural cold - bare <= 1.0 s.

    python3 benchmarks/bench_voice.py                 # 30-minute render, 5 live starts each (~5 min)
    python3 benchmarks/bench_voice.py --minutes 10 --repeats 3 --json benchmarks/voice-results.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO), str(HERE), str(REPO / "tests")]

import bench  # noqa: E402  (the generated routine, the floor, child processes)
from livetools import BARE_PROGRAM, RATE, Pulse, time_to_first_sound  # noqa: E402

LIVE_ROUTINE = REPO / "scripts" / "two-minute-reset.yaml"


def render(routine: Path, out_dir: Path, cache: Path, engine: str | None) -> dict:
    argv = [sys.executable, "-m", "voiceguide", "render", str(routine), "-o", str(out_dir), "--bitrate",
            str(bench.BITRATE), *(["--engine", engine] if engine else [])]
    result = bench.run_child(argv, bench.child_env(cache), f"voiceguide render ({engine or 'default'})")
    result["mp3"] = str(out_dir / f"{routine.stem}.mp3")
    return result


def render_rows(minutes: float, repeats: int, tmp: Path, log) -> dict:
    routine = Path(bench.make_routine(minutes, tmp)["path"])
    cold, espeak, warm, floor = [], [], [], []
    raw, floor_argv = tmp / "main.s16", None
    for i in range(repeats):
        cache = tmp / f"cache-{i}"
        cold.append(render(routine, tmp / "out-cold", cache, None))
        warm.append(render(routine, tmp / "out-warm", cache, None))
        espeak.append(render(routine, tmp / "out-espeak", tmp / f"cache-espeak-{i}", "espeak"))
        if floor_argv is None:
            seconds = bench.decode_to_raw(cold[-1]["mp3"], raw)
            floor_argv = bench.floor_encode_argv(raw, tmp / "floor.mp3")
        floor.append(bench.floor_encode(floor_argv))
        shutil.rmtree(cache)
        log(f"run {i + 1}/{repeats}: cold natural {cold[-1]['wall']:.2f} s, warm {warm[-1]['wall']:.2f} s, "
            f"cold espeak-ng {espeak[-1]['wall']:.2f} s, floor {floor[-1]['wall']:.2f} s")
    f = statistics.median(r["wall"] for r in floor)
    rows = {name: {"seconds": statistics.median(r["wall"] for r in runs),
                   "x_floor": statistics.median(r["wall"] for r in runs) / f,
                   "peak_rss_mb": max(r["rss_mb"] for r in runs)}
            for name, runs in (("floor", floor), ("natural cold", cold), ("natural warm", warm),
                               ("espeak-ng cold", espeak))}
    return {"session_seconds": seconds, "rows": rows}


def start_rows(repeats: int, tmp: Path, log) -> dict:
    server = Pulse(tmp / "pulse")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    play = [sys.executable, "-m", "voiceguide", "play", str(LIVE_ROUTINE)]
    runs: dict[str, list[float]] = {"bare audio program": [], "natural cold": [], "natural warm": [],
                                    "espeak-ng cold": []}
    try:
        for i in range(repeats):
            cache = tmp / f"live-cache-{i}"
            voice_env = dict(env, VOICEGUIDE_CACHE_DIR=str(cache))
            runs["bare audio program"].append(
                time_to_first_sound(server, [sys.executable, "-c", BARE_PROGRAM, str(RATE)], env, tmp))
            runs["natural cold"].append(time_to_first_sound(server, play, voice_env, tmp, cwd=REPO, linger=2.0))
            runs["natural warm"].append(time_to_first_sound(server, play, voice_env, tmp, cwd=REPO))
            runs["espeak-ng cold"].append(time_to_first_sound(
                server, [*play, "--engine", "espeak"], dict(env, VOICEGUIDE_CACHE_DIR=str(tmp / f"e-{i}")), tmp,
                cwd=REPO))
            log("run {}/{}: ".format(i + 1, repeats) + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in runs.items()))
    finally:
        server.close()
    medians = {k: statistics.median(v) for k, v in runs.items()}
    bare = medians["bare audio program"]
    return {"runs": runs, "rows": {k: {"seconds": v, "over_bare": v - bare} for k, v in medians.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0, help="length of the rendered session (default 30)")
    ap.add_argument("--repeats", type=int, default=3, help="renders of each kind (default 3)")
    ap.add_argument("--starts", type=int, default=5, help="live starts of each kind (default 5)")
    ap.add_argument("--json", type=Path, default=None, help="write the results to this JSON file")
    args = ap.parse_args()
    log = lambda msg: print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    tmp = Path(tempfile.mkdtemp(prefix="vg-voice-bench-"))
    (tmp / "config").mkdir()
    (tmp / "pulse").mkdir()
    os.environ["VOICEGUIDE_CONFIG_DIR"] = str(tmp / "config")
    os.environ["VOICEGUIDE_VOICES_DIR"] = str(tmp / "no-user-voices")
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "loadavg_start": list(os.getloadavg())},
               "settings": {"minutes": args.minutes, "repeats": args.repeats, "starts": args.starts}}
    try:
        log(f"renders of a {args.minutes:g}-minute session ...")
        results["render"] = render_rows(args.minutes, args.repeats, tmp, log)
        log("live starts ...")
        results["start"] = start_rows(args.starts, tmp, log)
    finally:
        results["machine"]["loadavg_end"] = list(os.getloadavg())
        shutil.rmtree(tmp, ignore_errors=True)
    r, s = results["render"]["rows"], results["start"]["rows"]
    print(f"\nrender, {bench.fmt_clock(results['render']['session_seconds'])} session "
          f"(medians of {args.repeats}, interleaved)")
    for name, row in r.items():
        print(f"  {name:<16} {row['seconds']:7.2f} s  {row['x_floor']:5.2f}x floor  peak RSS {row['peak_rss_mb']:.0f} MB")
    print(f"\nfirst sound after launch, on a null sink (medians of {args.starts}, interleaved)")
    for name, row in s.items():
        print(f"  {name:<20} {row['seconds']:5.2f} s  ({row['over_bare']:+.2f} s against the bare program)")
    checks = [("natural cold render <= 4x floor", r["natural cold"]["x_floor"] <= 4.0),
              ("natural cold first sound <= bare + 1.0 s", s["natural cold"]["over_bare"] <= 1.0)]
    results["targets"] = {name: ok for name, ok in checks}
    print()
    for name, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
