#!/usr/bin/env python3
"""voiceguide benchmark: render speed against the bare MP3 encode, cold vs warm clip cache,
against a naive pydub pipeline, scaling with session length, and peak memory.

Everything is measured side by side in one run, because shared machines are noisy:
the RATIOS are the result, absolute seconds are context.

    python3 benchmarks/bench.py                     # 30-min session, memory at 60 and 120 min
    python3 benchmarks/bench.py --quick             # a smaller, faster run
    python3 benchmarks/bench.py --minutes 20 --memory-minutes 40 80 --json results.json
    python3 benchmarks/bench.py --profile           # also: where the warm render spends its time

Stages (each timed as wall clock of a child process; peak RSS and CPU come from os.wait4):
  bare encode   ffmpeg -f s16le -ar 22050 -ac 1 -i RAW -c:a libmp3lame -b:a 64k OUT.mp3
                on the session's own PCM (decoded from voiceguide's MP3): the floor
  cold          python -m voiceguide render ROUTINE -o DIR --engine espeak, empty clip cache
  warm          the same with the cache filled (median of --repeats runs, interleaved with bare)
  in-process    session() + export() in one process (no CLI start-up), phases split
  naive pydub   the same clips (cached WAVs, so no TTS cost), `session += silent(gap) + clip`
                in a loop, then session.export(mp3, bitrate="64k")
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

RATE = 22050  # voiceguide.dsp.RATE (checked at start-up)
SEED = 20240611
BITRATE = 64
ESPEAK_FASTER = 0.08

# ====================================================================== routine generator
# One deterministic stream of steps (fixed seed): a routine of N minutes is the shortest prefix of
# the stream that lasts N minutes, so shorter routines share their sentences with longer ones.

PARTS = [
    "shoulders", "neck", "upper back", "lower back", "hips", "glutes", "hamstrings", "calves",
    "ankles", "feet", "wrists", "forearms", "chest", "ribs", "belly", "jaw", "thighs", "knees",
    "shins", "spine", "shoulder blades", "hip flexors", "inner thighs", "outer hips", "toes",
    "fingers", "elbows", "collarbones", "side body", "face",
]
VERBS = [
    "Lower", "Lift", "Turn", "Press", "Draw", "Ease", "Rotate", "Slide", "Rock", "Stretch",
    "Lengthen", "Relax", "Widen", "Soften", "Circle", "Shift", "Tilt", "Reach", "Fold", "Open",
]
MANNERS = [
    "slowly", "gently", "a little further", "with control", "without forcing",
    "as far as is comfortable", "in small circles", "with each exhale", "at your own pace",
    "a few centimetres", "smoothly", "carefully", "in one long movement", "while you breathe out",
    "towards the floor", "away from your ears",
]
FEELS = [
    "soften", "settle", "grow heavy", "melt into the floor", "spread out", "relax completely",
    "let go", "become quiet", "release a little more", "feel warm",
]
SENSATIONS = [
    "warmth", "stretch", "tension", "pressure", "weight", "gentle pull", "softness", "ease",
    "heaviness", "length", "pulse",
]
BREATH_HINTS = [
    "breathe into it", "let the breath do the work", "stay with it for a moment",
    "keep breathing slowly", "soften around it", "let it fade with the exhale", "do not chase it",
    "simply observe it",
]
IMAGES = [
    "warm sand pouring down your back", "a wave rolling up the shore", "sunlight on your skin",
    "a heavy blanket over your legs", "a balloon filling slowly", "roots growing into the ground",
    "a feather drifting down", "water flowing over stones", "a quiet lake at dawn",
    "a string lifting the crown of your head",
]
ACTIONS = [
    "settle into the position", "breathe out slowly", "relax your hands", "let your eyes close",
    "feel the floor beneath you", "let the effort fade", "find stillness", "lengthen through the spine",
]
STATES = ["relaxed", "still", "long", "soft", "heavy", "steady", "quiet", "grounded"]
MOVES = ["sink a little deeper", "move slowly", "stay easy", "follow the breath", "find a natural rhythm"]
CONNECTORS = [
    "Now", "Next", "Slowly", "When you are ready", "On your next breath", "Without hurrying",
    "If it feels right", "Little by little", "Then", "Gradually",
]
TIGHT = ["tight", "tired", "stiff", "tender", "restless"]
FIXES = [
    "ease off a little", "use a smaller range", "come back to the breath", "move more slowly",
    "place a cushion underneath",
]
TITLE_ADJ = ["Gentle", "Slow", "Deep", "Easy", "Soft", "Long", "Quiet", "Steady", "Open", "Warm"]
TITLE_NOUN = ["release", "stretch", "opener", "roll", "twist", "reach", "hold", "glide", "sway", "press"]
TEN_LEFT = ["Ten seconds left.", "Ten more seconds.", "Last ten seconds, stay soft.", "Ten seconds, keep breathing."]
HOLD_LENGTHS = ["40s", "45s", "50s", "1m", "40-50s", "45-55s"]


def _sentence(rng: random.Random) -> str:
    p, p2 = rng.sample(PARTS, 2)
    t = rng.randrange(7)
    if t == 0:
        return f"{rng.choice(VERBS)} your {p} {rng.choice(MANNERS)}."
    if t == 1:
        return f"Let your {p} {rng.choice(FEELS)}."
    if t == 2:
        return f"Notice the {rng.choice(SENSATIONS)} in your {p}, and {rng.choice(BREATH_HINTS)}."
    if t == 3:
        return f"Imagine {rng.choice(IMAGES)} as you {rng.choice(ACTIONS)}."
    if t == 4:
        return f"Keep your {p} {rng.choice(STATES)} and let your {p2} {rng.choice(MOVES)}."
    if t == 5:
        return f"{rng.choice(CONNECTORS)}, {rng.choice(VERBS).lower()} your {p} {rng.choice(MANNERS)}."
    return f"If it feels {rng.choice(TIGHT)} in your {p}, {rng.choice(FIXES)}."


def _say(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(lo, hi)))


def _title(rng: random.Random) -> str:
    return f"{rng.choice(TITLE_ADJ)} {rng.choice(PARTS)} {rng.choice(TITLE_NOUN)}"


def _hold(rng: random.Random, sided: bool) -> dict:
    length = rng.choice(HOLD_LENGTHS)
    step: dict = {"title": _title(rng)}
    if sided:
        step["sides"] = ["right", "left"]
        step["say"] = (f"Turn towards your {{side}} side and rest your {{other}} hand on the floor. "
                       + _say(rng, 2, 3) + " Stay for {duration}.")
        step["brief"] = "Now the {side} side. " + _say(rng, 1, 1)
    else:
        step["say"] = _say(rng, 3, 5) + " Stay here for {duration}."
    setup = rng.choice([None, "5s", "8s", "10s"])
    if setup:
        step["setup"] = setup
    step["for"] = length
    cues: list[dict] = []
    if rng.random() < 0.3:
        cues.append({"at": "8s", "sound": "chime"})
    cues.append({"at": "half", "say": f"Halfway. Let your {rng.choice(PARTS)} {rng.choice(FEELS[:6])}."})
    cues.append({"at": "-10s", "say": rng.choice(TEN_LEFT)})
    cues.append({"countdown": 3})
    step["cues"] = cues
    return step


DECK = ["spoken"] * 6 + ["hold"] * 3 + ["sided"] * 2 + ["breaths", "rest", "repeat"]  # one round of step kinds


def _step(rng: random.Random, kind: str) -> dict:
    if kind == "spoken":  # narration, then the transition gap
        return {"title": _title(rng), "say": _say(rng, 4, 6)}
    if kind == "hold":
        return _hold(rng, sided=False)
    if kind == "sided":
        return _hold(rng, sided=True)
    if kind == "breaths":
        return {
            "title": _title(rng),
            "say": _say(rng, 2, 3) + " Take {breaths} slow breaths.",
            "breaths": rng.choice([4, 5, 6, "4-6"]),
            "breath_cues": 2,
        }
    if kind == "rest":
        return {"rest": rng.choice(["15s", "20s"]), "say": "Rest for {duration}. Next comes {next}."}
    if kind == "repeat":
        return {
            "repeat": rng.choice([2, 3]),
            "steps": [{
                "title": _title(rng),
                "say": "Round {round} of {rounds}. " + _say(rng, 2, 2),
                "brief": "Round {round} of {rounds}. " + _say(rng, 1, 1),
                "for": "30s",
                "cues": [{"at": "half", "say": rng.choice(["Ten more seconds.", "Halfway there.", "Keep going."])},
                         {"countdown": 3}],
            }],
        }
    return {"title": "Bell", "sound": "bell"}


def step_stream(count: int) -> list[dict]:
    """The first `count` steps of the stream: rounds of DECK, each shuffled, a bell after every other round.
    The mix of kinds is the same at any length, so the share of speech is too."""
    rng = random.Random(SEED)
    out: list[dict] = []
    rounds = 0
    while len(out) < count:
        deck = DECK + (["bell"] if rounds % 2 else [])
        rng.shuffle(deck)
        out += [_step(rng, kind) for kind in deck]
        rounds += 1
    return out[:count]


def routine_doc(minutes: float, steps: list[dict]) -> dict:
    return {
        "title": f"Benchmark routine, {minutes:g} minutes",
        "summary": "A generated routine for the voiceguide benchmark.",
        "language": "en",
        "pace": "gentle",
        "breath": {"in": 4, "out": 6},
        "safety": [
            "Stop at once if you feel sharp pain, numbness or tingling.",
            "Move slowly, and never force a stretch.",
        ],
        "intro": "Welcome. This long session moves through the whole body, slowly. [pause 2s] "
                 "Find a quiet place and a mat.",
        "steps": steps + [{"title": "Closing bell", "sound": "bell"}],  # so a final rest has a {next}
        "outro": "That is the end of the session. [pause 2s] Roll onto your side before you sit up, and drink some water.",
    }


def estimated_duration(path: Path) -> tuple[float, float]:
    """(duration, speech seconds) of the routine by voiceguide.plan with estimated speech lengths."""
    from voiceguide.plan import EstimatedLengths, plan
    from voiceguide.script import load_routine
    from voiceguide.settings import resolve

    routine = load_routine(path)
    settings = resolve(routine)
    tl = plan(routine, settings, EstimatedLengths(settings))
    speech = sum(e.length for e in tl.events if e.kind == "speech")
    # espeak-ng at the gentle pace speaks ~8% faster than the planner's word-count estimate: correct for it,
    # so the rendered session (planned with measured clips) lands nearer N minutes
    return tl.duration - ESPEAK_FASTER * speech, speech * (1 - ESPEAK_FASTER)


def make_routine(minutes: float, folder: Path) -> dict:
    """Write bench-<N>min.yaml: the prefix of the step stream closest to N minutes (planned estimate)."""
    import yaml

    path = folder / f"bench-{minutes:g}min.yaml"
    target = minutes * 60.0
    cache: dict[int, tuple[float, float]] = {}
    pool = step_stream(int(minutes * 1.6) + 20)  # a step lasts ~70 s: ample, and under the 6-hour limit

    def measure(k: int) -> tuple[float, float]:
        if k not in cache:
            path.write_text(yaml.safe_dump(routine_doc(minutes, pool[:k]), sort_keys=False, width=4096), "utf-8")
            cache[k] = estimated_duration(path)
        return cache[k]

    lo, hi = 1, len(pool)
    if measure(hi)[0] < target:
        raise SystemExit(f"step pool too small for {minutes} minutes")
    while lo < hi:  # smallest k reaching the target
        mid = (lo + hi) // 2
        if measure(mid)[0] >= target:
            hi = mid
        else:
            lo = mid + 1
    k = lo if lo == 1 or abs(measure(lo)[0] - target) <= abs(measure(lo - 1)[0] - target) else lo - 1
    duration, speech = measure(k)
    path.write_text(yaml.safe_dump(routine_doc(minutes, pool[:k]), sort_keys=False, width=4096), "utf-8")
    return {
        "minutes": minutes, "path": str(path), "steps": k,
        "estimated_duration": round(duration, 1), "estimated_speech_share": round(speech / duration, 3),
        "estimate_ok": abs(duration - target) <= 0.10 * target,
    }


# ====================================================================== child processes


def child_env(cache: Path | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if cache is not None:
        env["VOICEGUIDE_CACHE_DIR"] = str(cache)
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    return env


def run_child(argv: list[str], env: dict | None = None, what: str = "") -> dict:
    """Run a child to completion: wall seconds, CPU seconds (it and its reaped children, e.g. ffmpeg),
    peak RSS in MB (the largest of it and its children) from os.wait4, and its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=REPO)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"{what or argv[0]} failed (exit {proc.returncode}):\n{stderr[-2000:]}")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024.0, "stdout": stdout}


def vg_render(routine: Path, out_dir: Path, cache: Path) -> dict:
    argv = [sys.executable, "-m", "voiceguide", "render", str(routine), "-o", str(out_dir), "--engine", "espeak",
            "--bitrate", str(BITRATE)]
    r = run_child(argv, child_env(cache), "voiceguide render")
    r["mp3"] = str(out_dir / f"{routine.stem}.mp3")
    return r


def bare_encode(raw: Path, out: Path) -> dict:
    return run_child(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "s16le", "-ar", str(RATE), "-ac", "1",
                      "-i", str(raw), "-c:a", "libmp3lame", "-b:a", f"{BITRATE}k", str(out)], what="ffmpeg encode")


def vg_encode_argv(raw: Path, out: Path) -> list[str]:
    """voiceguide's own ffmpeg command line (whatever sink.Mp3Encoder uses now), reading `raw` from disk."""
    from voiceguide.sink import Mp3Encoder

    enc = Mp3Encoder(out, BITRATE)
    argv = [str(a) for a in enc.proc.args]
    enc.abort()
    argv[argv.index("pipe:0")] = str(raw)
    argv[-1] = str(out)
    return argv


def decode_to_raw(mp3: str, raw: Path) -> float:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", mp3, "-f", "s16le", "-ac", "1", "-ar", str(RATE),
                    str(raw)], check=True)
    return raw.stat().st_size / 2 / RATE


def self_child(mode: str, *args: str, cache: Path) -> dict:
    r = run_child([sys.executable, str(Path(__file__).resolve()), mode, *args], child_env(cache), mode)
    r["result"] = json.loads(r["stdout"].strip().splitlines()[-1])
    return r


# ====================================================================== child modes


def _session(routine: Path):
    from voiceguide.render import session
    from voiceguide.voice import ClipCache
    from voiceguide.voice.cache import default_cache_dir

    return session(routine, engine="espeak", cache=ClipCache(default_cache_dir()))


def _timeline_facts(sess) -> dict:
    tl = sess.timeline
    speech = [e for e in tl.events if e.kind == "speech"]
    return {
        "duration": tl.duration,
        "speech_share": sum(e.length for e in speech) / tl.duration,
        "utterances": len(speech),
        "distinct_utterances": len({e.text for e in speech}),
        "distinct_sentences": len({x.strip() for e in speech for x in e.text.replace("?", ".").split(". ") if x.strip()}),
        "sounds": sum(1 for e in tl.events if e.kind == "sound"),
        "chapters": len(tl.chapters),
    }


PHASES = [  # (label, filename suffix, function name): cumulative times from cProfile
    ("mix (place clips, Mixer.render)", "voiceguide/mix.py", "render"),
    ("  of which clip reads (Voice.clip)", "voiceguide/voice/__init__.py", "clip"),
    ("limiter (dsp.limit)", "voiceguide/dsp.py", "limit"),
    ("loudness measure (LoudnessMeter.feed)", "voiceguide/dsp.py", "feed"),
    ("float->int16 (dsp.to_int16)", "voiceguide/dsp.py", "to_int16"),
    ("pipe to ffmpeg (Mp3Encoder.write)", "voiceguide/sink.py", "write"),
    ("ID3 tag + prepend", "voiceguide/sink.py", "prepend_tag"),
]


def mode_inproc(routine: str, out_dir: str, profile: str) -> None:
    """Warm render in this process: session(), the loudness normalisation alone (as export does it,
    counting what the limiter does), then the whole export() (which normalises again, then streams)."""
    import numpy as np

    from voiceguide import dsp
    from voiceguide.mix import TARGET_LUFS, Mixer
    from voiceguide.render import export
    from voiceguide.sink import encoder_loss_db

    t0 = time.perf_counter()
    sess = _session(Path(routine))
    t1 = time.perf_counter()
    res: dict = {"session_s": t1 - t0, **_timeline_facts(sess)}
    if profile != "1":
        counts = {"blocks": 0, "envelope": 0, "limited": 0}
        real_limit = dsp.limit

        def counting_limit(x, ceiling):
            y = real_limit(x, ceiling)
            counts["blocks"] += 1
            if x.size and np.abs(x).max() >= ceiling * 0.5:
                counts["envelope"] += 1  # the early exit did not apply: the 4x true-peak envelope was computed
            counts["limited"] += y is not x
            return y

        m = Mixer(sess.timeline, sess.voice.clip)
        t2 = time.perf_counter()
        m.measure()
        t3 = time.perf_counter()
        dsp.limit = counting_limit
        try:
            m.normalise(TARGET_LUFS + encoder_loss_db("mp3", BITRATE))
        finally:
            dsp.limit = real_limit
        t4 = time.perf_counter()
        res["measure_raw_s"], res["normalise_s"] = t3 - t2, t4 - t3
        res["limiter_in_final_pass"] = counts
    prof = None
    if profile == "1":
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t5 = time.perf_counter()
    result = export(sess, Path(out_dir), "mp3", BITRATE)
    t6 = time.perf_counter()
    res["export_s"] = t6 - t5
    res["gain_db"] = result.gain_db
    res["total_s"] = (t1 - t0) + (t6 - t5)
    if prof is not None:
        import io
        import pstats

        prof.disable()
        st = pstats.Stats(prof)
        phases = []
        for label, suffix, func in PHASES:
            ct = sum(v[3] for (f, _, n), v in st.stats.items() if f.endswith(suffix) and n == func)
            phases.append([label, ct])
        res["phases"] = phases
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(8)
        res["profile_top"] = buf.getvalue()
    print(json.dumps(res))


def mode_naive(routine: str, out_mp3: str) -> None:
    """The pipeline a newcomer writes with pydub, on the same timeline and the same cached clips."""
    import warnings

    warnings.simplefilter("ignore")
    from pydub import AudioSegment, effects

    from voiceguide.mix import SOUND_LEVELS

    sess = _session(Path(routine))  # warm: every clip is a WAV file in the cache (not timed: same as voiceguide)
    voice = sess.voice
    t0 = time.perf_counter()
    loaded: dict = {}  # generous to the newcomer: each file is read once

    def speech(text: str):
        path = voice.cache.path(voice.key(text))
        if path not in loaded:
            loaded[path] = AudioSegment.from_wav(path)
        return loaded[path]

    def sound(path: Path, level: float):
        if (path, level) not in loaded:
            seg = AudioSegment.from_wav(path).set_channels(1).set_frame_rate(RATE)
            loaded[(path, level)] = seg.apply_gain(20 * __import__("math").log10(level))
        return loaded[(path, level)]

    session = AudioSegment.empty()
    overlaps = 0
    for ev in sess.timeline.events:
        if ev.kind == "speech":
            clip = speech(ev.text)
        elif ev.kind == "sound":
            clip = sound(ev.path, SOUND_LEVELS.get(ev.role, 0.6))[: int(round(ev.length * 1000))]
        else:
            continue
        start = int(round(ev.start * 1000))
        if start >= len(session):
            session += AudioSegment.silent(duration=start - len(session), frame_rate=RATE) + clip
        else:  # a sound under speech: overlay what overlaps, append the rest
            overlaps += 1
            fit = len(session) - start
            session = session.overlay(clip[:fit], position=start) + clip[fit:]
    end = int(round(sess.timeline.duration * 1000))
    if end > len(session):
        session += AudioSegment.silent(duration=end - len(session), frame_rate=RATE)
    session = effects.normalize(session, headroom=1.0)
    t1 = time.perf_counter()
    session.export(out_mp3, format="mp3", bitrate=f"{BITRATE}k")
    t2 = time.perf_counter()
    print(json.dumps({
        "build_s": t1 - t0, "export_s": t2 - t1, "total_s": t2 - t0, "overlaps": overlaps,
        "audio_s": len(session) / 1000, "duration": sess.timeline.duration,
        "events": sum(1 for e in sess.timeline.events if e.kind in ("speech", "sound")),
    }))


# ====================================================================== the run


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def fmt_clock(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def tool_version(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout.splitlines()[0].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=None, help="main session length (default 30; --quick 10)")
    ap.add_argument("--small-minutes", type=float, default=None,
                    help="the shorter length for the scaling comparison (default minutes/3)")
    ap.add_argument("--memory-minutes", type=float, nargs=2, default=None, metavar=("A", "B"),
                    help="two lengths for the peak-RSS check (default 60 120; --quick 15 30)")
    ap.add_argument("--repeats", type=int, default=None, help="runs of bare encode and warm render, interleaved (default 3; --quick 1)")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, one run each")
    ap.add_argument("--profile", action="store_true", help="cProfile the in-process warm export and show where time goes")
    ap.add_argument("--json", type=Path, default=None, help="write all results to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (routines, outputs, cache)")
    args = ap.parse_args()

    minutes = args.minutes or (10.0 if args.quick else 30.0)
    small = args.small_minutes or (round(minutes / 3) if not args.quick else minutes / 2)
    mem_a, mem_b = args.memory_minutes or ((15.0, 30.0) if args.quick else (60.0, 120.0))
    repeats = args.repeats or (1 if args.quick else 3)

    from voiceguide import dsp

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
    log = lambda msg: print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    results: dict = {
        "machine": {
            "cpus": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "python": platform.python_version(), "numpy": numpy.__version__, "platform": platform.platform(),
            "ffmpeg": tool_version(["ffmpeg", "-version"]), "espeak_ng": tool_version(["espeak-ng", "--version"]),
            "loadavg_start": list(os.getloadavg()),
        },
        "settings": {"minutes": minutes, "small_minutes": small, "memory_minutes": [mem_a, mem_b],
                     "repeats": repeats, "bitrate_kbps": BITRATE, "seed": SEED},
    }
    try:
        # ------------------------------------------------ 1. routines
        lengths = sorted({minutes, small, mem_a, mem_b})
        routines = {}
        for m in lengths:
            info = make_routine(m, tmp)
            routines[m] = info
            log(f"routine {m:g} min: {info['steps']} steps, planned {fmt_clock(info['estimated_duration'])} "
                f"(estimate), speech ~{info['estimated_speech_share']:.0%}")
        results["routines"] = routines
        main_r, small_r = Path(routines[minutes]["path"]), Path(routines[small]["path"])
        cache = tmp / "cache"  # the shared, warm cache after the cold run

        # ------------------------------------------------ 2-4. cold, then bare vs warm interleaved
        log(f"cold render, {minutes:g} min, empty cache ...")
        cold = vg_render(main_r, tmp / "out-cold", cache)
        log(f"  {cold['wall']:.2f} s")
        raw = tmp / "main.s16"
        pcm_seconds = decode_to_raw(cold["mp3"], raw)

        log("in-process warm render ...")
        inproc = self_child("--_inproc", str(main_r), str(tmp / "out-inproc"), "0", cache=cache)["result"]
        facts = {k: inproc[k] for k in ("duration", "speech_share", "utterances", "distinct_utterances",
                                        "distinct_sentences", "sounds", "chapters")}
        results["session"] = facts
        vg_argv = vg_encode_argv(raw, tmp / "bare-vg.mp3")
        results["voiceguide_encoder_argv"] = vg_argv
        bare, bare_vg, warm = [], [], []
        for i in range(repeats):
            bare.append(bare_encode(raw, tmp / "bare.mp3"))
            bare_vg.append(run_child(vg_argv, what="ffmpeg encode (voiceguide args)"))
            warm.append(vg_render(main_r, tmp / "out-warm", cache))
            log(f"run {i + 1}/{repeats}: bare {bare[-1]['wall']:.2f} s, bare with voiceguide's args "
                f"{bare_vg[-1]['wall']:.2f} s, warm {warm[-1]['wall']:.2f} s")
        if args.profile:
            log("in-process warm render under cProfile ...")
            prof = self_child("--_inproc", str(main_r), str(tmp / "out-prof"), "1", cache=cache)["result"]
            results["profile"] = {"phases": prof["phases"], "export_s": prof["export_s"],
                                  "top": prof["profile_top"]}

        # ------------------------------------------------ 5-6. naive, and scaling
        log(f"naive pydub, {minutes:g} min ...")
        naive_main = self_child("--_naive", str(main_r), str(tmp / "naive.mp3"), cache=cache)
        log(f"  {naive_main['result']['total_s']:.2f} s")
        log(f"scaling: {small:g} min (priming the cache, untimed) ...")
        prime_small = vg_render(small_r, tmp / "out-prime", cache)
        raw_small = tmp / "small.s16"
        small_seconds = decode_to_raw(prime_small["mp3"], raw_small)
        bare_s, warm_s = [], []
        for i in range(repeats):
            bare_s.append(bare_encode(raw_small, tmp / "bare-small.mp3"))
            warm_s.append(vg_render(small_r, tmp / "out-warm-small", cache))
        naive_small = self_child("--_naive", str(small_r), str(tmp / "naive-small.mp3"), cache=cache)

        # ------------------------------------------------ 7. memory
        mem = {}
        for m in (mem_b, mem_a):  # the longer first: it fills the cache for both
            if m not in (minutes, small):
                log(f"memory: priming the cache for {m:g} min (untimed) ...")
                vg_render(Path(routines[m]["path"]), tmp / "out-prime", cache)
        for m in (mem_a, mem_b):
            r = vg_render(Path(routines[m]["path"]), tmp / "out-mem", cache)
            mem[m] = r
            log(f"memory: warm {m:g} min render: {r['rss_mb']:.1f} MB peak, {r['wall']:.2f} s")
        base_np = run_child([sys.executable, "-c", "import voiceguide.render, numpy"], child_env(cache))
        base_cli = run_child([sys.executable, "-c", "import voiceguide.cli, voiceguide.render, numpy, mutagen.id3"],
                             child_env(cache))
        results["machine"]["loadavg_end"] = list(os.getloadavg())
    finally:
        if args.keep:
            print(f"kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    # ------------------------------------------------ the report
    bare_t, warm_t = med([r["wall"] for r in bare]), med([r["wall"] for r in warm])
    bare_st, warm_st = med([r["wall"] for r in bare_s]), med([r["wall"] for r in warm_s])
    nm, ns = naive_main["result"], naive_small["result"]
    rows = []

    def row(length, stage, walls, cpu, rss, bare_ref):
        w = med(walls)
        rows.append({"length_s": length, "stage": stage, "wall_s": w, "runs": walls, "cpu_s": cpu,
                     "x_bare": w / bare_ref, "rss_mb": rss})

    L, Ls = pcm_seconds, small_seconds
    row(L, "bare encode (ffmpeg, the floor)", [r["wall"] for r in bare], med([r["cpu"] for r in bare]),
        max(r["rss_mb"] for r in bare), bare_t)
    row(L, "bare encode, voiceguide's ffmpeg args", [r["wall"] for r in bare_vg], med([r["cpu"] for r in bare_vg]),
        max(r["rss_mb"] for r in bare_vg), bare_t)
    row(L, "voiceguide cold (CLI, empty cache)", [cold["wall"]], cold["cpu"], cold["rss_mb"], bare_t)
    row(L, "voiceguide warm (CLI)", [r["wall"] for r in warm], med([r["cpu"] for r in warm]),
        max(r["rss_mb"] for r in warm), bare_t)
    row(L, "voiceguide warm (in-process export)", [inproc["export_s"]], None, None, bare_t)
    row(L, "naive pydub (+= in a loop)", [nm["total_s"]], naive_main["cpu"], naive_main["rss_mb"], bare_t)
    row(Ls, "bare encode (ffmpeg, the floor)", [r["wall"] for r in bare_s], med([r["cpu"] for r in bare_s]),
        max(r["rss_mb"] for r in bare_s), bare_st)
    row(Ls, "voiceguide warm (CLI)", [r["wall"] for r in warm_s], med([r["cpu"] for r in warm_s]),
        max(r["rss_mb"] for r in warm_s), bare_st)
    row(Ls, "naive pydub (+= in a loop)", [ns["total_s"]], naive_small["cpu"], naive_small["rss_mb"], bare_st)

    ratio_main, ratio_small = nm["total_s"] / warm_t, ns["total_s"] / warm_st
    rss_a, rss_b = mem[mem_a]["rss_mb"], mem[mem_b]["rss_mb"]
    ratios = {
        "cold_over_bare": cold["wall"] / bare_t,
        "warm_over_bare": warm_t / bare_t,
        "warm_inprocess_over_bare": inproc["export_s"] / bare_t,
        "bare_vg_args_over_bare": med([r["wall"] for r in bare_vg]) / bare_t,
        "warm_over_bare_vg_args": warm_t / med([r["wall"] for r in bare_vg]),
        "naive_over_warm": {str(minutes): ratio_main, str(small): ratio_small},
        "naive_over_warm_growth": ratio_main / ratio_small,
        "rss_b_over_a": rss_b / rss_a,
    }
    targets = [
        (f"cold <= 2.0x bare encode ({minutes:g} min)", ratios["cold_over_bare"] <= 2.0, f"{ratios['cold_over_bare']:.2f}x"),
        (f"warm <= 1.2x bare encode ({minutes:g} min)", ratios["warm_over_bare"] <= 1.2, f"{ratios['warm_over_bare']:.2f}x"),
        (f"naive / warm >= 3x at {minutes:g} min", ratio_main >= 3.0, f"{ratio_main:.2f}x"),
        (f"naive / warm grows with length ({small:g} -> {minutes:g} min)", ratio_main > ratio_small,
         f"{ratio_small:.2f}x -> {ratio_main:.2f}x"),
        (f"peak RSS of a {mem_a:g}-min render < 150 MB", rss_a < 150.0, f"{rss_a:.1f} MB"),
        (f"peak RSS {mem_b:g} min within +15% of {mem_a:g} min", rss_b / rss_a <= 1.15, f"{rss_b / rss_a:.3f}"),
    ]
    results.update({
        "rows": rows, "ratios": ratios,
        "cold": {k: cold[k] for k in ("wall", "cpu", "rss_mb")},
        "inprocess_warm": {k: v for k, v in inproc.items() if k not in facts},
        "naive": {str(minutes): nm, str(small): ns},
        "memory": {
            str(mem_a): {"rss_mb": rss_a, "wall_s": mem[mem_a]["wall"]},
            str(mem_b): {"rss_mb": rss_b, "wall_s": mem[mem_b]["wall"]},
            "baseline_import_render_numpy_mb": base_np["rss_mb"],
            "baseline_import_cli_mb": base_cli["rss_mb"],
        },
        "targets": [{"target": t, "pass": ok, "value": v} for t, ok, v in targets],
    })

    # ------------------------------------------------ print
    out = []
    mach = results["machine"]
    out.append(f"voiceguide benchmark: {fmt_clock(facts['duration'])} session ({minutes:g}-min routine), "
               f"{facts['utterances']} utterances ({facts['distinct_utterances']} distinct clips, "
               f"{facts['distinct_sentences']} distinct sentences), "
               f"{facts['sounds']} sounds, speech {facts['speech_share']:.0%} of the time")
    out.append(f"machine: {mach['cpus']} CPUs, load {mach['loadavg_start'][0]:.2f} -> {mach['loadavg_end'][0]:.2f}, "
               f"Python {mach['python']}, numpy {mach['numpy']}, {mach['ffmpeg'].split(' Copyright')[0]}, "
               f"{mach['espeak_ng'].split('  Data')[0]}; median of {repeats} interleaved runs where shown")
    out.append("")
    out.append(f"{'length':>7}  {'stage':<37} {'wall s':>7} {'x bare':>7} {'CPU s':>7} {'peak RSS':>9}  runs")
    for r in rows:
        cpu = f"{r['cpu_s']:.2f}" if r["cpu_s"] is not None else "-"
        rss = f"{r['rss_mb']:.0f} MB" if r["rss_mb"] is not None else "-"
        runs = " ".join(f"{x:.2f}" for x in r["runs"]) if len(r["runs"]) > 1 else ""
        out.append(f"{fmt_clock(r['length_s']):>7}  {r['stage']:<37} {r['wall_s']:7.2f} {r['x_bare']:6.2f}x {cpu:>7} {rss:>9}  {runs}")
    out.append("")
    lim = inproc["limiter_in_final_pass"]
    out.append(f"in-process warm, {minutes:g} min: session() {inproc['session_s']:.2f} s, export() {inproc['export_s']:.2f} s; "
               f"of which normalise() {inproc['normalise_s']:.2f} s (one raw loudness pass alone: {inproc['measure_raw_s']:.2f} s)")
    out.append(f"  session gain {inproc['gain_db']:+.2f} dB; limiter on the final pass: {lim['blocks']} blocks, "
               f"{lim['envelope']} computed the true-peak envelope, {lim['limited']} actually limited")
    out.append(f"naive pydub, {minutes:g} min: build {nm['build_s']:.2f} s + export {nm['export_s']:.2f} s "
               f"({nm['events']} events, {nm['overlaps']} overlaid); {small:g} min: build {ns['build_s']:.2f} s + "
               f"export {ns['export_s']:.2f} s")
    out.append("")
    out.append("ratios")
    out.append(f"  cold / bare encode            {ratios['cold_over_bare']:6.2f}x")
    out.append(f"  warm / bare encode            {ratios['warm_over_bare']:6.2f}x   (in-process export: "
               f"{ratios['warm_inprocess_over_bare']:.2f}x)")
    out.append(f"  voiceguide's own encode args / bare {ratios['bare_vg_args_over_bare']:6.2f}x   (warm / that: "
               f"{ratios['warm_over_bare_vg_args']:.2f}x)")
    out.append(f"  naive / warm at {small:>4g} min      {ratio_small:6.2f}x")
    out.append(f"  naive / warm at {minutes:>4g} min      {ratio_main:6.2f}x   (growth {ratios['naive_over_warm_growth']:.2f}x)")
    out.append("")
    out.append("memory (peak RSS of a warm CLI render, os.wait4; includes the interpreter, numpy and ffmpeg child)")
    out.append(f"  baseline `python3 -c 'import voiceguide.render, numpy'`  {base_np['rss_mb']:6.1f} MB")
    out.append(f"  baseline CLI imports (+ typer, rich, mutagen)            {base_cli['rss_mb']:6.1f} MB")
    for m, rss in ((mem_a, rss_a), (mem_b, rss_b)):
        out.append(f"  {m:>4g} min render   {rss:6.1f} MB   (+{rss - base_np['rss_mb']:.1f} MB over the baseline)")
    out.append(f"  {mem_b:g} / {mem_a:g} min   {rss_b / rss_a:.3f}")
    if args.profile:
        out.append("")
        p = results["profile"]
        out.append(f"where the warm export's {p['export_s']:.2f} s go (cProfile, cumulative per function):")
        for label, ct in p["phases"]:
            out.append(f"  {label:<40} {ct:6.2f} s  {ct / p['export_s']:5.1%}")
        out.append(p["top"].rstrip())
    out.append("")
    real_ok = abs(facts["duration"] - minutes * 60) <= 0.10 * minutes * 60
    out.append(f"routine check: planned with measured clips {fmt_clock(facts['duration'])} for {minutes:g} min "
               f"({facts['duration'] / (minutes * 60) - 1:+.1%}; {'OK' if real_ok else 'OUTSIDE'} +/-10%), "
               f"estimated {fmt_clock(routines[minutes]['estimated_duration'])}")
    results["routine_check_ok"] = real_ok
    out.append("")
    out.append("targets")
    for t, ok, v in targets:
        out.append(f"  {'PASS' if ok else 'FAIL'}  {t:<55} {v}")
    print("\n".join(out))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", "utf-8")
        print(f"\nresults: {args.json}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_inproc":
        mode_inproc(*sys.argv[2:5])
    elif len(sys.argv) > 1 and sys.argv[1] == "--_naive":
        mode_naive(*sys.argv[2:4])
    else:
        main()
