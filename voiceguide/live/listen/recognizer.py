"""Which command, if any, a person said: Whisper base transcribes each short utterance
(transcriber.py), and only a transcript that is exactly a command phrase (words.py) steers the
session. A phrase the decoder was unsure of is dropped: its first saying must have a
log-probability of at least `FLOOR` (Transcript.certainty), or "retour" said once becomes "Arrêtez,
arrêtez, arrêtez" (-4.7, stop) on some processors, and "Hold" becomes "how long". A phrase said
first and then more ("stop it.", where a UK voice's released p became a word) is the phrase when the
decoder's odds of ending right after it were high (`Rule.ending`): a person's "Stop it." or "Stop if
it hurts" goes on with odds of e^-5 or less. Likewise a phrase after one word that is no command
("so again", where a soft onset became a word) can be weighed by the decoder's odds of having opened
with the phrase (`Rule.lead`). And the prompt, which makes a command said alone come out as listed,
also pulls a short word towards the nearest command ("Hold" written "pause"): so a command must be
nearly as likely to the decoder with no prompt as its own best transcript (`Rule.unaided`,
Transcript.unaided; decoded only for a transcript that holds a phrase), and the decoder must be
fairly sure the utterance ended where the transcript does (`Rule.closing`): the prompt can cut a
sentence short ("Continue breathing." written "continue,"). The floor and the rules were chosen
offline on recordings they are not reported on (tools/listen_compare.py; docs: performance).

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

from dataclasses import dataclass

import numpy as np

from .model import ListenModels
from .transcriber import WINDOW, Transcriber
from .transcript import Transcript
from .vad import DEFAULT_SENSITIVITY, FRAME, HANG, RATE, Endpointer, SpeechProbability
from .words import command_in, phrases

LONGEST = 1.8  # seconds of speech: longer is talk, not a command
CONFIRM = 0.5  # seconds of silence after a command before it is obeyed: "Next, the other side" pauses at its comma
# seconds of silence a command needs before it too: "..., stop, and check with ..." is a sentence. It
# costs no response time (it is waited for before the word, not after), and a slow reader pauses 0.6
# to 1 s at a comma; listen_compare's rule chose 1.0 of 0.5-1.5 s (the longer ones tied with it)
ALONE = 1.0
# samples from an utterance's end (HANG into its silence) to the frame its command is obeyed on, unless
# speech began again by then: CONFIRM of silence in all (listen_compare applies the same offline)
OBEY_AFTER = int((CONFIRM - HANG) * RATE)
FLOOR = -2.5  # log-probability a command's first saying needs (Transcript.certainty; listen_compare chose it)


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
    person's "Don't stop." begins with "stop" at far lower odds); None: not admitted. `unaided`: decoded
    with no prompt, the utterance being the command said alone must be at most this much less likely
    (log-ratio) than the decoder's own best transcript (Transcript.unaided_odds); None: not checked.
    `closing`: the decoder's odds that the utterance ended where the transcript does must be at least
    this (Transcript.ended; a transcript cut off at the token cap is not weighed); None: not checked."""

    floor: float = FLOOR
    ending: float | None = None
    unprompted: float | None = None
    rest: float | None = None
    lead: float | None = None
    unaided: float | None = None
    closing: float | None = None


# Which transcripts are a command, chosen by tools/listen_compare.py's rule on the tuned, checked and
# seen voices (docs: performance): a phrase said first counts when the decoder's odds of ending there
# were at least e^-2.5 (UK "stop" written "stop it.", "resume her."). A phrase after one word that is
# none counts when the decoder's odds of opening with the phrase were at least e^-2 ("so again",
# "That's how long."). And decoded with no prompt, the command said alone must be at most e^5 times
# less likely than the decoder's own best transcript: the prompt pulls "Hold" to "pause" (e^-5.5 to
# e^-7) and "Good." to "go on", while a said command is mostly within e^-2 of the best. On 58 voices
# (3,248 commands, 18,560 non-commands) this obeyed 3,019 against 3,051 and made 41 false commands
# against 76; the later-words floor (-0.75) that "Good." asked for before made no difference beside
# it. The unprompted first-word check and the session's own words in the prompt are off. Last, the
# decoder must give the utterance's end where the transcript ends odds of at least e^-2 (a said
# command alone: never below e^-1.7 there; "Continue breathing." cut to "continue,": e^-2.5), chosen
# by the same rule when weighed later on the same recordings: one false command fewer (40), no
# command lost.
RULE = Rule(FLOOR, ending=-2.5, lead=-2.0, unaided=-5.0, closing=-2.0)

# At a listen sensitivity of STRICT_AT or below ("0, strictest"), the rule of the same grid with the
# fewest false commands among those obeying at most 3 points fewer than RULE (a rule set before the
# figures): on the 58 voices 2,923 of 3,248 obeyed and 10 false commands in 18,560 (RULE: 3,019 and
# 40); on the held-out four, 186 of 224 and 12 false in 1,280 (RULE: 192 and 17). The grid's eager
# end gained little (its most obeyed with at most twice RULE's false commands: 3,051, 77 false), so
# above STRICT_AT the rule is RULE and only the voice detector's thresholds follow the sensitivity.
STRICT_AT = 0.25
STRICT = Rule(-3.0, ending=-2.5, lead=-1.0, unaided=-3.0, closing=-2.0)


def rule_for(sensitivity: float) -> Rule:
    """The rule at a listen sensitivity (0 strictest, 1 most eager)."""
    return STRICT if sensitivity <= STRICT_AT else RULE


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
    unaided = transcript.unaided_odds(found[0])
    if rule.unaided is not None and (unaided is None or unaided < rule.unaided):
        return None
    ended = transcript.ended
    if rule.closing is not None and ended is not None and ended < rule.closing:
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


class Recognizer:
    """Feed 16 kHz mono s16 audio with `feed(pcm, quiet)`; it returns the commands heard."""

    def __init__(self, models: ListenModels, language: str = "en", *, window: float = WINDOW,
                 sensitivity: float = DEFAULT_SENSITIVITY, rule: Rule | None = None, alone: float = ALONE):
        self.language = language
        self.rule = rule = rule_for(sensitivity) if rule is None else rule
        self.alone = alone  # the evaluation passes 0 to transcribe every utterance and weigh ALONE offline
        self.transcribe = Transcriber(models, language, window, unprompted=rule.unprompted is not None,
                                      unaided=rule.unaided is not None)
        self.probability = SpeechProbability(models.vad)
        self.endpointer = Endpointer(LONGEST, sensitivity)
        self.fed = 0  # samples fed (quiet or not): the recogniser's clock
        self._rest = np.zeros(0, np.float32)  # samples short of a whole frame
        self._command: tuple[Heard, int] | None = None  # heard, and the sample of `fed` it is obeyed at
        self.transcripts: list[str] = []  # every utterance's transcript, for tuning and tests
        self.after_speech = 0  # utterances not transcribed: they followed other speech within `alone`

    @property
    def pending(self) -> Heard | None:
        """The command heard and waiting for its confirming silence (dropped if speech goes on)."""
        return self._command[0] if self._command is not None else None

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
            if utterance is not None and utterance.quiet_before < self.alone:
                self.after_speech += 1
            elif utterance is not None:
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
