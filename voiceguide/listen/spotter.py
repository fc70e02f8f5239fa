"""The command words in what the microphone hears: pocketsphinx, offline, one short utterance at a time.

pocketsphinx's wheel carries the US English acoustic model and dictionary, so nothing is
downloaded. A command is a word said on its own, so the spotter cuts what it hears into utterances
with pocketsphinx's voice activity endpointer and judges each short one (`MAX_UTTERANCE`) when it
ends (the endpointer's 0.3 s window). A grammar of the seven words alone says which command word
the utterance is most like; it tells the words apart well, but it would map anything ("two", a
cough) onto one of them. So the word is obeyed only when it covers all of the utterance but the
endpointer's padding (`MAX_UNCOVERED`) and one of two witnesses vouches for it:

- keyword search: pocketsphinx's keyword spotter, run over the utterance as it is heard, spotted
  that same word covering the utterance, above the word's keyword threshold (`KEYWORD_THRESHOLDS`,
  log10); or
- the word's score: the grammar's acoustic score of the word per frame (nats, against the best
  state of the model in each frame, so at most 0) is above the word's score threshold
  (`SCORE_THRESHOLDS`).

Each witness misses different words: the keyword search never spots the natural voice's
"continue", which the score hears well; the score cannot tell "pause", "resume" or "back" from
other speech, which the keyword search can. Both sets of thresholds were tuned on recordings by
tools/tune_listen.py so that neither ever vouched for anything that was not its command.

Only audio the `Gate` calls quiet is fed; anything else resets the endpointer and the decoder, so
half an utterance heard before the session spoke can never combine with what comes after.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass

RATE = 16000  # what the acoustic model was trained on

# What each spoken word asks of the session (steer.py's commands).
WORDS = {"pause": "pause", "continue": "resume", "resume": "resume", "next": "next", "back": "back",
         "repeat": "repeat", "stop": "stop"}

# log10 of each word's keyword threshold at the default sensitivity (tuned on recordings by the
# previous tools/tune_listen.py, a grid search over keyword thresholds; README).
KEYWORD_THRESHOLDS = {"pause": -31.0, "continue": -32.0, "resume": -38.0, "next": -52.0, "back": -11.0,
                      "repeat": -38.0, "stop": -40.0}
# Each word's threshold on its score (nats per frame) at the default sensitivity, tuned on
# recordings by tools/tune_listen.py over the whole set (its table is in the README).
SCORE_THRESHOLDS = {"pause": -1.35, "continue": -3.55, "resume": -1.2, "next": -4.29, "back": -2.1,
                    "repeat": -2.14, "stop": -3.11}

DEFAULT_SENSITIVITY = 0.5
DECADES_PER_UNIT = 20.0  # sensitivity 0..1 moves every keyword threshold 10 decades either way
SCORE_PER_UNIT = 2.0  # and every score threshold 1 nat per frame either way
MAX_UTTERANCE = 1.6  # seconds; longer speech is talk, not a command
MAX_UNCOVERED = 0.40  # seconds of an utterance outside its command word (the endpointer's padding, a breath)
FRAMES_PER_SECOND = 100  # pocketsphinx's feature frames
GRAMMAR = "#JSGF V1.0;\ngrammar commands;\npublic <command> = " + " | ".join(WORDS) + " ;\n"
FLOOR = -1000.0  # nats: a segment's score too small for a float (a hopeless match)


def keyword_thresholds(sensitivity: float = DEFAULT_SENSITIVITY) -> dict[str, float]:
    """log10 keyword thresholds at a sensitivity from 0 (strictest) to 1 (most eager)."""
    shift = (DEFAULT_SENSITIVITY - sensitivity) * DECADES_PER_UNIT
    return {word: value + shift for word, value in KEYWORD_THRESHOLDS.items()}


def score_thresholds(sensitivity: float = DEFAULT_SENSITIVITY,
                     tuned: dict[str, float] | None = None) -> dict[str, float]:
    """Score thresholds at a sensitivity from 0 (strictest) to 1 (most eager)."""
    shift = (DEFAULT_SENSITIVITY - sensitivity) * SCORE_PER_UNIT
    return {word: value + shift for word, value in (tuned or SCORE_THRESHOLDS).items()}


def keyphrase_list(exponents: dict[str, float]) -> str:
    """pocketsphinx's keyphrase list: one phrase a line with its threshold."""
    return "".join(f"{word} /{10.0 ** value:.3e}/\n" for word, value in exponents.items())


@dataclass(frozen=True)
class Heard:
    """A command word said on its own; `length` is its utterance's, `at` when it was heard (seconds
    of audio fed so far)."""

    word: str
    command: str
    length: float
    at: float


@dataclass(frozen=True)
class Judgement:
    """One utterance weighed: the command word the grammar found in it, how much of the utterance
    that word covers (seconds), its score (nats per frame; higher is more like the word), and the
    command word the keyword search spotted covering the utterance (None: none did)."""

    word: str | None
    length: float
    covered: float
    score: float
    spotted: str | None

    def verdict(self, scores: dict[str, float]) -> str | None:
        """The word, if it is to be obeyed with these score thresholds."""
        if self.word is None or self.length > MAX_UTTERANCE or self.length - self.covered > MAX_UNCOVERED:
            return None
        return self.word if self.spotted == self.word or self.score >= scores[self.word] else None


def nats(probability: float) -> float:
    """pocketsphinx's Python segments carry scores as probabilities; their natural log, floored."""
    return math.log(probability) if probability > 0 else FLOOR


class Spotter:
    """Feed 16 kHz mono s16 audio with `feed(pcm, quiet)`; it returns the commands heard."""

    def __init__(self, sensitivity: float = DEFAULT_SENSITIVITY, keywords: dict[str, float] | None = None,
                 scores: dict[str, float] | None = None):
        from pocketsphinx import Decoder, Endpointer

        self._endpointer_class = Endpointer
        self.decoder = Decoder(lm=None, loglevel="FATAL", samprate=RATE)  # the bundled model and dictionary
        # The grammar's own decoder, without the model's running noise estimate, so that the same
        # utterance always scores the same whatever was heard before.
        self.grammar = Decoder(lm=None, loglevel="FATAL", samprate=RATE)
        self.grammar.config["remove_noise"] = False
        self.grammar.reinit_feat()
        self.grammar.add_jsgf_string("closed", GRAMMAR)
        self.grammar.activate_search("closed")
        self._searches: dict[str, str] = {}
        self.use(keywords if keywords is not None else keyword_thresholds(sensitivity))
        self.scores = scores if scores is not None else score_thresholds(sensitivity)
        self.fed = 0  # samples fed (quiet or not): the spotter's clock
        self._pending = b""
        self._speech: bytearray | None = None
        self._new_endpointer()

    def use(self, exponents: dict[str, float]) -> None:
        """Spot these words with these keyword thresholds (log10) from the next utterance on."""
        text = keyphrase_list(exponents)
        name = self._searches.get(text)
        if name is None:
            fd, path = tempfile.mkstemp(suffix=".kws", prefix="voiceguide-")
            try:
                with os.fdopen(fd, "w") as f:
                    f.write(text)
                name = self._searches[text] = f"keywords{len(self._searches)}"
                self.decoder.add_kws(name, path)  # pocketsphinx reads the list from a file
            finally:
                os.unlink(path)
        self.decoder.activate_search(name)
        self._search = name

    def _new_endpointer(self) -> None:
        if self._speech is not None:
            self.decoder.end_utt()
        self.endpointer = self._endpointer_class(sample_rate=RATE)
        self.frame_bytes = self.endpointer.frame_bytes
        self._speech = None  # the utterance so far, while in one
        self._too_long = False

    def reset(self) -> None:
        """Forget everything heard so far (the session made sound)."""
        self._pending = b""
        self._new_endpointer()

    def feed(self, pcm: bytes, quiet: bool = True) -> list[Heard]:
        self.fed += len(pcm) // 2
        if not quiet:
            self.reset()
            return []
        data = self._pending + pcm
        n = self.frame_bytes
        whole = len(data) - len(data) % n
        self._pending = data[whole:]
        heard = []
        for i in range(0, whole, n):
            found = self._frame(data[i : i + n])
            if found is not None:
                heard.append(found)
        return heard

    def _frame(self, frame: bytes) -> Heard | None:
        speech = self.endpointer.process(frame)
        if speech is not None:
            if self._speech is None:
                self.decoder.start_utt()
                self._speech, self._too_long = bytearray(), False
            if not self._too_long:
                self.decoder.process_raw(speech, False, False)
                self._speech += speech
                if len(self._speech) // 2 > MAX_UTTERANCE * RATE:
                    self._too_long = True  # talk: decide nothing, wait for its end
        if self._speech is not None and not self.endpointer.in_speech:
            self.decoder.end_utt()
            utterance, too_long = bytes(self._speech), self._too_long
            self._speech = None
            if not too_long:
                word = self._weigh(utterance, spotted(self.decoder)).verdict(self.scores)
                if word is not None:
                    return Heard(word, WORDS[word], len(utterance) / 2 / RATE, self.fed / RATE)
        return None

    def judge(self, speech: bytes) -> Judgement:
        """Weigh one utterance (what the endpointer passed on, 16 kHz s16) as `feed` does."""
        self.decoder.start_utt()
        for i in range(0, len(speech), self.frame_bytes):
            self.decoder.process_raw(speech[i : i + self.frame_bytes], False, False)
        self.decoder.end_utt()
        return self._weigh(speech, spotted(self.decoder))

    def _weigh(self, speech: bytes, found: list[tuple[str, float]]) -> Judgement:
        length = len(speech) / 2 / RATE
        words = [s for s in self._closed(speech) if s[0] in WORDS]
        if not words:
            return Judgement(None, length, 0.0, -math.inf, None)
        word, frames, score = max(words, key=lambda s: s[1])
        return Judgement(word, length, frames / FRAMES_PER_SECOND, score / max(frames, 1), covering(found, length))

    def _closed(self, speech: bytes) -> list[tuple[str, int, float]]:
        """The grammar of the command words over the whole utterance: each word of its best path
        (without a pronunciation's number), its frames and its acoustic score (nats)."""
        self.grammar.start_utt()
        self.grammar.process_raw(speech, False, True)
        self.grammar.end_utt()
        return [(s.word.split("(")[0].strip(), s.end_frame - s.start_frame + 1, nats(s.ascore))
                for s in (self.grammar.seg() or ()) if s.word not in ("<s>", "</s>")]

    # -- for tuning (tools/tune_listen.py)
    def utterances(self, pcm: bytes) -> list[bytes]:
        """The speech of each utterance the endpointer finds in `pcm` (what `judge` is given)."""
        self.reset()
        out, current, n = [], bytearray(), self.frame_bytes
        for i in range(0, len(pcm) - n + 1, n):
            speech = self.endpointer.process(pcm[i : i + n])
            if speech is not None:
                current += speech
            if current and not self.endpointer.in_speech:
                out.append(bytes(current))
                current = bytearray()
        if current:
            out.append(bytes(current))
        self.reset()
        return out


def spotted(decoder) -> list[tuple[str, float]]:
    """The words the keyword search found in the utterance just decoded, with their lengths."""
    return [(seg.word.strip(), (seg.end_frame - seg.start_frame) / FRAMES_PER_SECOND) for seg in (decoder.seg() or ())]


def covering(found: list[tuple[str, float]], length: float) -> str | None:
    """The spotted word that covers the most of the utterance, if it covers nearly all of it."""
    best = max(((w, span) for w, span in found if w in WORDS), key=lambda ws: ws[1], default=None)
    if best is None or length > MAX_UTTERANCE or length - best[1] > MAX_UNCOVERED:
        return None
    return best[0]
