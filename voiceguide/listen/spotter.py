"""The command words in what the microphone hears: pocketsphinx keyword spotting, offline.

pocketsphinx's wheel carries the US English acoustic model and dictionary, so nothing is
downloaded. Its keyword search follows every phrase of a keyphrase list at once, each with its own
threshold (`pause /1e-20/`): the lower the threshold, the more readily it fires.

Keyword spotting alone also fires on the words inside sentences ("Stop at once for sharp pain",
"Now the next step"), and on its own it tells short words apart badly (a "next" spotted as "back").
A command is a word said on its own, so the spotter cuts what it hears into utterances with
pocketsphinx's voice activity endpointer, and obeys an utterance only when it is short
(`MAX_UTTERANCE`), a command word was spotted in it above that word's threshold, and the spotted
word covers all of it but the endpointer's padding (`MAX_UNCOVERED`). A second pass over the
utterance with a grammar of the seven words alone (which tells them apart well, but would accept
anything) must choose the same word. The decision comes when the utterance ends (the endpointer's
0.3 s window).

Only audio the `Gate` calls quiet is fed; anything else resets the endpointer and the decoder, so
half an utterance heard before the session spoke can never combine with what comes after.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

RATE = 16000  # what the acoustic model was trained on

# What each spoken word asks of the session (steer.py's commands).
WORDS = {"pause": "pause", "continue": "resume", "resume": "resume", "next": "next", "back": "back",
         "repeat": "repeat", "stop": "stop"}

# log10 of each word's keyword threshold at the default sensitivity, tuned on recordings by
# tools/tune_listen.py (its table is in the README).
THRESHOLDS = {"pause": -31.0, "continue": -32.0, "resume": -38.0, "next": -52.0, "back": -11.0,
              "repeat": -38.0, "stop": -40.0}

DEFAULT_SENSITIVITY = 0.5
DECADES_PER_UNIT = 20.0  # sensitivity 0..1 moves every threshold 10 decades either way of the tuned one
MAX_UTTERANCE = 1.6  # seconds; longer speech is talk, not a command
MAX_UNCOVERED = 0.40  # seconds of an utterance outside its command word (the endpointer's padding, a breath)
FRAMES_PER_SECOND = 100  # pocketsphinx's feature frames
GRAMMAR = "#JSGF V1.0;\ngrammar commands;\npublic <command> = " + " | ".join(WORDS) + " ;\n"


def thresholds(sensitivity: float = DEFAULT_SENSITIVITY, tuned: dict[str, float] | None = None) -> dict[str, float]:
    """log10 thresholds at a sensitivity from 0 (strictest) to 1 (most eager)."""
    shift = (DEFAULT_SENSITIVITY - sensitivity) * DECADES_PER_UNIT
    return {word: value + shift for word, value in (tuned or THRESHOLDS).items()}


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


class Spotter:
    """Feed 16 kHz mono s16 audio with `feed(pcm, quiet)`; it returns the commands heard."""

    def __init__(self, sensitivity: float = DEFAULT_SENSITIVITY, exponents: dict[str, float] | None = None):
        from pocketsphinx import Decoder, Endpointer

        self._endpointer_class = Endpointer
        self.decoder = Decoder(lm=None, loglevel="FATAL", samprate=RATE)  # the bundled model and dictionary
        self.decoder.add_jsgf_string("closed", GRAMMAR)
        self._searches: dict[str, str] = {}
        self.use(exponents if exponents is not None else thresholds(sensitivity))
        self._new_endpointer()
        self.fed = 0  # samples fed (quiet or not): the spotter's clock
        self._pending = b""

    def use(self, exponents: dict[str, float]) -> None:
        """Spot these words with these thresholds (log10) from the next utterance on."""
        text = keyphrase_list(exponents)
        name = self._searches.get(text)
        if name is None:
            fd, path = tempfile.mkstemp(suffix=".kws", prefix="voiceguide-")
            try:
                with os.fdopen(fd, "w") as f:
                    f.write(text)
                name = self._searches[text] = f"commands{len(self._searches)}"
                self.decoder.add_kws(name, path)  # pocketsphinx reads the list from a file
            finally:
                os.unlink(path)
        self.decoder.activate_search(name)
        self._search = name

    def _new_endpointer(self) -> None:
        self.endpointer = self._endpointer_class(sample_rate=RATE)
        self.frame_bytes = self.endpointer.frame_bytes
        self._in_utterance = False
        self._frames = 0
        self._too_long = False

    def reset(self) -> None:
        """Forget everything heard so far (the session made sound)."""
        if self._in_utterance:
            self.decoder.end_utt()
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
            if not self._in_utterance:
                self.decoder.start_utt()
                self._in_utterance, self._frames, self._too_long, self._speech = True, 0, False, bytearray()
            if not self._too_long:
                self.decoder.process_raw(speech, False, False)
                self._speech += speech
            self._frames += len(speech) // 2
            if self._frames > MAX_UTTERANCE * RATE and not self._too_long:
                self._too_long = True  # talk: decide nothing, wait for its end
        if self._in_utterance and not self.endpointer.in_speech:
            self._in_utterance = False
            self.decoder.end_utt()
            if not self._too_long:
                return self._decide(self._frames / RATE)
        return None

    def _decide(self, length: float) -> Heard | None:
        word = choose(spotted(self.decoder), length)
        if word is None or self.closed(bytes(self._speech)) != word:
            return None
        return Heard(word, WORDS[word], length, self.fed / RATE)

    def closed(self, speech: bytes) -> str | None:
        """Which of the command words the utterance is most like (a grammar of those words alone): the
        second opinion that the word spotted is the word said."""
        self.decoder.activate_search("closed")
        try:
            self.decoder.start_utt()
            self.decoder.process_raw(speech, False, True)
            self.decoder.end_utt()
            hyp = self.decoder.hyp()
        finally:
            self.decoder.activate_search(self._search)
        return hyp.hypstr.strip() if hyp is not None and hyp.hypstr.strip() in WORDS else None

    # -- for tuning (tools/tune_listen.py): the same steps on one utterance at a time
    def utterances(self, pcm: bytes) -> list[bytes]:
        """The speech of each utterance the endpointer finds in `pcm` (what the decoder is fed)."""
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

    def spans(self, speech: bytes) -> list[tuple[str, float]]:
        """Decode one utterance's speech as `feed` would: every command word spotted, with its span."""
        n = self.frame_bytes
        self.decoder.start_utt()
        for i in range(0, len(speech), n):
            self.decoder.process_raw(speech[i : i + n], False, False)
        self.decoder.end_utt()
        return spotted(self.decoder)


def spotted(decoder) -> list[tuple[str, float]]:
    """The words the keyword search found in the utterance just decoded, with their lengths."""
    return [(seg.word.strip(), (seg.end_frame - seg.start_frame) / FRAMES_PER_SECOND) for seg in (decoder.seg() or ())]


def choose(found: list[tuple[str, float]], length: float) -> str | None:
    """The spotted word that covers the most of the utterance, if it covers nearly all of it."""
    best = max(((w, span) for w, span in found if w in WORDS), key=lambda ws: ws[1], default=None)
    if best is None or length > MAX_UTTERANCE or length - best[1] > MAX_UNCOVERED:
        return None
    return best[0]
