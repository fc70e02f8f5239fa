#!/usr/bin/env python3
"""Tune `play --listen`'s keyword thresholds on recordings, and check them.

Run from the repository root (needs the neural and listen extras and espeak-ng; with --quick about
11 minutes on 2 shared cores once the clips are cached, the first rendering of the clips about as long):

    python3 tools/tune_listen.py [--quick] [--json FILE]

1. Recordings: each command word said alone, and a set of things that are not commands (every
   utterance of the shipped routines: sentences with "next", "back", "stop" inside them, cue words,
   numbers), rendered with the bundled natural voice (Piper) and two espeak-ng voices at several
   rates, at two levels, clean and in room noise (pink noise at 15 dB SNR, or the `ocean` bed as
   loud against the voice as in the session's own mix).
2. Scores: the spotter cuts each recording into utterances as it does live; each short utterance is
   decoded with every threshold on a grid, and a word's score is the highest threshold (log10) at
   which the spotter would obey it there (spotted, covering the utterance, and the closed grammar's
   choice too).
3. Thresholds: per word, half way between the best score of anything that is not that command and the
   lowest score of the word itself when they are apart; otherwise one grid step above the best
   non-command (no false command comes first).
4. Check: the real streaming spotter with those thresholds over every recording, at sensitivities
   0.3, 0.5 (the default) and 0.7: commands obeyed, and false commands.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceguide import dsp  # noqa: E402
from voiceguide.listen.spotter import RATE, THRESHOLDS, WORDS, Spotter, choose, thresholds  # noqa: E402

GRID = [e / 2 for e in range(-100, 21, 5)]  # -50 .. +10 in steps of 2.5 decades
VOICES = [("piper", None), ("espeak", "en-us"), ("espeak", "en-gb+f3")]
RATES = (120, 150, 190)


@dataclass(frozen=True)
class Recording:
    text: str
    voice: str
    variant: str
    pcm: bytes
    command: str | None  # what it asks for when said alone (None: not a command)


def narration_texts() -> list[str]:
    from voiceguide.render import utterances
    from voiceguide.script import load_routine
    from voiceguide.settings import resolve

    texts: dict[str, None] = {}
    for path in sorted((ROOT / "scripts").glob("*.yaml")):
        routine = load_routine(path)
        for text, _ in utterances(routine, resolve(routine)):
            texts[text] = None
    return list(texts)


def pink(n: int, seed: int) -> np.ndarray:
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(spectrum.size), 1))
    x = np.fft.irfft(spectrum, n)
    return (x / np.sqrt(np.mean(x**2))).astype(np.float32)


def ocean(n: int) -> np.ndarray:
    from voiceguide.audiofile import decode
    from voiceguide.mix import AMBIENT_LEVEL

    bed = dsp.resample(decode(ROOT / "sounds" / "beds" / "ocean.wav"), dsp.RATE, RATE) * AMBIENT_LEVEL
    return np.resize(bed, n).astype(np.float32)


def variants(clip: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """The clip (float, 16 kHz) with 0.8 s of room before and after, at two levels, clean and noisy."""
    pad = np.zeros(int(0.8 * RATE), np.float32)
    out = {}
    for level_db in (0, -12):
        x = np.concatenate([pad, clip * dsp.db_to_gain(level_db), pad])
        rms = np.sqrt(np.mean((clip * dsp.db_to_gain(level_db)) ** 2))
        out[f"{level_db:+d} dB clean"] = x
        out[f"{level_db:+d} dB pink 15 dB SNR"] = x + pink(x.size, seed) * rms * dsp.db_to_gain(-15)
        out[f"{level_db:+d} dB ocean bed"] = x + ocean(x.size) * dsp.db_to_gain(level_db)
    return out


def recordings(quick: bool) -> list[Recording]:
    from voiceguide.voice import ClipCache, Voice

    cache = ClipCache()
    texts = narration_texts()
    if quick:
        texts = [t for t in texts if len(t.split()) <= 3 or any(w in t.lower() for w in WORDS)]
    out = []
    for engine, voice_id in VOICES:
        for wpm in RATES:
            voice = Voice.create(engine, voice_id, "en", wpm, cache)
            name = f"{engine} {voice_id or 'bundled'} {wpm} wpm"
            said = [(w, WORDS[w]) for w in WORDS] + [(t, None) for t in (texts if wpm == 150 else [])]
            for i, (text, command) in enumerate(said):
                clip = dsp.resample(dsp.from_int16(voice.clip(text)), dsp.RATE, RATE)
                for variant, x in variants(clip, seed=i).items():
                    if command is None and "-12" in variant:
                        continue  # a quiet voice is what misses commands; talk is checked at full level
                    pcm = dsp.to_int16(x).astype("<i2").tobytes()
                    out.append(Recording(text, name, variant, pcm, command))
            print(f"rendered {name}", file=sys.stderr, flush=True)
    return out


def scores(spotter: Spotter, rec: Recording) -> dict[str, float]:
    """Per word, the highest threshold (log10) on the grid at which the spotter obeys it here."""
    best: dict[str, float] = {}
    for speech in spotter.utterances(rec.pcm):
        length = len(speech) / 2 / RATE
        if choose([(w, length) for w in WORDS], length) is None:
            continue  # too long to be a command at any threshold
        closed = spotter.closed(speech)
        for e in GRID:
            spotter.use({w: e for w in WORDS})
            word = choose(spotter.spans(speech), length)
            if word is not None and word == closed:
                best[word] = max(best.get(word, -np.inf), e)
    return best


def tune(recs: list[Recording], spotter: Spotter) -> tuple[dict[str, float], list[dict]]:
    scored = [(r, scores(spotter, r)) for r in recs]
    tuned, rows = {}, []
    step = GRID[1] - GRID[0]
    for word in WORDS:
        own = [s.get(word, -np.inf) for r, s in scored if r.text == word]
        others = [(s.get(word, -np.inf), r) for r, s in scored if r.command != WORDS[word]]
        worst_false, worst = max(others, key=lambda sr: sr[0])
        heard_own = [x for x in own if np.isfinite(x)]
        lowest_true = min(own)
        if not np.isfinite(worst_false):  # nothing else ever passes: just below its weakest detection
            t = (min(heard_own) if heard_own else GRID[0]) - step
        elif lowest_true > worst_false:
            t = (lowest_true + worst_false) / 2
        else:  # no false command first: one half step above the best of anything else
            t = worst_false + step / 2
        tuned[word] = float(round(t, 1))
        rows.append({"word": word, "threshold": tuned[word], "lowest_own_score": lowest_true,
                     "best_other_score": worst_false,
                     "best_other": f"{worst.text!r} ({worst.voice}, {worst.variant})" if np.isfinite(worst_false) else ""})
    return tuned, rows


def check(recs: list[Recording], tuned: dict[str, float], sensitivity: float) -> dict:
    spotter = Spotter(exponents=thresholds(sensitivity, tuned))
    obeyed, false, missed = {w: 0 for w in WORDS}, [], []
    totals = {w: 0 for w in WORDS}
    for r in recs:
        spotter.reset()
        heard = spotter.feed(r.pcm + bytes(int(0.5 * RATE) * 2))
        if r.command is not None:
            totals[r.text] += 1
            if [h.command for h in heard] == [r.command]:
                obeyed[r.text] += 1
            else:
                missed.append(f"{r.voice}, {r.variant}: {r.text!r} -> {[h.word for h in heard]}")
        elif heard:
            false.append(f"{r.voice}, {r.variant}: {r.text!r} -> {[h.word for h in heard]}")
    non = sum(1 for r in recs if r.command is None)
    return {"sensitivity": sensitivity, "obeyed": obeyed, "totals": totals, "non_commands": non,
            "false": false, "missed": missed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only the narration with command words and short phrases")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    recs = recordings(args.quick)
    spotter = Spotter(exponents=THRESHOLDS)
    tuned, rows = tune(recs, spotter)
    print("THRESHOLDS =", json.dumps(tuned))
    checks = [check(recs, tuned, s) for s in (0.3, 0.5, 0.7)]
    print("| word | threshold (log10) | lowest score said alone | best score of anything else | obeyed at 0.5 |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"  {row['word']}: best other {row['best_other']}", file=sys.stderr)
    default = checks[1]
    for row in rows:
        w = row["word"]
        print(f"| {w} | {row['threshold']:+.1f} | {row['lowest_own_score']:+.1f} | {row['best_other_score']:+.1f} | "
              f"{default['obeyed'][w]}/{default['totals'][w]} |")
    for c in checks:
        by_voice: dict[str, list[int]] = {}
        for r in recs:
            if r.command is not None:
                by_voice.setdefault(r.voice, [0, 0])[1] += 1
        for line in c["missed"]:
            by_voice[line.split(",")[0]][0] += 1
        print(f"sensitivity {c['sensitivity']}, obeyed by voice: " + ", ".join(
            f"{v} {n - m}/{n}" for v, (m, n) in by_voice.items()))
        n_cmd = sum(c["totals"].values())
        print(f"sensitivity {c['sensitivity']}: commands obeyed {sum(c['obeyed'].values())}/{n_cmd}, "
              f"false commands {len(c['false'])} in {c['non_commands']} non-command recordings")
        for line in c["false"][:10]:
            print("  false:", line)
        for line in c["missed"][:10]:
            print("  missed:", line)
    if args.json:
        args.json.write_text(json.dumps({"thresholds": tuned, "rows": rows, "checks": checks}, indent=1, default=float))


if __name__ == "__main__":
    main()
