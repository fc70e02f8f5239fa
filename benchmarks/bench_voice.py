#!/usr/bin/env python3
"""The natural voices (Kokoro, the default engine's first choice with the neural extra, and Piper),
measured side by side in one run. Read the ratios and differences: the machine may be shared.

1. Cold renders: `python -m voiceguide render ROUTINE --engine piper|kokoro|espeak` with an empty clip
   cache, on bench.py's generated routine (generator.py) (30 minutes by default), against the floor:
   encoding the same session into voiceguide's MP3 with voiceguide's own encoder command (bench.py's
   floor, harness.py); Piper and Kokoro also warm. Runs are interleaved, medians of --repeats.
   Targets: Piper cold <= 4x the floor; Kokoro cold <= 3x Piper cold.
2. Cold live start: a private PulseAudio server (testsupport/pulse.py), each program on a fresh null
   sink of its own; the time from launching it to its first sound, read off a recording of the sink's
   monitor (the recording's own clock, so every program is measured the same way). Programs: a bare
   audio program (Python + miniaudio playing a tone, the same device buffer as voiceguide, 120 ms), `voiceguide
   play` as it comes (Kokoro) with an empty clip cache (left playing until its first clips reach
   the cache), the same warm, both again with `--engine piper`, and espeak-ng cold. Kokoro's cold
   start has the model as the first run on the machine kept it (kokoroprepared.py), and that first
   run, with nothing in its cache folder, is a row of its own. Interleaved, medians of --repeats.
   Targets: Kokoro cold - bare <= 1.5 s, warm <= 0.3 s; Piper cold <= 1.0 s.
3. Memory of a cold render: peak RSS (os.wait4: the largest of the render and its children) of
   `voiceguide render` with an empty clip cache, Piper and espeak-ng, on bench.py's generated routines
   of --memory-minutes (60 and 120 by default), and Kokoro at the shorter. Targets: Piper cold <= 300
   MB at the shorter length, and the longer no more than 5% above it (memory must not grow with the
   session); Kokoro <= 900 MB.

    python3 benchmarks/bench_voice.py                 # 30-minute renders x3, 5 live starts each, memory (~25 min)
    python3 benchmarks/bench_voice.py --minutes 10 --repeats 3 --json benchmarks/voice-results.json
    python3 benchmarks/bench_voice.py --only memory   # the memory rows alone (~10 min)
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
sys.path[:0] = [str(REPO)]  # the source checkout: voiceguide and testsupport (benchmarks/ is already first)

import generator  # noqa: E402  (the generated routine)
import harness  # noqa: E402  (the floor, child processes and their peak memory)
from testsupport.pulse import BARE_PROGRAM, RATE, Pulse, clips_cached, time_to_first_sound  # noqa: E402

LIVE_ROUTINE = REPO / "scripts" / "two-minute-reset.yaml"
MEMORY_TARGET_MB = 300.0  # Piper, cold, at the shorter --memory-minutes
KOKORO_MEMORY_TARGET_MB = 900.0  # Kokoro, cold, at the shorter --memory-minutes
KOKORO_OVER_PIPER = 3.0  # a cold render with Kokoro against the same with Piper, in the same run
MEMORY_GROWTH = 1.05  # the longer render's peak over the shorter's: flat, within noise
PARTS = ("render", "starts", "memory")


def render(routine: Path, out_dir: Path, cache: Path, engine: str | None) -> dict:
    argv = [sys.executable, "-m", "voiceguide", "render", str(routine), "-o", str(out_dir), "--bitrate",
            str(harness.BITRATE), *(["--engine", engine] if engine else [])]
    result = harness.run_child(argv, harness.child_env(cache), f"voiceguide render ({engine or 'default'})")
    result["mp3"] = str(out_dir / f"{routine.stem}.mp3")
    return result


RENDERS = (("piper", "piper"), ("kokoro", "kokoro"), ("espeak-ng", "espeak"))  # (row name, --engine)


def render_rows(minutes: float, repeats: int, tmp: Path, log) -> dict:
    routine = Path(generator.make_routine(minutes, tmp)["path"])
    runs: dict[str, list[dict]] = {"floor": []}
    raw, floor_argv = tmp / "main.s16", None
    for i in range(repeats):
        for name, engine in RENDERS:
            cache = tmp / f"cache-{engine}-{i}"
            runs.setdefault(f"{name} cold", []).append(render(routine, tmp / f"out-{engine}", cache, engine))
            if engine != "espeak":
                runs.setdefault(f"{name} warm", []).append(render(routine, tmp / f"out-{engine}", cache, engine))
            shutil.rmtree(cache)
        if floor_argv is None:
            seconds = harness.decode_to_raw(runs["piper cold"][-1]["mp3"], raw)
            floor_argv = harness.floor_encode_argv(raw, tmp / "floor.mp3")
        runs["floor"].append(harness.floor_encode(floor_argv))
        log(f"run {i + 1}/{repeats}: " + ", ".join(f"{k} {v[-1]['wall']:.2f} s" for k, v in runs.items()))
    f = statistics.median(r["wall"] for r in runs["floor"])
    rows = {name: {"seconds": statistics.median(r["wall"] for r in rs),
                   "x_floor": statistics.median(r["wall"] for r in rs) / f,
                   "peak_rss_mb": max(r["rss_mb"] for r in rs)}
            for name, rs in runs.items()}
    return {"session_seconds": seconds, "rows": rows}


def memory_rows(lengths: list[float], tmp: Path, log) -> dict:
    """Peak RSS of cold renders (an empty clip cache each) at each length, natural voice and espeak-ng."""
    rows = {}
    for minutes in lengths:
        routine = Path(generator.make_routine(minutes, tmp)["path"])
        engines = (("piper cold", "piper"), ("espeak-ng cold", "espeak"))
        if minutes == lengths[0]:
            engines += (("kokoro cold", "kokoro"),)
        for name, engine in engines:
            cache = tmp / f"mem-cache-{minutes:g}-{engine or 'default'}"
            r = render(routine, tmp / "out-mem", cache, engine)
            shutil.rmtree(cache)
            rows[f"{name}, {minutes:g} min"] = {"minutes": minutes, "engine": engine or "default",
                                                "seconds": r["wall"], "peak_rss_mb": r["rss_mb"]}
            log(f"memory: {name} {minutes:g} min: {r['rss_mb']:.0f} MB peak, {r['wall']:.1f} s")
    return {"rows": rows}


def memory_checks(rows: dict, lengths: list[float]) -> list[tuple[str, bool, str]]:
    """The memory targets beside what was measured: (target, met, measured)."""
    short, long = (rows[f"piper cold, {m:g} min"]["peak_rss_mb"] for m in lengths)
    kokoro = rows[f"kokoro cold, {lengths[0]:g} min"]["peak_rss_mb"]
    return [
        (f"kokoro cold {lengths[0]:g} min peak RSS <= {KOKORO_MEMORY_TARGET_MB:.0f} MB",
         kokoro <= KOKORO_MEMORY_TARGET_MB, f"{kokoro:.0f} MB"),
        (f"piper cold {lengths[0]:g} min peak RSS <= {MEMORY_TARGET_MB:.0f} MB", short <= MEMORY_TARGET_MB,
         f"{short:.0f} MB"),
        (f"piper cold {lengths[1]:g} min peak RSS <= {lengths[0]:g} min + {MEMORY_GROWTH - 1:.0%}",
         long <= short * MEMORY_GROWTH, f"{long:.0f} MB ({long / short:.3f}x)"),
    ]


def start_rows(repeats: int, tmp: Path, log) -> dict:
    server = Pulse(tmp / "pulse")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    play = [sys.executable, "-m", "voiceguide", "play", str(LIVE_ROUTINE)]
    runs: dict[str, list[float]] = {"bare audio program": [], "piper cold": [], "piper warm": [],
                                    "kokoro first run": [], "kokoro cold": [], "kokoro warm": [],
                                    "espeak-ng cold": []}
    try:
        for i in range(repeats):
            cache = tmp / f"live-cache-{i}"
            voice_env = dict(env, VOICEGUIDE_CACHE_DIR=str(cache))
            runs["bare audio program"].append(
                time_to_first_sound(server, [sys.executable, "-c", BARE_PROGRAM, str(RATE)], env, tmp))
            piper = [*play, "--engine", "piper"]
            runs["piper cold"].append(time_to_first_sound(server, piper, voice_env, tmp, cwd=REPO,
                                                         until=clips_cached(cache)))
            runs["piper warm"].append(time_to_first_sound(server, piper, voice_env, tmp, cwd=REPO))
            kokoro = play  # the default engine, with the neural extra
            first_cache = tmp / f"k-first-{i}"  # nothing in it: the model is rewritten and kept
            runs["kokoro first run"].append(time_to_first_sound(
                server, kokoro, dict(env, VOICEGUIDE_CACHE_DIR=str(first_cache)), tmp, cwd=REPO,
                until=clips_cached(first_cache)))
            kokoro_cache = tmp / f"k-{i}"  # no clips, the model as the first run kept it
            shutil.copytree(first_cache / "models", kokoro_cache / "models")
            kokoro_env = dict(env, VOICEGUIDE_CACHE_DIR=str(kokoro_cache))
            runs["kokoro cold"].append(time_to_first_sound(server, kokoro, kokoro_env, tmp, cwd=REPO,
                                                           until=clips_cached(kokoro_cache)))
            runs["kokoro warm"].append(time_to_first_sound(server, kokoro, kokoro_env, tmp, cwd=REPO))
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
    ap.add_argument("--memory-minutes", type=float, nargs=2, default=[60.0, 120.0], metavar=("A", "B"),
                    help="lengths of the cold renders whose peak memory is measured (default 60 120)")
    ap.add_argument("--only", choices=PARTS, nargs="+", default=list(PARTS), help="run only these parts")
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
               "settings": {"minutes": args.minutes, "repeats": args.repeats, "starts": args.starts,
                            "memory_minutes": args.memory_minutes, "parts": args.only}}
    try:
        if "render" in args.only:
            log(f"renders of a {args.minutes:g}-minute session ...")
            results["render"] = render_rows(args.minutes, args.repeats, tmp, log)
        if "starts" in args.only:
            log("live starts ...")
            results["start"] = start_rows(args.starts, tmp, log)
        if "memory" in args.only:
            log("peak memory of cold renders ...")
            results["memory"] = memory_rows(args.memory_minutes, tmp, log)
    finally:
        results["machine"]["loadavg_end"] = list(os.getloadavg())
        shutil.rmtree(tmp, ignore_errors=True)
    checks = []
    if "render" in results:
        r = results["render"]["rows"]
        print(f"\nrender, {harness.fmt_clock(results['render']['session_seconds'])} session "
              f"(medians of {args.repeats}, interleaved)")
        for name, row in r.items():
            print(f"  {name:<16} {row['seconds']:7.2f} s  {row['x_floor']:5.2f}x floor  "
                  f"peak RSS {row['peak_rss_mb']:.0f} MB")
        checks.append(("piper cold render <= 4x floor", r["piper cold"]["x_floor"] <= 4.0,
                       f"{r['piper cold']['x_floor']:.2f}x"))
        over = r["kokoro cold"]["seconds"] / r["piper cold"]["seconds"]
        checks.append((f"kokoro cold render <= {KOKORO_OVER_PIPER:g}x piper cold", over <= KOKORO_OVER_PIPER,
                       f"{over:.2f}x"))
    if "start" in results:
        s = results["start"]["rows"]
        print(f"\nfirst sound after launch, on a null sink (medians of {args.starts}, interleaved)")
        for name, row in s.items():
            print(f"  {name:<20} {row['seconds']:5.2f} s  ({row['over_bare']:+.2f} s against the bare program)")
        checks.append(("piper cold first sound <= bare + 1.0 s", s["piper cold"]["over_bare"] <= 1.0,
                       f"{s['piper cold']['over_bare']:+.2f} s"))
        checks.append(("kokoro cold first sound <= bare + 1.5 s", s["kokoro cold"]["over_bare"] <= 1.5,
                       f"{s['kokoro cold']['over_bare']:+.2f} s"))
        checks.append(("kokoro warm first sound <= bare + 0.3 s", s["kokoro warm"]["over_bare"] <= 0.3,
                       f"{s['kokoro warm']['over_bare']:+.2f} s"))
    if "memory" in results:
        m = results["memory"]["rows"]
        print("\npeak RSS of a cold render (empty clip cache; the largest of the render and its children)")
        for name, row in m.items():
            print(f"  {name:<24} {row['peak_rss_mb']:6.0f} MB  ({row['seconds']:.1f} s)")
        checks += memory_checks(m, args.memory_minutes)
    results["targets"] = {name: {"met": ok, "measured": measured} for name, ok, measured in checks}
    print()
    for name, ok, measured in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name:<52} {measured}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
