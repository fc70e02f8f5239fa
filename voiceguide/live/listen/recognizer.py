"""Which command, if any, a person said: Whisper base transcribes each short utterance, and only a
transcript that is exactly a command phrase (words.py) steers the session.

Whisper was trained on 680,000 hours of speech from many voices and rooms, so it hears voices nobody
tuned it on; pocketsphinx, which it replaces, obeyed 62 % of commands on our own recordings. It runs
through CTranslate2 (int8 on the CPU) and decodes greedily with the language's phrases as its prompt,
so a word said alone is spelt as listed (words.prompt; a beam of five was tried and gained nothing
worth its risk: on the tuned voices 423 commands of 448 against 418, on the checked voices 455 of
504 against 458, and in French it took "reprends" for "arrêtez", stop). Whisper's encoder expects
30 s of audio; it is given `WINDOW` seconds instead (the utterance and silence after it), about 5x
faster, and on our espeak-ng test voices it transcribed more commands exactly (106 of 112 against
100 of 112; 4 s: 102). A short window can make the decoder repeat what it heard ("pause pause
pause"), so the output is capped at `MAX_TOKENS` and a phrase repeated counts as the phrase
(words.command_in). A phrase the decoder was unsure of is dropped: its first saying must have a
log-probability of at least `FLOOR` (Transcript.certainty), or "retour" said once becomes "Arrêtez,
arrêtez, arrêtez" (-4.7, stop) on some processors, and "Hold" becomes "how long". A phrase said
first and then more ("stop it.", where a UK voice's released p became a word) is the phrase when the
decoder's odds of ending right after it were high (`Rule.ending`): a person's "Stop it." or "Stop if
it hurts" goes on with odds of e^-5 or less. Likewise a phrase after one word that is no command
("so again", where a soft onset became a word) can be weighed by the decoder's odds of having opened
with the phrase (`Rule.lead`). The floor and the rules were chosen offline on recordings they are not
reported on (tools/listen_compare.py; docs: performance).

The `Endpointer` (vad.py) cuts the audio the gate lets through into utterances after a short silence,
and each is transcribed at once; but a command is obeyed only once the silence after it has lasted
`CONFIRM` seconds, so that the first word of a sentence said with a pause ("Next, ... the other
side") is not taken for a command: if speech resumes before then, the command is dropped. Likewise
an utterance that follows other speech within `ALONE` seconds is the rest of a sentence ("If it
hurts, ... stop, ... and check"), never a command, and is not transcribed at all. Only
audio the gate calls quiet is fed, and anything else resets the endpointer (a command already heard
in full is still obeyed), so half an utterance heard before the session spoke can never combine with
what comes after.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from ...voice.sentences import cores
from .model import ListenModels
from .vad import DEFAULT_SENSITIVITY, FRAME, HANG, RATE, Endpointer, SpeechProbability
from .words import PHRASES, command_in, fold, phrases, prompt, spelt_by

LONGEST = 1.8  # seconds of speech: longer is talk, not a command
CONFIRM = 0.5  # seconds of silence after a command before it is obeyed: "Next, the other side" pauses at its comma
# seconds of silence a command needs before it too: "..., stop, and check with ..." is a sentence. It
# costs no response time (it is waited for before the word, not after), and a slow reader pauses 0.6
# to 1 s at a comma; listen_compare's rule chose 1.0 of 0.5-1.5 s (the longer ones tied with it)
ALONE = 1.0
# samples from an utterance's end (HANG into its silence) to the frame its command is obeyed on, unless
# speech began again by then: CONFIRM of silence in all (listen_compare applies the same offline)
OBEY_AFTER = int((CONFIRM - HANG) * RATE)
WINDOW = 10.0  # seconds of audio the encoder sees (Whisper's own is 30)
MAX_TOKENS = 12  # tokens decoded at most: a phrase is two or three, a sentence more
FLOOR = -2.5  # log-probability a command's first saying needs (Transcript.certainty; listen_compare chose it)
ENDINGS = (".", "!", "?")  # tokens that end an utterance as the end of text does


def _next_word(tokens: tuple[tuple[str, float], ...]) -> int | None:
    """The index of the first token after the first that begins a word (Whisper's tokens begin a
    word with a space), or None when every token belongs to the first word."""
    return next((i for i, (text, _) in enumerate(tokens) if i and text.startswith(" ")), None)


@dataclass(frozen=True)
class Transcript:
    """What one utterance was decoded as: its text, each token's text and log-probability, the
    log-probability that the utterance ended before each token and after the last (`ends`: the end of
    text or a full stop, '!' or '?' next), and the log-probability of each phrase's first word as the
    first thing said, decoded with no prompt (`unprompted`) and with it (`opening`)."""

    text: str
    tokens: tuple[tuple[str, float], ...] = ()
    ends: tuple[float, ...] = ()
    unprompted: tuple[tuple[str, float], ...] = ()
    opening: tuple[tuple[str, float], ...] = ()

    @cached_property
    def pieces(self) -> tuple[str, ...]:
        """The tokens' texts, in order."""
        return tuple(t for t, _ in self.tokens)

    def certainty(self, phrase: str) -> float:
        """The log-probability of the transcript's first saying of `phrase` (folded, as words.py
        compares): the sum over the tokens that spell it. A decoder unsure of a word may still repeat
        it with confidence ("Arrêtez, arrêtez, arrêtez" for "retour"), so only the first counts."""
        return sum(p for _, p in self.tokens[: spelt_by(self.pieces, phrase)])

    def ended_after(self, phrase: str) -> float | None:
        """When the transcript says `phrase` first and then goes on ("stop it.", "resume her."): the
        log-probability that the decoder would have ended right after it instead; else None."""
        if phrase not in self._ended_after:
            self._ended_after[phrase] = self._odds_of_ending_after(phrase)
        return self._ended_after[phrase]

    @cached_property
    def _ended_after(self) -> dict[str, float | None]:
        return {}  # phrase: ended_after's answer (the evaluation asks it under hundreds of rules)

    def _odds_of_ending_after(self, phrase: str) -> float | None:
        pieces = self.pieces
        n = spelt_by(pieces, phrase)
        if n >= len(pieces) or n >= len(self.ends) or fold("".join(pieces[:n])) != phrase:
            return None
        return self.ends[n]

    def least_after_first(self, phrase: str) -> float:
        """The lowest log-probability among the tokens of the words of `phrase`'s first saying after
        its first word (0 for a one-word phrase): once "go" is written the prompt pulls "on" after
        it, so a decoder that heard "Good." writes "go on" with "on" uncertain; said by a person, "on"
        is heard. The rest of the first word's own tokens are not weighed ("sig", "u", "iente" for
        "siguiente", where a continuation may be unsure of its spelling, not of the word): with
        them, espeak-ng's Portuguese voice lost a phrase more (tests/test_recognizer.py)."""
        n = spelt_by(self.pieces, phrase)
        second = _next_word(self.tokens[:n])
        return min(p for _, p in self.tokens[second:n]) if second is not None else 0.0

    @cached_property
    def without_first_word(self) -> Transcript | None:
        """The transcript without its first word ("so again" -> "again"), with its odds of ending; None
        for a transcript of one word. A soft onset or a breath before a command can be written as a
        word of its own ("so again", "I continue.", "let's stop."); `Rule.lead` weighs the rest."""
        second = _next_word(self.tokens)
        if second is None:
            return None
        rest = self.tokens[second:]
        return Transcript("".join(t for t, _ in rest).strip(), rest, self.ends[second:])

    def opened_with(self, phrase: str) -> float | None:
        """The log-probability, with the prompt, that `phrase`'s first word was the first thing said."""
        return dict(self.opening).get(phrase)

    def first_word_alone(self, phrase: str) -> float | None:
        """The log-probability, with no prompt, that `phrase`'s first word is the first thing said."""
        return dict(self.unprompted).get(phrase)


@dataclass(frozen=True)
class Rule:
    """Which transcripts are a command. `floor`: the log-probability a command's first saying needs
    (Transcript.certainty). `ending`: a phrase said first and then more is the phrase when the
    decoder's odds of ending right after it were at least this (None: only the phrase itself).
    `unprompted`: the command's first word must have at least this log-probability as the first
    thing said when decoded without the prompt, which pulls a short sound towards the nearest
    command ("Hmm." as "how long"); None: not checked. `rest`: each token of the words of the command's
    first saying after its first word must have at least this log-probability
    (Transcript.least_after_first); None: not checked. `lead`: a phrase after one word that is not
    one ("so again", where a soft onset was written as a word) is the phrase when the decoder's odds
    that the utterance began with the phrase's first word were at least this (Transcript.opening; a
    person's "Don't stop." begins with "stop" at far lower odds); None: not admitted."""

    floor: float = FLOOR
    ending: float | None = None
    unprompted: float | None = None
    rest: float | None = None
    lead: float | None = None


# Which transcripts are a command, chosen by tools/listen_compare.py's rule on the tuned, checked and
# seen voices (docs: performance): a phrase said first counts when the decoder's odds of ending there
# were at least e^-2.5 (UK "stop" written "stop it.", "resume her."); the rounds before chose e^-1.5
# to e^-2.5, within a few commands of each other. A command's words after its first must each have had
# a log-probability of at least -0.75 ("Good." came out as "go on" with "on" at -0.4 to -1.6; a said
# "more time" had its "time" at -0.74 at worst, so this is near the edge). A phrase after one word
# that is none counts when the decoder's odds of opening with the phrase were at least e^-3 ("so
# again", "That's how long.": 2,366 of 2,520 commands obeyed against 2,326, 46 false in 14,400
# against 39). The unprompted first-word check, and the session's own words in the prompt, removed
# false commands only at the price of more than a point of commands obeyed, so both are off.
RULE = Rule(FLOOR, ending=-2.5, rest=-0.75, lead=-3.0)


def command_of(transcript: Transcript, language: str, rule: Rule) -> tuple[str, str] | None:
    """(phrase, command) when the transcript is one by `rule`, else None."""
    found = _said_first(transcript, language, rule)
    if found is not None or rule.lead is None:
        return found
    rest = transcript.without_first_word
    if rest is None:
        return None
    if command_in("".join(transcript.pieces[: len(transcript.pieces) - len(rest.pieces)]), language):
        return None  # "next stop": two commands, not a word before one
    found = _said_first(rest, language, rule)
    opened = transcript.opened_with(found[0]) if found else None
    return found if opened is not None and opened >= rule.lead else None


def _said_first(transcript: Transcript, language: str, rule: Rule) -> tuple[str, str] | None:
    """(phrase, command) when the transcript says the phrase first, by all of `rule`'s checks but `lead`."""
    found = command_in(transcript.text, language)
    if found is None and rule.ending is not None:
        for phrase, command in phrases(language).items():
            odds = transcript.ended_after(phrase)
            if odds is not None and odds >= rule.ending:
                found = (phrase, command)
                break
    if found is None or transcript.certainty(found[0]) < rule.floor:
        return None
    if rule.rest is not None and transcript.least_after_first(found[0]) < rule.rest:
        return None
    alone = transcript.first_word_alone(found[0])
    if rule.unprompted is not None and (alone is None or alone < rule.unprompted):
        return None
    return found


@dataclass(frozen=True)
class Heard:
    """A command said on its own: the phrase, its command (live/steer.py's name), what was transcribed,
    the speech's length and when the utterance ended (seconds of audio fed so far)."""

    phrase: str
    command: str
    transcript: str
    length: float
    at: float


def threads() -> int:
    """CTranslate2's threads: half the cores, at most four. The session synthesises speech ahead on
    the other half; with two threads on two cores beside it, a word that takes 0.3-0.7 s alone took
    3-5 s now and then (its threads wait on each other while the voice's hold the cores)."""
    return max(1, min(4, cores() // 2))


class Transcriber:
    """Whisper base through CTranslate2: `__call__(audio)` is the text of one utterance. `encode` and
    `decode` are its two halves, so that one encoding can be decoded with several prompts (the
    evaluation compares prompts that way, tools/listen_eval.py)."""

    def __init__(self, models: ListenModels, language: str = "en", window: float = WINDOW, *,
                 unprompted: bool = False):
        import ctranslate2
        import tokenizers
        from faster_whisper.feature_extractor import FeatureExtractor
        from faster_whisper.tokenizer import Tokenizer

        self.model = ctranslate2.models.Whisper(str(models.whisper), device="cpu", compute_type="int8",
                                                intra_threads=threads())
        raw = tokenizers.Tokenizer.from_file(str(models.whisper / "tokenizer.json"))
        self.tokenizer = Tokenizer(raw, True, task="transcribe", language=language)
        self.features = FeatureExtractor(feature_size=80)
        self.window = window
        self.with_unprompted = unprompted  # decode each phrase's first word without the prompt too
        self.prompt = self.prompt_tokens(prompt(language))
        self.bare = list(self.tokenizer.sot_sequence) + [self.tokenizer.no_timestamps]  # no prompt
        self.endings = [self.tokenizer.eot] + [self.tokenizer.encode(e)[0] for e in ENDINGS]
        self.first_words: dict[str, set[int]] = {}  # folded phrase: its first word's tokens, as written
        for written in PHRASES.get(language, PHRASES["en"]):
            self.first_words.setdefault(fold(written), set()).update(
                self.tokenizer.encode(" " + spelling)[0] for spelling in (written, written.capitalize()))

    def prompt_tokens(self, text: str) -> list[int]:
        """The decoder's start: `text` as the previous text, then transcribe, without timestamps."""
        return ([self.tokenizer.sot_prev] + self.tokenizer.encode(" " + text)
                + list(self.tokenizer.sot_sequence) + [self.tokenizer.no_timestamps])

    def encode(self, audio: np.ndarray):
        """The encoder's output for one utterance, padded with silence to the window."""
        import ctranslate2

        samples = int(self.window * RATE)
        padded = np.zeros(max(samples, len(audio)), np.float32)
        padded[: len(audio)] = audio
        frames = self.features(padded, chunk_length=30)[:, : padded.size // self.features.hop_length]
        return self.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(frames[None])))

    def decode(self, encoded, start: list[int]) -> Transcript:
        """Greedy decoding after `start`, with each token's log-probability and the odds of ending at
        each step (from the decoder's logits at that step: about 50,000 numbers a token, a few
        tokens an utterance)."""
        result = self.model.generate(encoded, [start], beam_size=1, max_length=len(start) + MAX_TOKENS,
                                     return_logits_vocab=True)[0]
        ids = result.sequences_ids[0]
        tokens, ends, opening = [], [], ()
        for i, logits in enumerate(result.logits[0]):
            step = _log_softmax(logits)
            if i == 0:
                opening = self.first_word_odds(step)
            ends.append(float(np.logaddexp.reduce(step[self.endings])))
            if i < len(ids):
                tokens.append((self.tokenizer.decode([ids[i]]), float(step[ids[i]])))
        return Transcript(self.tokenizer.decode(ids).strip(), tuple(tokens), tuple(ends), opening=opening)

    def first_word_odds(self, step: np.ndarray) -> tuple[tuple[str, float], ...]:
        """Each phrase's first word's log-probability as the next token, from one step's log-softmax."""
        return tuple((p, float(np.logaddexp.reduce(step[sorted(ids)]))) for p, ids in self.first_words.items())

    def unprompted(self, encoded) -> tuple[tuple[str, float], ...]:
        """Each phrase's first word as the first thing said, decoded without the prompt (one step)."""
        result = self.model.generate(encoded, [self.bare], beam_size=1, max_length=len(self.bare) + 1,
                                     return_logits_vocab=True)[0]
        return self.first_word_odds(_log_softmax(result.logits[0][0]))

    def __call__(self, audio: np.ndarray) -> Transcript:
        encoded = self.encode(audio)
        heard = self.decode(encoded, self.prompt)
        if not self.with_unprompted:  # the rule does not read it: a decoding step saved per utterance
            return heard
        return replace(heard, unprompted=self.unprompted(encoded))


def _log_softmax(logits) -> np.ndarray:
    step = np.asarray(logits, np.float64)
    top = step.max()
    return step - top - np.log(np.exp(step - top).sum())


class Recognizer:
    """Feed 16 kHz mono s16 audio with `feed(pcm, quiet)`; it returns the commands heard."""

    def __init__(self, models: ListenModels, language: str = "en", *, window: float = WINDOW,
                 sensitivity: float = DEFAULT_SENSITIVITY, rule: Rule = RULE, alone: float = ALONE):
        self.language = language
        self.rule = rule
        self.alone = alone  # the evaluation passes 0 to transcribe every utterance and weigh ALONE offline
        self.transcribe = Transcriber(models, language, window, unprompted=rule.unprompted is not None)
        self.probability = SpeechProbability(models.vad)
        self.endpointer = Endpointer(LONGEST, sensitivity)
        self.fed = 0  # samples fed (quiet or not): the recogniser's clock
        self._rest = np.zeros(0, np.float32)  # samples short of a whole frame
        self._command: tuple[Heard, int] | None = None  # heard, and the sample of `fed` it is obeyed at
        self.transcripts: list[str] = []  # every utterance's transcript, for tuning and tests

    def reset(self) -> None:
        """Forget everything heard so far (the session made sound)."""
        self._rest = np.zeros(0, np.float32)
        self._command = None
        self.endpointer.reset()
        self.probability.reset()

    def feed(self, pcm: bytes, quiet: bool = True) -> list[Heard]:
        samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0
        if not quiet:
            heard = [self._command[0]] if self._command else []  # said in full before the session's sound
            self.fed += samples.size
            self.reset()
            return heard
        data = np.concatenate([self._rest, samples])
        whole = data.size - data.size % FRAME
        self._rest = data[whole:]
        at = self.fed - (data.size - samples.size)  # where `data` began on the clock
        self.fed += samples.size
        heard = []
        for i in range(0, whole, FRAME):
            frame = data[i : i + FRAME]
            utterance = self.endpointer.push(frame, self.probability(frame))
            if self._command is not None and self.endpointer.in_speech:
                self._command = None  # the sentence went on: its first word was no command
            if utterance is not None and utterance.quiet_before >= self.alone:
                found = self.hear(utterance.audio, utterance.speech)
                if found is not None:
                    self._command = (found, at + i + FRAME + OBEY_AFTER)
            if self._command is not None and at + i + FRAME >= self._command[1]:
                heard.append(self._command[0])
                self._command = None
        return heard

    def hear(self, audio: np.ndarray, speech: float) -> Heard | None:
        """The command in one utterance, if it is one."""
        transcript = self.transcribe(audio)
        self.transcripts.append(transcript.text)
        found = command_of(transcript, self.language, self.rule)
        if found is None:
            return None
        return Heard(found[0], found[1], transcript.text, speech, self.fed / RATE)
