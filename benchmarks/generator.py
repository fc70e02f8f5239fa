"""The benchmark's routine: a deterministic generator (fixed seed, word lists) of routines of N minutes
whose make-up is calibrated on the routines we ship, and the figures that compare the two.

One deterministic stream of steps: a routine of N minutes is the shortest prefix of the stream that
lasts N minutes, so shorter routines share their sentences with longer ones. Used by bench.py and
bench_voice.py (`make_routine`).
"""

from __future__ import annotations

import random
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = 20240611
ESPEAK_FASTER = 0.15


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

