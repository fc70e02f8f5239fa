"""bench.py's report, from its results alone: what a run prints, and what benchmarks/README.md and
docs/design/performance.md quote, reprinted from saved results without measuring again:

    python3 benchmarks/report.py benchmarks/results.json          # the whole report
    python3 benchmarks/report.py benchmarks/results.json --table  # the README's stage table alone
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def fmt_clock(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _by_minutes(table: dict, minutes: float):
    """A value keyed by a length in minutes, whichever way the key was written ("30", "30.0")."""
    return next(v for k, v in table.items() if float(k) == float(minutes))


def stage_table(rows: list[dict]) -> list[str]:
    """The stage table: each stage's wall time, its ratio to the floor, CPU, peak RSS and the runs."""
    out = [f"{'length':>7}  {'stage':<40} {'wall s':>7} {'x floor':>8} {'CPU s':>7} {'peak RSS':>9}  runs"]
    for r in rows:
        cpu = f"{r['cpu_s']:.2f}" if r["cpu_s"] is not None else "-"
        rss = f"{r['rss_mb']:.0f} MB" if r["rss_mb"] is not None else "-"
        runs = " ".join(f"{x:.2f}" for x in r["runs"]) if len(r["runs"]) > 1 else ""
        out.append(f"{fmt_clock(r['length_s']):>7}  {r['stage']:<40} {r['wall_s']:7.2f} {r['x_floor']:7.2f}x "
                   f"{cpu:>7} {rss:>9}  {runs}")
    return out


def routine_table(mix: dict) -> list[str]:
    """The generated routine against the shipped ones, figure by figure."""
    out = [f"  {'':34} {'shipped':>8} {'generated':>10} {'diff':>6}"]
    for r in mix["rows"]:
        fmt = (lambda v: f"{v:.1%}") if r["kind"] == "share" else (lambda v: f"{v:.3f}")
        out.append(f"  {r['label']:<34} {fmt(r['shipped']):>8} {fmt(r['generated']):>10} {r['diff']:+6.0%}"
                   f"{'' if abs(r['diff']) <= 0.15 else '  (within one event)' if r['ok'] else '  OFF'}")
    return out


def targets_table(targets: list[dict]) -> list[str]:
    return ["targets"] + [f"  {'PASS' if t['pass'] else 'FAIL'}  {t['target']:<58} {t['value']}" for t in targets]


def render(results: dict) -> str:
    """The whole report of one run, as bench.py prints it."""
    settings, facts, mach = results["settings"], results["session"], results["machine"]
    minutes, repeats, scale = settings["minutes"], settings["repeats"], settings["scaling_minutes"]
    mem_a, mem_b = settings["memory_minutes"]
    bitrate, mp3_rate = settings["bitrate_kbps"], settings["mp3_rate"]
    shipped = results["routine_mix"]["shipped"]
    inproc, ratios, memory = results["inprocess_warm"], results["ratios"], results["memory"]
    naive_over_warm = {m: _by_minutes(ratios["naive_over_warm"], m) for m in scale}
    rss_a, rss_b = _by_minutes(memory, mem_a)["rss_mb"], _by_minutes(memory, mem_b)["rss_mb"]
    base_np, base_cli = memory["baseline_import_render_numpy_mb"], memory["baseline_import_cli_mb"]
    out = [
        f"voiceguide benchmark: {fmt_clock(facts['duration'])} session ({minutes:g}-min routine), "
        f"{facts['utterances']} utterances ({facts['distinct_utterances']} distinct clips, "
        f"{facts['distinct_sentences']} distinct sentences), "
        f"{facts['sounds']} sounds, speech {facts['speech_share']:.0%} of the time",
        f"machine: {mach['cpus']} CPUs, load {mach['loadavg_start'][0]:.2f} -> {mach['loadavg_end'][0]:.2f}, "
        f"Python {mach['python']}, numpy {mach['numpy']}, {mach['ffmpeg'].split(' Copyright')[0]}, "
        f"{mach['espeak_ng'].split('  Data')[0]}; median of {repeats} interleaved runs where shown",
        "",
        "the routine: the generated one against the routines we ship (voiceguide.plan with estimated speech",
        f"lengths; shipped: {len(shipped['routines'])} routines in scripts/, {shipped['minutes']:.0f} min in all, "
        "pooled: total over total minutes)",
        *routine_table(results["routine_mix"]),
        "",
        f"the floor: encoding the session into THE MP3 voiceguide must ship: mono, {mp3_rate // 1000} kHz, "
        f"{bitrate} kbit/s (ffprobe reports",
        "an MP3's duration as whole frames with the encoder delay: +50-76 ms at 22.05 kHz, +23-47 ms at 48 kHz,",
        "and the spec allows 50 ms). It is voiceguide's own ffmpeg command line (sink.Mp3Encoder) run on the",
        "session's PCM from a file. The plain 22.05 kHz encode is shown for context only; no ratio uses it.",
        "",
        *stage_table(results["rows"]),
        "",
    ]
    lp, lf = inproc["limiter_in_loudness_pass"], inproc["limiter_in_final_pass"]
    out.append(f"in-process warm, {minutes:g} min: session() {inproc['session_s']:.2f} s, export() {inproc['export_s']:.2f} s; "
               f"apart: loudness pass (normalise) {inproc['normalise_s']:.2f} s, final mix + limiter + int16 "
               f"(no encoder) {inproc['final_pass_s']:.2f} s")
    out.append(f"  session gain {inproc['gain_db']:+.2f} dB; loudness pass re-limited {lp['blocks']} blocks; "
               f"final pass: {lf['blocks']} blocks, {lf['envelope']} computed the true-peak envelope, "
               f"{lf['limited']} actually limited")
    for m in scale:
        n = _by_minutes(results["naive"], m)
        out.append(f"naive pydub, {m:g} min: build {n['build_s']:.2f} s + export {n['export_s']:.2f} s "
                   f"({n['events']} events, {n['overlaps']} overlaid)")
    out.append(f"  the naive MP3 ({minutes:g} min), by ffprobe: {results['naive_mp3']}")
    out.append("")
    out.append("ratios (to the floor: voiceguide's 48 kHz MP3 encode)")
    out.append(f"  cold / floor                  {ratios['cold_over_floor']:6.2f}x")
    out.append(f"  warm / floor                  {ratios['warm_over_floor']:6.2f}x   (in-process export: "
               f"{ratios['warm_inprocess_over_floor']:.2f}x)")
    for m in scale:
        out.append(f"  naive / warm at {m:>4g} min      {naive_over_warm[m]:6.2f}x")
    out.append(f"  (context: plain 22.05 kHz encode / floor {ratios['plain_22k_over_floor']:.2f}x)")
    out.append("")
    out.append("memory (peak RSS of a warm CLI render, os.wait4; includes the interpreter, numpy and ffmpeg child)")
    out.append(f"  baseline `python3 -c 'import voiceguide.export.render, numpy'`  {base_np:6.1f} MB")
    out.append(f"  baseline CLI imports (+ typer, rich, mutagen)            {base_cli:6.1f} MB")
    for m, rss in ((mem_a, rss_a), (mem_b, rss_b)):
        out.append(f"  {m:>4g} min render   {rss:6.1f} MB   (+{rss - base_np:.1f} MB over the baseline)")
    out.append(f"  {mem_b:g} / {mem_a:g} min   {rss_b / rss_a:.3f}")
    if "profile" in results:
        out.append("")
        p = results["profile"]
        out.append(f"where the warm export's {p['export_s']:.2f} s go (cProfile of the mixing thread, cumulative per function):")
        for label, ct in p["phases"]:
            out.append(f"  {label:<44} {ct:6.2f} s  {ct / p['export_s']:5.1%}")
        wt = p["writer_thread"]
        out.append(f"  writer thread (not profiled): Mp3Encoder.write {wt['write_s']:.2f} s over {wt['blocks']} blocks "
                   "(float->int16 + pipe; blocks while ffmpeg is busy)")
        out.append(p["top"].rstrip())
    out.append("")
    estimated = _by_minutes(results["routines"], minutes)["estimated_duration"]
    out.append(f"routine check: planned with measured clips {fmt_clock(facts['duration'])} for {minutes:g} min "
               f"({facts['duration'] / (minutes * 60) - 1:+.1%}; {'OK' if results['routine_check_ok'] else 'OUTSIDE'} "
               f"+/-10%), estimated {fmt_clock(estimated)}")
    out.append("")
    out += targets_table(results["targets"])
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", type=Path, help="a results file written by bench.py --json")
    ap.add_argument("--table", action="store_true", help="only the stage table and the targets (as the README shows them)")
    args = ap.parse_args(argv)
    try:
        results = json.loads(args.results.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{args.results}: cannot read bench.py's results ({exc})")
    if args.table:
        print("\n".join(stage_table(results["rows"]) + [""] + targets_table(results["targets"])))
    else:
        print(render(results))


if __name__ == "__main__":
    sys.exit(main())
