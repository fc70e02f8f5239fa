#!/usr/bin/env python3
"""voiceguide benchmark: render speed against the floor (encoding the session into the MP3 voiceguide
must ship), cold vs warm clip cache, against a naive pydub pipeline making the same MP3, scaling with
session length, and peak memory, on a generated routine calibrated on the shipped ones.

Everything is measured side by side in one run, because shared machines are noisy:
the RATIOS are the result, absolute seconds are context.

    python3 benchmarks/bench.py                     # 30-min session (naive also at 10 and 60), memory at 60 and 120
    python3 benchmarks/bench.py --quick             # a smaller, faster run
    python3 benchmarks/bench.py --minutes 20 --memory-minutes 40 80 --json results.json
    python3 benchmarks/bench.py --profile           # also: where the warm render spends its time
    python3 benchmarks/report.py benchmarks/results.json   # reprint a saved run's report (no measuring)

Stages (each timed as wall clock of a child process; peak RSS and CPU come from os.wait4):
  floor         voiceguide's own ffmpeg command line (sink.Mp3Encoder: -f s16le -ar 22050 -ac 1 -i RAW
                ... -ar 48000 -c:a libmp3lame -b:a 64k ... OUT.mp3) on the session's own PCM read from a file
                (decoded from voiceguide's MP3). voiceguide's MP3 must be 48 kHz: ffprobe reports an MP3's
                duration as whole frames with the encoder delay (+50-76 ms at 22.05 kHz, +23-47 ms at 48 kHz)
                and the plan allows 50 ms. So encoding into THAT MP3 is the cost that cannot be avoided.
  context       the plain 22.05 kHz encode of the same PCM (not voiceguide's product; no ratio uses it)
  cold          python -m voiceguide render ROUTINE -o DIR --engine espeak, empty clip cache
  warm          the same with the cache filled (median of --repeats runs, interleaved with the floor)
  in-process    session() + export() in one process (no CLI start-up), its parts also timed apart
  naive pydub   the same product the newcomer's way: the timeline's clips and sounds (cached WAVs, so no TTS
                cost), `session += silent(gap) + clip` in a loop, then session.export(mp3, bitrate="64k",
                parameters=["-ar", "48000"]) (mono, 48 kHz, 64k); at N/3, N and 2N minutes
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)] if str(REPO) not in sys.path else []  # voiceguide from the source checkout

import report  # noqa: E402  (the printed report, also reprinted from saved results)
from generator import SEED, compare_profiles, make_routine, shipped_profile  # noqa: E402
from harness import (BITRATE, RATE, child_env, decode_to_raw, floor_encode, floor_encode_argv,  # noqa: E402
                     fmt_clock, med, plain_encode, run_child, stage_child, tool_version, vg_render)


def measure(results: dict, tmp: Path, minutes: float, scale: list, mem_a: float, mem_b: float,
            repeats: int, profile: bool, log) -> dict:
    """Every measurement of a run, in the temporary folder `tmp`; fills `results` with what it learns on
    the way and returns the raw runs for `summarise`."""
    # ------------------------------------------------ 1. routines, checked against the shipped ones
    routines = {}
    for m in sorted({*scale, mem_a, mem_b}):
        info = make_routine(m, tmp)
        routines[m] = info
        log(f"routine {m:g} min: {info['steps']} steps, planned {fmt_clock(info['estimated_duration'])} "
            f"(estimate), speech ~{info['estimated_speech_share']:.0%}")
    shipped = shipped_profile()
    mix_rows = compare_profiles(shipped, routines[minutes]["profile"])
    results["routines"] = {str(m): {k: v for k, v in r.items() if k != "path"} for m, r in routines.items()}
    results["routine_mix"] = {"shipped": shipped, "generated_minutes": minutes, "rows": mix_rows}
    paths = {m: Path(r["path"]) for m, r in routines.items()}
    cache = tmp / "cache"  # the shared clip cache: warm after the cold run

    # ------------------------------------------------ 2-4. cold, then floor, context and warm interleaved
    log(f"cold render, {minutes:g} min, empty cache ...")
    cold = vg_render(paths[minutes], tmp / "out-cold", cache)
    log(f"  {cold['wall']:.2f} s")
    raw = tmp / "main.s16"
    pcm_seconds = decode_to_raw(cold["mp3"], raw)

    log("in-process warm render ...")
    inproc = stage_child("inproc", str(paths[minutes]), str(tmp / "out-inproc"), "0", cache=cache)["result"]
    facts = {k: inproc[k] for k in ("duration", "speech_share", "utterances", "distinct_utterances",
                                    "distinct_sentences", "sounds", "chapters")}
    results["session"] = facts
    floor_argv = floor_encode_argv(raw, tmp / "floor.mp3")
    results["floor_argv"] = [Path(a).name if a.startswith(str(tmp)) else a for a in floor_argv]
    floor, plain, warm = [], [], []
    for i in range(repeats):
        floor.append(floor_encode(floor_argv))
        plain.append(plain_encode(raw, tmp / "plain.mp3"))
        warm.append(vg_render(paths[minutes], tmp / "out-warm", cache))
        log(f"run {i + 1}/{repeats}: floor (48 kHz) {floor[-1]['wall']:.2f} s, plain 22.05 kHz "
            f"{plain[-1]['wall']:.2f} s, warm {warm[-1]['wall']:.2f} s")
    if profile:
        log("in-process warm render under cProfile ...")
        prof = stage_child("inproc", str(paths[minutes]), str(tmp / "out-prof"), "1", cache=cache)["result"]
        results["profile"] = {"phases": prof["phases"], "export_s": prof["export_s"],
                              "writer_thread": prof["writer_thread"], "top": prof["profile_top"]}

    # ------------------------------------------------ 5-6. naive at every length; floor and warm at the others
    scaling: dict = {minutes: {"seconds": pcm_seconds, "floor": floor, "warm": warm}}
    for m in scale:
        if m != minutes:
            log(f"scaling: {m:g} min (priming the cache, untimed) ...")
            prime = vg_render(paths[m], tmp / "out-prime", cache)
            raw_m = tmp / f"pcm-{m:g}.s16"
            seconds = decode_to_raw(prime["mp3"], raw_m)
            argv_m = floor_encode_argv(raw_m, tmp / f"floor-{m:g}.mp3")
            fl, wm = [], []
            for i in range(repeats):
                fl.append(floor_encode(argv_m))
                wm.append(vg_render(paths[m], tmp / "out-warm-scale", cache))
            raw_m.unlink()
            scaling[m] = {"seconds": seconds, "floor": fl, "warm": wm}
            log(f"  floor {med([r['wall'] for r in fl]):.2f} s, warm {med([r['wall'] for r in wm]):.2f} s")
        log(f"naive pydub, {m:g} min ...")
        scaling[m]["naive"] = stage_child("naive", str(paths[m]), str(tmp / f"naive-{m:g}.mp3"), cache=cache)
        log(f"  {scaling[m]['naive']['result']['total_s']:.2f} s")
    naive_probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=sample_rate,channels,bit_rate",
         "-of", "compact=p=0:nk=0", str(tmp / f"naive-{minutes:g}.mp3")], capture_output=True, text=True).stdout.strip()

    # ------------------------------------------------ 7. memory
    mem = {}
    for m in (mem_b, mem_a):  # the longer first: it fills the cache for both
        if m not in scale:
            log(f"memory: priming the cache for {m:g} min (untimed) ...")
            vg_render(paths[m], tmp / "out-prime", cache)
    for m in (mem_a, mem_b):
        r = vg_render(paths[m], tmp / "out-mem", cache)
        mem[m] = r
        log(f"memory: warm {m:g} min render: {r['rss_mb']:.1f} MB peak, {r['wall']:.2f} s")
    base_np = run_child([sys.executable, "-c", "import voiceguide.export.render, numpy"], child_env(cache))
    base_cli = run_child([sys.executable, "-c", "import voiceguide.cli, voiceguide.export.render, numpy, mutagen.id3"],
                         child_env(cache))
    results["machine"]["loadavg_end"] = list(os.getloadavg())
    return {"cold": cold, "inproc": inproc, "facts": facts, "floor": floor, "plain": plain, "warm": warm,
            "pcm_seconds": pcm_seconds, "scaling": scaling, "naive_probe": naive_probe, "mem": mem,
            "base_np": base_np, "base_cli": base_cli}


def summarise(results: dict, runs: dict) -> None:
    """The rows, ratios and targets of a run, from its raw runs, into `results` (what report.py prints)."""
    st = results["settings"]
    minutes, scale, (mem_a, mem_b) = st["minutes"], st["scaling_minutes"], st["memory_minutes"]
    cold, inproc, facts, floor, plain, warm = (runs[k] for k in ("cold", "inproc", "facts", "floor", "plain", "warm"))
    pcm_seconds, scaling, naive_probe, mem = runs["pcm_seconds"], runs["scaling"], runs["naive_probe"], runs["mem"]
    base_np, base_cli = runs["base_np"], runs["base_cli"]
    walls = lambda runs: [r["wall"] for r in runs]  # noqa: E731
    floor_t, warm_t = med(walls(floor)), med(walls(warm))
    rows = []

    def row(length, stage, runs_or_wall, ref, cpu=None, rss=None):
        ws = walls(runs_or_wall) if isinstance(runs_or_wall, list) else [runs_or_wall]
        if isinstance(runs_or_wall, list):
            cpu, rss = med([r["cpu"] for r in runs_or_wall]), max(r["rss_mb"] for r in runs_or_wall)
        w = med(ws)
        rows.append({"length_s": length, "stage": stage, "wall_s": w, "runs": ws, "cpu_s": cpu,
                     "x_floor": w / ref, "rss_mb": rss})

    L = pcm_seconds
    nm = scaling[minutes]["naive"]
    row(L, "FLOOR: encode to voiceguide's MP3 (48k)", floor, floor_t)
    row(L, "(context) encode to a 22.05 kHz MP3", plain, floor_t)
    row(L, "voiceguide cold (CLI, empty cache)", cold["wall"], floor_t, cold["cpu"], cold["rss_mb"])
    row(L, "voiceguide warm (CLI)", warm, floor_t)
    row(L, "voiceguide warm (in-process export)", inproc["export_s"], floor_t)
    row(L, "naive pydub (+= loop, 48k export)", nm["result"]["total_s"], floor_t, nm["cpu"], nm["rss_mb"])
    naive_over_warm = {}
    for m in scale:
        s = scaling[m]
        ft, wt = med(walls(s["floor"])), med(walls(s["warm"]))
        naive_over_warm[m] = s["naive"]["result"]["total_s"] / wt
        if m != minutes:
            row(s["seconds"], "FLOOR: encode to voiceguide's MP3 (48k)", s["floor"], ft)
            row(s["seconds"], "voiceguide warm (CLI)", s["warm"], ft)
            row(s["seconds"], "naive pydub (+= loop, 48k export)", s["naive"]["result"]["total_s"], ft,
                s["naive"]["cpu"], s["naive"]["rss_mb"])
    rows = rows[:6] + sorted(rows[6:], key=lambda r: r["length_s"])

    rss_a, rss_b = mem[mem_a]["rss_mb"], mem[mem_b]["rss_mb"]
    growing = all(naive_over_warm[a] < naive_over_warm[b] for a, b in zip(scale, scale[1:]))
    ratios = {
        "cold_over_floor": cold["wall"] / floor_t,
        "warm_over_floor": warm_t / floor_t,
        "warm_inprocess_over_floor": inproc["export_s"] / floor_t,
        "plain_22k_over_floor": med(walls(plain)) / floor_t,
        "naive_over_warm": {f"{m:g}": v for m, v in naive_over_warm.items()},
        "rss_b_over_a": rss_b / rss_a,
    }
    nw = " -> ".join(f"{naive_over_warm[m]:.2f}x" for m in scale)
    targets = [
        (f"cold <= 2.0x floor ({minutes:g} min)", ratios["cold_over_floor"] <= 2.0, f"{ratios['cold_over_floor']:.2f}x"),
        (f"warm <= 1.2x floor ({minutes:g} min)", ratios["warm_over_floor"] <= 1.2, f"{ratios['warm_over_floor']:.2f}x"),
        (f"naive / warm >= 3x at {minutes:g} min", naive_over_warm[minutes] >= 3.0, f"{naive_over_warm[minutes]:.2f}x"),
        ("naive / warm grows with length (" + " -> ".join(f"{m:g}" for m in scale) + " min)", growing, nw),
        (f"peak RSS of a {mem_a:g}-min render < 150 MB", rss_a < 150.0, f"{rss_a:.1f} MB"),
        (f"peak RSS {mem_b:g} min within +15% of {mem_a:g} min (flat)", rss_b / rss_a <= 1.15, f"{rss_b / rss_a:.3f}"),
    ]
    real_ok = abs(facts["duration"] - minutes * 60) <= 0.10 * minutes * 60
    results.update({
        "floor": "voiceguide's own ffmpeg command line (sink.Mp3Encoder: s16le 22050 Hz mono in, -ar 48000 "
                 "libmp3lame 64k out, to a file) on the session's PCM read from a file",
        "rows": rows, "ratios": ratios,
        "cold": {k: cold[k] for k in ("wall", "cpu", "rss_mb")},
        "inprocess_warm": {k: v for k, v in inproc.items() if k not in facts},
        "naive": {f"{m:g}": {**scaling[m]["naive"]["result"], "cpu_s": scaling[m]["naive"]["cpu"],
                             "rss_mb": scaling[m]["naive"]["rss_mb"]} for m in scale},
        "naive_mp3": naive_probe,
        "memory": {
            f"{mem_a:g}": {"rss_mb": rss_a, "wall_s": mem[mem_a]["wall"]},
            f"{mem_b:g}": {"rss_mb": rss_b, "wall_s": mem[mem_b]["wall"]},
            "baseline_import_render_numpy_mb": base_np["rss_mb"],
            "baseline_import_cli_mb": base_cli["rss_mb"],
        },
        "routine_check_ok": real_ok,
        "targets": [{"target": t, "pass": ok, "value": v} for t, ok, v in targets],
    })


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=None, help="main session length (default 30; --quick 10)")
    ap.add_argument("--small-minutes", type=float, default=None,
                    help="the shorter length for the scaling comparison (default minutes/3)")
    ap.add_argument("--long-minutes", type=float, default=None,
                    help="the longer length for the scaling comparison (default minutes*2)")
    ap.add_argument("--memory-minutes", type=float, nargs=2, default=None, metavar=("A", "B"),
                    help="two lengths for the peak-RSS check (default 60 120; --quick 15 30)")
    ap.add_argument("--repeats", type=int, default=None,
                    help="runs of the floor encode and the warm render, interleaved (default 3; --quick 1)")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, one run each")
    ap.add_argument("--profile", action="store_true", help="cProfile the in-process warm export and show where time goes")
    ap.add_argument("--json", type=Path, default=None, help="write the results to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (routines, outputs, cache)")
    args = ap.parse_args()

    minutes = args.minutes or (10.0 if args.quick else 30.0)
    small = args.small_minutes or (round(minutes / 3) if not args.quick else minutes / 2)
    long_ = args.long_minutes or minutes * 2
    mem_a, mem_b = args.memory_minutes or ((15.0, 30.0) if args.quick else (60.0, 120.0))
    repeats = args.repeats or (1 if args.quick else 3)
    scale = sorted({small, minutes, long_})

    from voiceguide import dsp
    from voiceguide.export.transcripts import MP3_RATE

    if dsp.RATE != RATE:
        raise SystemExit(f"voiceguide's rate is {dsp.RATE}, the benchmark assumes {RATE}")
    for tool in ("ffmpeg", "espeak-ng"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed")
    try:
        import pydub  # noqa: F401
    except ImportError:
        raise SystemExit("pydub is needed for the naive pipeline: pip install pydub (Python 3.13+: also audioop-lts)")

    import numpy

    tmp = Path(tempfile.mkdtemp(prefix="vg-bench-"))
    (tmp / "config").mkdir()
    os.environ["VOICEGUIDE_CONFIG_DIR"] = str(tmp / "config")  # no user config (presets, beds) skews the runs
    log = lambda msg: print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    results: dict = {
        "machine": {
            "cpus": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "python": platform.python_version(), "numpy": numpy.__version__, "platform": platform.platform(),
            "ffmpeg": tool_version(["ffmpeg", "-version"]), "espeak_ng": tool_version(["espeak-ng", "--version"]),
            "loadavg_start": list(os.getloadavg()),
        },
        "settings": {"minutes": minutes, "scaling_minutes": scale, "memory_minutes": [mem_a, mem_b],
                     "repeats": repeats, "bitrate_kbps": BITRATE, "mp3_rate": MP3_RATE, "seed": SEED},
    }
    try:
        runs = measure(results, tmp, minutes, scale, mem_a, mem_b, repeats, args.profile, log)
    finally:
        if args.keep:
            print(f"kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    summarise(results, runs)
    print(report.render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n", "utf-8")
        print(f"\nresults: {args.json}")


if __name__ == "__main__":
    main()
