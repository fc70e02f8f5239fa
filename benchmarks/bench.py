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
ESPEAK_FASTER = 0.15

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


# Knobs, calibrated on the shipped routines (see routine_profile and the report's routine table)
SPOKEN_SENTENCES = (1, 3)  # a spoken step's narration, in sentences (its [pause] splits it in two)
HOLD_SENTENCES = (2, 3)
CHIME_SHARE = 0.1  # timed holds with a chime cue
EARLY_CUE_SHARE = 0.25 # timed holds with a spoken cue at 10 s


def _hold(rng: random.Random, sided: bool, length: str | None = None) -> dict:
    step: dict = {"title": _title(rng)}
    if sided:
        step["sides"] = ["right", "left"]
        step["say"] = (f"Turn towards your {{side}} side and rest your {{other}} hand on the floor. "
                       + _say(rng, *HOLD_SENTENCES) + " Stay for {duration}.")
        step["brief"] = "Now the {side} side. " + _say(rng, 1, 2)
    else:
        step["say"] = _say(rng, *HOLD_SENTENCES) + " Stay here for {duration}."
    setup = rng.choice([None, "5s", "8s", "10s"])
    if setup:
        step["setup"] = setup
    step["for"] = length or rng.choice(HOLD_LENGTHS)
    cues: list[dict] = []
    if rng.random() < CHIME_SHARE:
        cues.append({"at": "8s", "sound": "chime"})
    elif rng.random() < EARLY_CUE_SHARE:
        cues.append({"at": "10s", "say": f"Keep your {rng.choice(PARTS)} {rng.choice(STATES)}."})
    cues.append({"at": "half", "say": f"Halfway. Let your {rng.choice(PARTS)} {rng.choice(FEELS[:6])}."})
    cues.append({"at": "-10s", "say": rng.choice(TEN_LEFT)})
    cues.append({"countdown": 3})
    step["cues"] = cues
    return step


def _breaths(rng: random.Random, sided: bool) -> dict:
    """A breath hold: the first two breaths spoken (breathe in, breathe out), the rest as breath tones."""
    step: dict = {"title": _title(rng)}
    if sided:
        step["sides"] = ["right", "left"]
        step["say"] = ("Cross your {side} ankle over your {other} knee. " + _say(rng, 1, 3)
                       + " Stay for {breaths} breaths.")
        step["brief"] = "Now the {side} side, for {breaths} breaths. " + _say(rng, 0, 1)
    else:
        step["say"] = _say(rng, 2, 3) + " Take {breaths} slow breaths."
    step["breaths"] = rng.choice([4, 4, 5, "4-5"]) if not sided else rng.choice([4, 4, 5, "3-5"])
    step["breath_cues"] = 2
    return step


# One round of step kinds, in this order (interleaved as a routine would be, so any stretch of a routine
# has the same mix). With the knobs above, one round is ~16 minutes at pace 0.9, and a routine matches
# the shipped ones (per minute of session) in speech and sound events, share of speech, time in timed holds,
# breath holds and rests, breath tones, countdowns and side switches: see the report's routine table.
ROUND = ["spoken", "sided", "tick", "spoken", "sided_breaths", "hold", "rest", "spoken", "repeat", "spoken",
         "breaths", "sided", "bell", "spoken", "hold", "spoken", "sided_breaths", "rest", "spoken"]
TICK_EVERY = 2  # a hold with a tick every 15 s (daily-five's roller) in every 2nd round: ticks are rare


def _step(rng: random.Random, kind: str) -> dict:
    if kind == "spoken":  # narration in two parts, then the transition gap
        return {"title": _title(rng), "say": _say(rng, 1, 2) + " [pause 1s] " + _say(rng, *SPOKEN_SENTENCES)}
    if kind == "hold":
        return _hold(rng, sided=False)
    if kind == "sided":
        return _hold(rng, sided=True)
    if kind == "tick":
        return {"title": _title(rng), "say": _say(rng, 2, 3) + " At each tick, move on.", "setup": "5s",
                "for": "45s", "cues": [{"every": "15s", "sound": "tick"}]}
    if kind == "breaths":
        return _breaths(rng, sided=False)
    if kind == "sided_breaths":
        return _breaths(rng, sided=True)
    if kind == "rest":
        return {"rest": rng.choice(["25s", "30s", "30s"]), "say": "Rest for {duration}. Next comes {next}."}
    if kind == "repeat":
        return {
            "repeat": 2,
            "steps": [{
                "title": _title(rng),
                "say": "Round {round} of {rounds}. " + _say(rng, 2, 2),
                "brief": "Round {round} of {rounds}. " + _say(rng, 1, 1),
                "for": "30s",
                "cues": [{"at": "half", "say": rng.choice(["Ten more seconds.", "Halfway there.", "Keep going."])}],
            }],
        }
    return {"title": "Bell", "sound": "bell"}


def step_stream(count: int) -> list[dict]:
    """The first `count` steps of the stream: rounds of ROUND, the tick hold only in every TICK_EVERY-th.
    The mix of kinds is the same at any length, so the share of speech is too."""
    rng = random.Random(SEED)
    out: list[dict] = []
    rounds = 0
    while len(out) < count:
        kinds = [k for k in ROUND if k != "tick" or rounds % TICK_EVERY == 0]
        out += [_step(rng, kind) for kind in kinds]
        rounds += 1
    return out[:count]


def routine_doc(minutes: float, steps: list[dict]) -> dict:
    return {
        "title": f"Benchmark routine, {minutes:g} minutes",
        "summary": "A generated routine for the voiceguide benchmark.",
        "language": "en",
        "pace": 0.9,  # the shipped routines: gentle (0.8) to brisk (1.25), 0.94 on average by length
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


def estimated_timeline(path: Path):
    """The routine's timeline by voiceguide.plan with estimated speech lengths (word counts)."""
    from voiceguide.plan.timeline import EstimatedLengths
    from voiceguide.plan.planner import plan
    from voiceguide.routine import load_routine
    from voiceguide.routine.settings import resolve

    routine = load_routine(path)
    settings = resolve(routine)
    return plan(routine, settings, EstimatedLengths(settings))


def estimated_duration(path: Path) -> tuple[float, float]:
    """(duration, speech seconds) of the routine by voiceguide.plan with estimated speech lengths."""
    tl = estimated_timeline(path)
    speech = sum(e.length for e in tl.events if e.kind == "speech")
    # espeak-ng at pace 0.9 speaks ~15% faster than the planner's word-count estimate: correct for it,
    # so the rendered session (planned with measured clips) lands nearer N minutes
    return tl.duration - ESPEAK_FASTER * speech, speech * (1 - ESPEAK_FASTER)


# ---------------------------------------------------------------------- how a routine is made up

# (key, label, kind): "rate" = events per minute, "share" = share of the session's time
PROFILE = [
    ("speech_per_min", "speech events / min", "rate"),
    ("sounds_per_min", "sound events / min", "rate"),
    ("speech_share", "share of time with speech", "share"),
    ("timed_hold_share", "  time in timed holds", "share"),
    ("breath_hold_share", "  time in breath holds", "share"),
    ("rest_share", "  time in rests and waits", "share"),
    ("breath_cues_per_min", "spoken breath cues / min", "rate"),
    ("breath_tones_per_min", "breath tones / min", "rate"),
    ("countdowns_per_min", "countdowns / min", "rate"),
    ("ticks_per_min", "ticks / min", "rate"),
    ("cues_per_min", "spoken hold cues / min", "rate"),
    ("side_switches_per_min", "side switches / min", "rate"),
]


def timeline_counts(tl) -> dict:
    """What a timeline is made of: event counts and seconds (a breath hold is a hold with breath cues or tones)."""
    import bisect

    c = {"seconds": tl.duration, "speech": 0, "sounds": 0, "speech_s": 0.0, "timed_hold_s": 0.0,
         "breath_hold_s": 0.0, "rest_s": 0.0, "breath_cues": 0, "breath_tones": 0, "countdowns": 0,
         "ticks": 0, "cues": 0, "side_switches": 0}
    breath = sorted(e.start for e in tl.events if e.role == "breath")
    for e in tl.events:
        if e.kind == "speech":
            c["speech"] += 1
            c["speech_s"] += e.length
            c["breath_cues"] += e.role == "breath"
            c["countdowns"] += e.role == "countdown" and e.text == "1"  # a countdown ends on "1"
            c["cues"] += e.role == "cue"
        elif e.kind == "sound" and e.role != "ambient":
            c["sounds"] += 1
            c["breath_tones"] += e.role == "breath"
            c["ticks"] += e.role == "every"
            c["side_switches"] += e.role == "transition"
        elif e.kind == "hold":
            i = bisect.bisect_left(breath, e.start - 1e-9)
            c["breath_hold_s" if i < len(breath) and breath[i] < e.end else "timed_hold_s"] += e.length
        elif e.kind in ("rest", "wait"):
            c["rest_s"] += e.length
    return c


def routine_profile(counts: list[dict]) -> dict:
    """Pooled over the routines (total over total minutes): events per minute and shares of time."""
    t = {k: sum(c[k] for c in counts) for k in counts[0]}
    minutes = t["seconds"] / 60
    out = {"minutes": minutes}
    for k in ("speech", "sounds", "breath_cues", "breath_tones", "countdowns", "ticks", "cues", "side_switches"):
        out[f"{k}_per_min"] = t[k] / minutes
    for k in ("speech", "timed_hold", "breath_hold", "rest"):
        out[f"{k}_share"] = t[f"{k}_s"] / t["seconds"]
    return out


def shipped_profile() -> dict:
    paths = sorted((REPO / "scripts").glob("*.yaml"))
    prof = routine_profile([timeline_counts(estimated_timeline(p)) for p in paths])
    prof["routines"] = [p.name for p in paths]
    return prof


def compare_profiles(shipped: dict, generated: dict, tolerance: float = 0.15) -> list[dict]:
    """Each figure: shipped, generated, relative difference, and whether it is within `tolerance`
    (or, for rare events, within one event over the generated routine's length)."""
    rows = []
    for key, label, kind in PROFILE:
        s, g = shipped[key], generated[key]
        diff = g / s - 1 if s else float("inf")
        one_event = kind == "rate" and abs(g - s) * generated["minutes"] <= 1.0 + 1e-9
        rows.append({"key": key, "label": label, "kind": kind, "shipped": s, "generated": g, "diff": diff,
                     "ok": abs(diff) <= tolerance or one_event})
    return rows


def make_routine(minutes: float, folder: Path) -> dict:
    """Write bench-<N>min.yaml: the prefix of the step stream closest to N minutes (planned estimate)."""
    import yaml

    path = folder / f"bench-{minutes:g}min.yaml"
    target = minutes * 60.0
    cache: dict[int, tuple[float, float]] = {}
    pool = step_stream(int(minutes * 1.6) + 20)  # a step lasts ~50 s: ample, and under the 6-hour limit

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
        "profile": routine_profile([timeline_counts(estimated_timeline(path))]),
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


def floor_encode_argv(raw: Path, out: Path) -> list[str]:
    """THE FLOOR: voiceguide's own ffmpeg command line (whatever sink.Mp3Encoder runs now: s16le 22050 Hz
    mono in, resampled to 48 kHz, libmp3lame 64k, Xing header, to a seekable file), reading `raw` from disk
    instead of the pipe. voiceguide's MP3 must be 48 kHz (ffprobe reports an MP3's duration as whole frames
    with the encoder delay: +50-76 ms at 22.05 kHz, +23-47 ms at 48 kHz, and the plan allows 50 ms), so this
    encode is the one cost a render cannot avoid."""
    from voiceguide.export.transcripts import Mp3Encoder

    enc = Mp3Encoder(out, BITRATE)
    argv = [str(a) for a in enc.proc.args]
    enc.abort()
    argv[argv.index("pipe:0")] = str(raw)
    argv[-1] = str(out)
    return argv


def floor_encode(argv: list[str]) -> dict:
    return run_child(argv, what="ffmpeg encode (voiceguide's command line)")


def plain_encode(raw: Path, out: Path) -> dict:
    """Context only (not the floor): a plain 22.05 kHz MP3, which voiceguide cannot ship."""
    return run_child(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "s16le", "-ar", str(RATE), "-ac", "1",
                      "-i", str(raw), "-c:a", "libmp3lame", "-b:a", f"{BITRATE}k", str(out)], what="ffmpeg encode")


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
    from voiceguide.session.build import session
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
        "distinct_utterances": len({(e.text, e.role) for e in speech}),
        "distinct_sentences": len({x.strip() for e in speech for x in e.text.replace("?", ".").split(". ") if x.strip()}),
        "sounds": sum(1 for e in tl.events if e.kind == "sound"),
        "chapters": len(tl.chapters),
    }


PHASES = [  # (label, filename suffix, function name): cumulative times from cProfile (the mixing thread only)
    ("loudness pass (Mixer.normalise)", "voiceguide/mix/mixer.py", "normalise"),
    ("  true peak of loud blocks (dsp.true_peak)", "voiceguide/dsp.py", "true_peak"),
    ("  K-weighted energies (subblock_energies)", "voiceguide/dsp.py", "subblock_energies"),
    ("mix, both passes (Mixer.render)", "voiceguide/mix/mixer.py", "render"),
    ("  of which clip reads (Voice.clip)", "voiceguide/voice/__init__.py", "clip"),
    ("limiter, both passes (dsp.limit)", "voiceguide/dsp.py", "limit"),
    ("handing blocks to the writer (Queue.put)", "queue.py", "put"),
    ("waiting for the writer at the end (join)", "threading.py", "join"),
    ("ID3 tag + prepend", "voiceguide/export/formats/mp3.py", "prepend_tag"),
]


def mode_inproc(routine: str, out_dir: str, profile: str) -> None:
    """Warm render in this process: session(), then export() (timed clean, or under cProfile). Without the
    profile, the parts of export are then timed apart: the loudness pass alone (counting the blocks it
    re-limits) and the final mix + limiter + float->int16 pass alone (no encoder), counting what the limiter does."""
    import numpy as np

    from voiceguide import dsp
    from voiceguide.export import transcripts as sink
    from voiceguide.mix.mixer import TARGET_LUFS, Mixer
    from voiceguide.export.render import export

    t0 = time.perf_counter()
    sess = _session(Path(routine))
    t1 = time.perf_counter()
    res: dict = {"session_s": t1 - t0, **_timeline_facts(sess)}
    prof = None
    writer = {"blocks": 0, "write_s": 0.0}
    if profile == "1":
        import cProfile

        real_write = sink.Mp3Encoder.write

        def timed_write(self, block):  # runs in the writer thread, which cProfile does not see
            a = time.perf_counter()
            real_write(self, block)
            writer["write_s"] += time.perf_counter() - a
            writer["blocks"] += 1

        sink.Mp3Encoder.write = timed_write
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
        res["writer_thread"] = writer
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(10)
        text = buf.getvalue()
        res["profile_top"] = text[text.find("   ncalls"):] if "   ncalls" in text else text
    else:
        counts: dict = {}
        real_limit = dsp.limit

        def counting_limit(x, ceiling):
            y = real_limit(x, ceiling)
            counts["blocks"] += 1
            if x.size and np.abs(x).max() >= ceiling * 0.5:
                counts["envelope"] += 1  # the early exit did not apply: the true-peak envelope was computed
            counts["limited"] += y is not x
            return y

        m = Mixer(sess.timeline, sess.voice.clip)
        dsp.limit = counting_limit
        try:
            counts.update(blocks=0, envelope=0, limited=0)
            t2 = time.perf_counter()
            m.normalise(TARGET_LUFS + sink.encoder_loss_db("mp3", BITRATE))
            t3 = time.perf_counter()
            res["limiter_in_loudness_pass"] = dict(counts)
            counts.update(blocks=0, envelope=0, limited=0)
            for block in m.blocks():
                dsp.to_int16(block)
            t4 = time.perf_counter()
            res["limiter_in_final_pass"] = dict(counts)
        finally:
            dsp.limit = real_limit
        res["normalise_s"], res["final_pass_s"] = t3 - t2, t4 - t3
    print(json.dumps(res))


def mode_naive(routine: str, out_mp3: str) -> None:
    """The pipeline a newcomer writes with pydub, making the same product: the same timeline, the same cached
    clips and sounds, `+=` in a loop, peak-normalised, exported to the same format (mono, 48 kHz, 64 kbit/s)."""
    import warnings

    warnings.simplefilter("ignore")
    from pydub import AudioSegment, effects

    from voiceguide.mix.mixer import SOUND_LEVELS
    from voiceguide.export.transcripts import MP3_RATE

    sess = _session(Path(routine))  # warm: every clip is a WAV file in the cache (not timed: same as voiceguide)
    voice = sess.voice
    t0 = time.perf_counter()
    loaded: dict = {}  # generous to the newcomer: each file is read once

    def speech(text: str, role: str):
        path = voice.cache.path(voice.key(text, voice.delivery(role)))
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
            clip = speech(ev.text, ev.role)
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
    session.export(out_mp3, format="mp3", bitrate=f"{BITRATE}k", parameters=["-ar", str(MP3_RATE)])
    t2 = time.perf_counter()
    print(json.dumps({
        "build_s": t1 - t0, "export_s": t2 - t1, "total_s": t2 - t0, "overlaps": overlaps,
        "audio_s": len(session) / 1000, "duration": sess.timeline.duration, "channels": session.channels,
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
        inproc = self_child("--_inproc", str(paths[minutes]), str(tmp / "out-inproc"), "0", cache=cache)["result"]
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
        if args.profile:
            log("in-process warm render under cProfile ...")
            prof = self_child("--_inproc", str(paths[minutes]), str(tmp / "out-prof"), "1", cache=cache)["result"]
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
            scaling[m]["naive"] = self_child("--_naive", str(paths[m]), str(tmp / f"naive-{m:g}.mp3"), cache=cache)
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
    finally:
        if args.keep:
            print(f"kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    # ------------------------------------------------ the report
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
    out.append("the routine: the generated one against the routines we ship (voiceguide.plan with estimated speech")
    out.append(f"lengths; shipped: {len(shipped['routines'])} routines in scripts/, {shipped['minutes']:.0f} min in all, "
               "pooled: total over total minutes)")
    out.append(f"  {'':34} {'shipped':>8} {'generated':>10} {'diff':>6}")
    for r in mix_rows:
        fmt = (lambda v: f"{v:.1%}") if r["kind"] == "share" else (lambda v: f"{v:.3f}")
        out.append(f"  {r['label']:<34} {fmt(r['shipped']):>8} {fmt(r['generated']):>10} {r['diff']:+6.0%}"
                   f"{'' if abs(r['diff']) <= 0.15 else '  (within one event)' if r['ok'] else '  OFF'}")
    out.append("")
    out.append(f"the floor: encoding the session into THE MP3 voiceguide must ship: mono, {MP3_RATE // 1000} kHz, "
               f"{BITRATE} kbit/s (ffprobe reports")
    out.append("an MP3's duration as whole frames with the encoder delay: +50-76 ms at 22.05 kHz, +23-47 ms at 48 kHz,")
    out.append("and the spec allows 50 ms). It is voiceguide's own ffmpeg command line (sink.Mp3Encoder) run on the")
    out.append("session's PCM from a file. The plain 22.05 kHz encode is shown for context only; no ratio uses it.")
    out.append("")
    out.append(f"{'length':>7}  {'stage':<40} {'wall s':>7} {'x floor':>8} {'CPU s':>7} {'peak RSS':>9}  runs")
    for r in rows:
        cpu = f"{r['cpu_s']:.2f}" if r["cpu_s"] is not None else "-"
        rss = f"{r['rss_mb']:.0f} MB" if r["rss_mb"] is not None else "-"
        runs = " ".join(f"{x:.2f}" for x in r["runs"]) if len(r["runs"]) > 1 else ""
        out.append(f"{fmt_clock(r['length_s']):>7}  {r['stage']:<40} {r['wall_s']:7.2f} {r['x_floor']:7.2f}x "
                   f"{cpu:>7} {rss:>9}  {runs}")
    out.append("")
    lp, lf = inproc["limiter_in_loudness_pass"], inproc["limiter_in_final_pass"]
    out.append(f"in-process warm, {minutes:g} min: session() {inproc['session_s']:.2f} s, export() {inproc['export_s']:.2f} s; "
               f"apart: loudness pass (normalise) {inproc['normalise_s']:.2f} s, final mix + limiter + int16 "
               f"(no encoder) {inproc['final_pass_s']:.2f} s")
    out.append(f"  session gain {inproc['gain_db']:+.2f} dB; loudness pass re-limited {lp['blocks']} blocks; "
               f"final pass: {lf['blocks']} blocks, {lf['envelope']} computed the true-peak envelope, "
               f"{lf['limited']} actually limited")
    for m in scale:
        n = scaling[m]["naive"]["result"]
        out.append(f"naive pydub, {m:g} min: build {n['build_s']:.2f} s + export {n['export_s']:.2f} s "
                   f"({n['events']} events, {n['overlaps']} overlaid)")
    out.append(f"  the naive MP3 ({minutes:g} min), by ffprobe: {naive_probe}")
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
    out.append(f"  baseline `python3 -c 'import voiceguide.export.render, numpy'`  {base_np['rss_mb']:6.1f} MB")
    out.append(f"  baseline CLI imports (+ typer, rich, mutagen)            {base_cli['rss_mb']:6.1f} MB")
    for m, rss in ((mem_a, rss_a), (mem_b, rss_b)):
        out.append(f"  {m:>4g} min render   {rss:6.1f} MB   (+{rss - base_np['rss_mb']:.1f} MB over the baseline)")
    out.append(f"  {mem_b:g} / {mem_a:g} min   {rss_b / rss_a:.3f}")
    if args.profile:
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
    out.append(f"routine check: planned with measured clips {fmt_clock(facts['duration'])} for {minutes:g} min "
               f"({facts['duration'] / (minutes * 60) - 1:+.1%}; {'OK' if real_ok else 'OUTSIDE'} +/-10%), "
               f"estimated {fmt_clock(routines[minutes]['estimated_duration'])}")
    out.append("")
    out.append("targets")
    for t, ok, v in targets:
        out.append(f"  {'PASS' if ok else 'FAIL'}  {t:<58} {v}")
    print("\n".join(out))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n", "utf-8")
        print(f"\nresults: {args.json}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_inproc":
        mode_inproc(*sys.argv[2:5])
    elif len(sys.argv) > 1 and sys.argv[1] == "--_naive":
        mode_naive(*sys.argv[2:4])
    else:
        main()
