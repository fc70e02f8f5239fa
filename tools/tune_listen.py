#!/usr/bin/env python3
"""Tune `play --listen`'s score thresholds on recordings, and check the spotter.

Run from the repository root (needs the neural and listen extras and espeak-ng). Rendering the
recordings takes about 5 minutes with --quick on 2 shared cores once the clips are cached (keep them
with --cache FILE to skip that next time); tuning and checking about 5 more (the whole set: twice
that):

    python3 tools/tune_listen.py [--quick] [--cache FILE] [--check-only] [--json FILE]

1. Recordings: each command word said alone, and a set of things that are not commands (every
   utterance of the shipped routines: sentences with "next", "back", "stop" inside them, cue words,
   numbers; --quick: only those with a command word or at most three words), rendered with the
   bundled natural voice (Piper) and two espeak-ng voices at several rates, at two levels, clean and
   in room noise (pink noise at 15 dB SNR, or the `ocean` bed as loud against the voice as in the
   session's own mix).
2. Scores: the spotter cuts each recording into utterances as it does live and weighs each one
   (`Spotter.judge`); a word's score in a recording is the best score of an utterance that the
   grammar took for that word and that the word covers (short enough to be a command).
3. Score thresholds: per word, half way between the best score of anything that is not that command
   and the lowest score of the word itself when they are apart; otherwise MARGIN above the best
   non-command (no false command comes first). A word that nothing else ever passed as is tuned
   against the short utterances the grammar took for it though the word did not cover them. The
   keyword thresholds (the other witness) are the spotter's own, from an earlier grid search.
4. Check: the real streaming spotter with those thresholds over every recording, at sensitivities
   0.3, 0.5 (the default) and 0.7: commands obeyed per word and voice, false commands, and the
   real-time factor of `feed()` (--check-only: the spotter's own score thresholds, untuned).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceguide import dsp  # noqa: E402
from voiceguide.listen.spotter import (  # noqa: E402
    DEFAULT_SENSITIVITY, MAX_UTTERANCE, RATE, SCORE_THRESHOLDS, WORDS, Spotter, keyword_thresholds, score_thresholds)

MARGIN = 0.2  # nats per frame between a threshold and the best score of anything that is not its command
VOICES = [("piper", None), ("espeak", "en-us"), ("espeak", "en-gb+f3")]
RATES = (120, 150, 190)
TAIL = bytes(int(0.5 * RATE) * 2)  # silence after each recording, so that its last utterance ends


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


def scores(spotter: Spotter, rec: Recording) -> tuple[dict[str, float], dict[str, float]]:
    """Per word, the best score of an utterance in the recording that the spotter would obey as that
    word at some threshold (short, and covered by the word); and the best score of a short utterance
    the grammar took for that word, covered or not."""
    anything = {w: -np.inf for w in WORDS}
    best: dict[str, float] = {}
    short: dict[str, float] = {}
    for speech in spotter.utterances(rec.pcm + TAIL):
        judged = spotter.judge(speech)
        if judged.word is not None and judged.length <= MAX_UTTERANCE:
            short[judged.word] = max(short.get(judged.word, -np.inf), judged.score)
        if judged.verdict(anything) is not None:
            best[judged.word] = max(best.get(judged.word, -np.inf), judged.score)
    return best, short


def tune(recs: list[Recording], spotter: Spotter) -> tuple[dict[str, float], list[dict]]:
    scored = [(r, *scores(spotter, r)) for r in recs]
    tuned, rows = {}, []
    for word in WORDS:
        own = [s.get(word, -np.inf) for r, s, _ in scored if r.text == word]
        others = [(s.get(word, -np.inf), r) for r, s, _ in scored if r.command != WORDS[word]]
        worst_false, worst = max(others, key=lambda sr: sr[0])
        if not np.isfinite(worst_false):
            # nothing else ever passed as this word: judge by the short utterances the grammar took
            # for it though they were more than the word ("Now the next step"), which would pass
            # were they said a little faster
            worst_false, worst = max(((sh.get(word, -np.inf), r) for r, _, sh in scored if r.command != WORDS[word]),
                                     key=lambda sr: sr[0])
        lowest_true = min(own)
        if not np.isfinite(worst_false):  # nothing else at all: just below its weakest detection
            t = min([x for x in own if np.isfinite(x)] or [MARGIN]) - MARGIN
        elif lowest_true > worst_false:
            t = (lowest_true + worst_false) / 2
        else:  # no false command first: a margin above the best of anything else
            t = worst_false + MARGIN
        tuned[word] = float(round(t, 2))
        rows.append({"word": word, "threshold": tuned[word], "lowest_own_score": lowest_true,
                     "best_other_score": worst_false,
                     "best_other": f"{worst.text!r} ({worst.voice}, {worst.variant})" if np.isfinite(worst_false) else ""})
    return tuned, rows


def check(recs: list[Recording], tuned: dict[str, float], sensitivity: float) -> dict:
    """The streaming spotter as `play --listen` runs it, over every recording; also its CPU time per
    second of audio fed (the real-time factor)."""
    spotter = Spotter(keywords=keyword_thresholds(sensitivity), scores=score_thresholds(sensitivity, tuned))
    obeyed, false, missed = {w: 0 for w in WORDS}, [], []
    totals = {w: 0 for w in WORDS}
    cpu = seconds = 0.0
    by_voice: dict[str, dict[str, list[int]]] = {}
    for r in recs:
        spotter.reset()
        pcm = r.pcm + TAIL
        started = time.process_time()
        heard = spotter.feed(pcm)
        cpu += time.process_time() - started
        seconds += len(pcm) / 2 / RATE
        if r.command is not None:
            totals[r.text] += 1
            cell = by_voice.setdefault(r.voice, {}).setdefault(r.text, [0, 0])
            cell[1] += 1
            if [h.command for h in heard] == [r.command]:
                obeyed[r.text] += 1
                cell[0] += 1
            else:
                missed.append(f"{r.voice}, {r.variant}: {r.text!r} -> {[h.word for h in heard]}")
        elif heard:
            false.append(f"{r.voice}, {r.variant}: {r.text!r} -> {[h.word for h in heard]}")
    non = sum(1 for r in recs if r.command is None)
    return {"sensitivity": sensitivity, "obeyed": obeyed, "totals": totals, "non_commands": non,
            "false": false, "missed": missed, "by_voice": by_voice, "real_time_factor": cpu / seconds}


def report(rows: list[dict] | None, checks: list[dict]) -> None:
    if rows:
        print("| word | threshold (nats/frame) | lowest score said alone | best score of anything else |")
        print("|---|---|---|---|")
        for row in rows:
            print(f"| {row['word']} | {row['threshold']:+.2f} | {row['lowest_own_score']:+.2f} | "
                  f"{row['best_other_score']:+.2f} {row['best_other']} |")
    default = next(c for c in checks if c["sensitivity"] == DEFAULT_SENSITIVITY)
    voices = list(default["by_voice"])
    print("\nobeyed at the default sensitivity, per word and voice:")
    print("| voice | " + " | ".join(WORDS) + " | all |")
    print("|---" * (len(WORDS) + 2) + "|")
    for v in voices:
        cells = default["by_voice"][v]
        print(f"| {v} | " + " | ".join(f"{cells[w][0]}/{cells[w][1]}" for w in WORDS)
              + f" | {sum(c[0] for c in cells.values())}/{sum(c[1] for c in cells.values())} |")
    print("| all | " + " | ".join(f"{default['obeyed'][w]}/{default['totals'][w]}" for w in WORDS)
          + f" | {sum(default['obeyed'].values())}/{sum(default['totals'].values())} |")
    for c in checks:
        n_cmd = sum(c["totals"].values())
        print(f"\nsensitivity {c['sensitivity']}: commands obeyed {sum(c['obeyed'].values())}/{n_cmd}, "
              f"false commands {len(c['false'])} in {c['non_commands']} non-command recordings, "
              f"real-time factor of feed() {c['real_time_factor']:.3f}")
        for line in c["false"][:20]:
            print("  false:", line)
        for line in c["missed"][:20]:
            print("  missed:", line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only the narration with command words and short phrases")
    ap.add_argument("--check-only", action="store_true",
                    help="check the spotter's own SCORE_THRESHOLDS instead of tuning new ones (e.g. on the full set)")
    ap.add_argument("--cache", type=Path, help="keep the rendered recordings in this file (pickle) and reuse them")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    if args.cache and args.cache.exists():
        recs = [Recording(*fields) for fields in pickle.loads(args.cache.read_bytes())]
    else:
        recs = recordings(args.quick)
        if args.cache:
            args.cache.write_bytes(pickle.dumps([astuple(r) for r in recs]))
    if args.check_only:
        tuned, rows = dict(SCORE_THRESHOLDS), None
    else:
        tuned, rows = tune(recs, Spotter())
        print("SCORE_THRESHOLDS =", json.dumps(tuned))
    checks = [check(recs, tuned, s) for s in (0.3, DEFAULT_SENSITIVITY, 0.7)]
    report(rows, checks)
    if args.json:
        args.json.write_text(json.dumps({"thresholds": tuned, "rows": rows, "checks": checks}, indent=1, default=float))


if __name__ == "__main__":
    main()
