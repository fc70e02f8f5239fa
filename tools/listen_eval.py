#!/usr/bin/env python3
"""How well `play --listen` hears: commands obeyed and false commands, per phrase, voice and condition.

Run from the repository root (needs the neural and listen extras and espeak-ng):

    python3 tools/listen_eval.py [--json FILE] [--voices tuned,checked,seen,held-out|all] [--limit N]
    python3 tools/listen_eval.py --compare FILE    # the decoders and rules side by side, from --json's file

The recordings are made here: every English command phrase said alone, and things that are not
commands (every utterance of the shipped routines, and short phrases a person or the session says:
cue words, numbers, sentences that begin or end with a command word), spoken by voices of four groups:

- **tuned**: the espeak-ng voices on which the recogniser's choices were made (the encoder's window,
  the prompt, with and without the session's words in it, greedy decoding over a beam, the silence
  that confirms a command). Their figures are not evidence of anything.
- **checked**: the bundled natural voice (Piper) at three rates and six other espeak-ng voices. They
  were held out until the choice of the prompt's words, which they decided (a change that kept the
  tuned voices' figures cost these 12 commands).
- **seen**: Kokoro's four shipped English voices (US and UK, female and male), the eight Kokoro
  voices held out in the round after (af_alloy, af_aoede, am_adam, am_echo, bf_alice, bf_isabella,
  bm_daniel, bm_fable) and the six of the round after that (af_bella, af_jessica, am_eric,
  am_fenrir, bf_lily, bm_lewis), the four of the round after that (af_kore, af_nicole, am_liam,
  am_onyx), the four after them (af_nova, af_river, am_puck, am_santa), the last two English ones
  (af_sarah, af_sky), and the voices of the other languages voiceguide speaks reading English (es,
  fr, it, pt: ef_dora, em_alex, em_santa, ff_siwis, if_sara, im_nicola, pf_dora, pm_alex, pm_santa;
  `SpokenInEnglish`), and Kokoro's four Hindi voices reading English (hf_alpha, hf_beta, hm_omega,
  hm_psi), held out in the two rounds before. Each was held out until the round that measured it;
  its misses were read then, so from the next round on it is among the voices choices are made on.
- **held-out**: Kokoro's Japanese and Chinese voices reading English, the first female and the first
  male voice of each language by name (jf_alpha, jm_kumo, zf_xiaobei, zm_yunjian), named before any
  figure: English phonemes with their own style, English said with an accent, as by a person whose
  first language is another, which no English voice gives. Never looked at while choosing: their
  figures are the ones the documentation reports first. voiceguide does not speak these languages,
  so their style tables come from kokoro-js's package (`uncatalogued`).

Each recording is heard in four conditions: clean (speech peaking near -3 dBFS), quiet (the same
20 dB lower), in pink noise at 15 dB SNR, and over the `ocean` bed at the level the session mixes
it. A recording is fed to the real `Recognizer` in the microphone's 30 ms blocks, with 0.8 s of the
room before and 1 s after, as a live session does in one of its silences. It transcribes every
utterance (no quiet asked for before one), and each utterance's quiet before it and the time until
speech began again are logged, so that `--compare` applies the quiet a command needs before it
(`recognizer.ALONE`) and the silence that confirms it as the recogniser does, for any value. A
command recording counts as obeyed when exactly its command is heard; anything heard in a
non-command recording is a false command, listed with what was transcribed.

Every utterance is also decoded with each of `PROMPTS` from the same encoding, and its transcript and
each token's log-probability are kept in the JSON, so that `--compare` can weigh prompts and matching rules
against each other without running Whisper again. Its choice is made on the tuned, checked and seen
voices only, by a rule set before the figures: the fewest false commands among the variants within
one point of the commands the recogniser as it is obeys; the held-out voices are then shown for that choice and for
the recogniser as it is.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import astuple, dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceguide import dsp, text  # noqa: E402
from voiceguide.live.listen.model import load_models  # noqa: E402
from voiceguide.live.listen.recognizer import LONGEST, Recognizer  # noqa: E402
from voiceguide.live.listen.vad import DEFAULT_SENSITIVITY, FRAME, RATE, Endpointer  # noqa: E402
from voiceguide.live.listen.words import PHRASES, prompt  # noqa: E402

TUNED = [("espeak", v, 150) for v in ("en-us", "en-gb", "en-us+f2", "en-us+m3", "en-gb-x-rp+f4", "en-029",
                                      "en-gb-scotland", "en-us+klatt2")]
CHECKED = [("piper", None, wpm) for wpm in (110, 150, 190)] + [
    ("espeak", v, wpm) for v, wpm in (("en-us+f4", 140), ("en-gb+m2", 160), ("en-gb-x-gbclan+f1", 150),
                                      ("en-gb-x-gbcwmd+m4", 150), ("en-us+m6", 170), ("en-gb+f5", 130))]
SEEN = [("kokoro", v, 150) for v in ("af_heart", "am_michael", "bf_emma", "bm_george", "af_alloy", "af_aoede",
                                     "am_adam", "am_echo", "bf_alice", "bf_isabella", "bm_daniel", "bm_fable",
                                     "af_bella", "af_jessica", "am_eric", "am_fenrir", "bf_lily", "bm_lewis",
                                     "af_kore", "af_nicole", "am_liam", "am_onyx", "af_nova", "af_river",
                                     "am_puck", "am_santa", "af_sarah", "af_sky")] + [
    ("kokoro-en", v, 150) for v in ("ef_dora", "em_alex", "em_santa", "ff_siwis", "if_sara", "im_nicola",
                                    "pf_dora", "pm_alex", "pm_santa", "hf_alpha", "hf_beta", "hm_omega", "hm_psi")]
HELD_OUT = [("kokoro-en", v, 150) for v in ("jf_alpha", "jm_kumo", "zf_xiaobei", "zm_yunjian")]
KOKORO_JS_VOICES = ROOT / ".venv" / "npm" / "kokoro-js" / "package" / "voices"  # Kokoro's voices of every language
GROUPS = {"tuned": TUNED, "checked": CHECKED, "seen": SEEN, "held-out": HELD_OUT}  # reported in the reverse order
SHORT_TALK = (  # said alone by a person on the floor, or by the session between its silences
    "Stop if it hurts.", "Next, the other side.", "Front left.", "Two.", "Ten.", "Left side.", "Right side.",
    "Breathe in.", "Breathe out.", "And relax.", "Hold.", "Good.", "Slowly.", "Switch sides.", "The other leg.",
    "Keep breathing.", "A little more.", "Back to the start.", "One more time.", "Okay.", "Yes.", "No.",
    "Thank you.", "Hmm.", "Nice.", "Done.", "Ouch.", "That's better.", "Wait for it.", "Stop it.", "Go.",
    "Next one please.", "Back of the leg.", "Repeat after me.", "Continue breathing.", "How are you?",
    "More.", "Lovely.", "Pause here, then continue.", "Time.",
)
CONDITIONS = ("clean", "quiet", "pink noise 15 dB SNR", "ocean bed")
# The session's own words said on their own (text.py), which a second prompt lists after the phrases
SESSION_WORDS = ("breathe in", "breathe out", "breathe hold", "switch sides")
PROMPTS = {  # decoded side by side; the first is the recogniser's own (words.prompt)
    "phrases": prompt("en"),
    "session": ", ".join([prompt("en").rstrip("."), *(text.PHRASES["en"][k].lower().rstrip(".") for k in SESSION_WORDS)])
    + ".",  # kept after the first round that weighed it, not after the two since (docs: performance)
}


@dataclass(frozen=True)
class Said:
    text: str
    command: str | None
    voice: str
    group: str


class SpokenInEnglish:
    """A Kokoro voice of another language reading English: English phonemes (espeak-ng's en-us), the
    voice's own style, at `wpm` by its natural rate; `clip(text)` as Voice.clip gives it (int16 at the
    session rate), each sentence followed by the engine's pause. A voice of a language voiceguide does
    not speak (Japanese, Chinese) is not in its catalogue: its style table is taken from kokoro-js's
    package (`KOKORO_JS_VOICES`, which ./dev installs), copied into the voices folder with its SHA-256."""

    def __init__(self, key: str, wpm: float):
        from voiceguide.voice import kokoro
        from voiceguide.voice.kokorofiles import SAMPLE_RATE, find_kokoro_voice

        own = find_kokoro_voice(key) or uncatalogued(key)
        self.kokoro, self.rate = kokoro, SAMPLE_RATE
        self.voice = replace(own, language="en-us", espeak="en-us")
        lo, hi = kokoro.SPEED_RANGE
        self.speed = min(hi, max(lo, wpm / kokoro.natural_wpm(own)))

    def clip(self, text: str) -> np.ndarray:
        parts = []
        for ids in self.kokoro.phonemize(text, self.voice):
            pause = self.kokoro.pause_after(len(ids)) / self.speed
            parts += [self.kokoro.speak(ids, self.voice, self.speed), np.zeros(int(pause * self.rate), np.int16)]
        audio = dsp.from_int16(np.concatenate(parts[:-1]))
        return dsp.to_int16(dsp.resample(audio, self.rate, dsp.RATE))


def uncatalogued(key: str):
    """A Kokoro voice voiceguide's catalogue does not list, from kokoro-js's package, installed into the
    voices folder as `voices --get` would (its SHA-256 taken from the package's file)."""
    import hashlib
    import shutil

    from voiceguide.voice.kokorofiles import KokoroVoice, catalogue, downloaded_folder

    source = KOKORO_JS_VOICES / f"{key}.bin"
    if key in catalogue() or not source.is_file():
        raise SystemExit(f"{key}: not installed; voiceguide voices --get {key}")
    installed = downloaded_folder() / source.name
    if not installed.is_file():
        installed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, installed.with_suffix(".part"))
        installed.with_suffix(".part").replace(installed)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    return KokoroVoice(key, key, "en-us", "en-us", "female" if key[1] == "f" else "male", digest, bundled=False)


def narration_texts() -> list[str]:
    from voiceguide.session.build import utterances
    from voiceguide.routine import load_routine
    from voiceguide.routine.settings import resolve

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
    from voiceguide.mix.mixer import AMBIENT_LEVEL

    bed = dsp.resample(decode(ROOT / "sounds" / "beds" / "ocean.wav"), dsp.RATE, RATE) * AMBIENT_LEVEL
    return np.resize(bed, n).astype(np.float32)


def in_condition(clip: np.ndarray, condition: str, seed: int) -> np.ndarray:
    """The clip (float, 16 kHz, peaking near -3 dBFS) in the room: 0.8 s before, 1 s after."""
    clip = clip * (0.7 / max(1e-6, float(np.abs(clip).max())))
    x = np.concatenate([np.zeros(int(0.8 * RATE), np.float32), clip, np.zeros(RATE, np.float32)])
    rms = float(np.sqrt(np.mean(clip**2)))
    if condition == "quiet":
        return x * dsp.db_to_gain(-20)
    if condition.startswith("pink"):
        return x + pink(x.size, seed) * rms * dsp.db_to_gain(-15)
    if condition == "ocean bed":
        return x + ocean(x.size)
    return x


class SidePrompts:
    """The recogniser's transcriber, which also decodes each utterance with every one of `PROMPTS`
    from the same encoding and logs {prompt: [text, [[token, log-probability], ...], ends,
    [[phrase, log-probability unprompted], ...], [[phrase, log-probability prompted], ...],
    [[words before, phrase, log-ratio unaided], ...]]} per utterance (transcript.Transcript's fields)."""

    def __init__(self, transcriber):
        self.transcriber = transcriber
        self.starts = {name: transcriber.prompt_tokens(text) for name, text in PROMPTS.items()}
        self.own = next(iter(PROMPTS))
        assert self.starts[self.own] == transcriber.prompt, "PROMPTS must begin with the recogniser's own"
        self.log: list[dict[str, list]] = []

    def __call__(self, audio: np.ndarray):
        encoded = self.transcriber.encode(audio)
        unprompted = self.transcriber.unprompted(encoded)
        decoded = {name: self.transcriber.unaided(encoded, replace(self.transcriber.decode(encoded, start),
                                                                   unprompted=unprompted))
                   for name, start in self.starts.items()}
        self.log.append({name: [t.text, [list(token) for token in t.tokens], list(t.ends),
                                [list(u) for u in t.unprompted], [list(o) for o in t.opening],
                                [list(a) for a in t.unaided]]
                         for name, t in decoded.items()})
        return decoded[self.own]


class TimedEndpointer(Endpointer):
    """The recogniser's endpointer, noting for each utterance it ends [the quiet before it in seconds
    (None: nothing heard since the reset), seconds from its end until speech began again (None: not in
    this recording)], in `timing`, one entry per utterance the recogniser transcribes."""

    def reset(self) -> None:
        super().reset()
        self.timing: list[list[float | None]] = []
        self._ended: int | None = None  # the frame the last utterance ended on, until speech begins again

    def push(self, frame: np.ndarray, probability: float):
        was_speech = self.in_speech
        utterance = super().push(frame, probability)
        if not was_speech and self.in_speech and self._ended is not None:
            self.timing[-1][1] = (self.seen - self._ended) * FRAME / RATE
            self._ended = None
        if utterance is not None:
            before = utterance.quiet_before
            self.timing.append([None if before == float("inf") else before, None])
            self._ended = self.seen
        return utterance


def voices(which: str):
    """The voices of the groups named (comma-separated, or all)."""
    named = set(which.split(","))
    return [(group, v) for group, members in GROUPS.items() if named & {group, "all"} for v in members]


def main() -> None:
    from voiceguide.voice import ClipCache, Voice

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write every result here")
    parser.add_argument("--voices", default="held-out", help=f"groups, comma-separated: {', '.join(GROUPS)} or all")
    parser.add_argument("--limit", type=int, default=0, help="non-command texts of the routines at most (0: all)")
    parser.add_argument("--only", default="", help="these voices of the groups only (ids, comma-separated)")
    parser.add_argument("--share", default="1/1", help="K/N: the K-th of N interleaved shares of the voices, to run N at once")
    parser.add_argument("--compare", type=Path, help="compare the prompts and rules in this --json file, and stop")
    args = parser.parse_args()
    if args.compare:
        from listen_compare import compare

        compare(json.loads(args.compare.read_text()))
        return

    recognizer = Recognizer(load_models(), alone=0.0)  # every utterance transcribed; ALONE applied by --compare
    recognizer.endpointer = TimedEndpointer(LONGEST, DEFAULT_SENSITIVITY)
    decoded = SidePrompts(recognizer.transcribe)
    recognizer.transcribe = decoded
    commands = list(PHRASES["en"].items())
    talk = list(SHORT_TALK) + narration_texts()[: args.limit or None]
    rows = []
    started = time.monotonic()
    cache = ClipCache()
    only = set(filter(None, args.only.split(",")))
    k, n = (int(x) for x in args.share.split("/"))
    for i, (group, (engine, voice_id, wpm)) in enumerate(voices(args.voices)):
        if only and voice_id not in only or i % n != k - 1:
            continue
        if engine == "kokoro-en":
            voice = SpokenInEnglish(voice_id, wpm)
        else:
            voice = Voice.create(engine, voice_id, "en", wpm, cache)
        name = f"{engine} {voice_id or 'bundled'} {wpm} wpm"
        said = [Said(p, c, name, group) for p, c in commands] + [Said(t, None, name, group) for t in talk]
        for i, s in enumerate(said):
            clip = dsp.resample(dsp.from_int16(voice.clip(s.text)), dsp.RATE, RATE)
            for condition in CONDITIONS:
                x = in_condition(clip, condition, seed=i)
                pcm = dsp.to_int16(x).astype("<i2").tobytes()
                recognizer.reset()
                before = len(recognizer.transcripts)
                decoded.log.clear()
                heard = []
                for j in range(0, len(pcm), 960):
                    heard += recognizer.feed(pcm[j : j + 960])
                timing = recognizer.endpointer.timing
                assert len(timing) == len(decoded.log), "one timing per transcribed utterance"
                rows.append({"text": s.text, "command": s.command, "voice": s.voice, "group": s.group,
                             "condition": condition, "heard": [h.command for h in heard],
                             "transcripts": recognizer.transcripts[before:], "decoded": list(decoded.log),
                             "timing": [list(t) for t in timing], "rule": list(astuple(recognizer.rule))})
        print(f"{name}: done ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
        if args.json:  # after each voice, so that a run cut short keeps the voices it finished
            partial = args.json.with_name(args.json.name + ".part")
            partial.write_text(json.dumps(rows, indent=1, ensure_ascii=False))
            partial.replace(args.json)
    report(rows)


def report(rows: list[dict]) -> None:
    for group in reversed(GROUPS):
        mine = [r for r in rows if r["group"] == group]
        if not mine:
            continue
        cmd = [r for r in mine if r["command"]]
        talk = [r for r in mine if not r["command"]]
        false = [r for r in talk if r["heard"]]
        print(f"\n## {group} voices: {sum(r['heard'] == [r['command']] for r in cmd)}/{len(cmd)} commands obeyed, "
              f"{len(false)} false in {len(talk)} non-command recordings\n")
        for key in ("condition", "voice", "text"):
            table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for r in cmd:
                table[r[key]][0] += r["heard"] == [r["command"]]
                table[r[key]][1] += 1
            print(f"| {key} | obeyed | share |\n|---|---|---|")
            for name, (ok, n) in table.items():
                print(f"| {name} | {ok}/{n} | {ok / n:.0%} |")
            print()
        for r in cmd:
            if r["heard"] != [r["command"]]:
                what = f"ANOTHER {r['heard']}" if any(h != r["command"] for h in r["heard"]) else "missed"
                print(f"{what}: {r['text']!r} ({r['voice']}, {r['condition']}): heard {r['transcripts']}")
        for r in false:
            print(f"FALSE: {r['text']!r} ({r['voice']}, {r['condition']}) obeyed as {r['heard']}: {r['transcripts']}")


if __name__ == "__main__":
    main()
