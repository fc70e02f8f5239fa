"""What the recogniser knows of one utterance once Whisper has decoded it, and the questions its rules
ask of that (recognizer.Rule): pure data, so that tools/listen_compare.py can weigh rules on logged
transcripts without running Whisper again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .words import command_in, fold, phrases, spelt_by


def _next_word(tokens: tuple[tuple[str, float], ...]) -> int | None:
    """The index of the first token after the first that begins a word (Whisper's tokens begin a
    word with a space), or None when every token belongs to the first word."""
    return next((i for i, (text, _) in enumerate(tokens) if i and text.startswith(" ")), None)


@dataclass(frozen=True)
class Transcript:
    """What one utterance was decoded as: its text, each token's text and log-probability, the
    log-probability that the utterance ended before each token and after the last (`ends`: the end of
    text or a full stop, '!' or '?' next), and the log-probability of each phrase's first word as the
    first thing said, decoded with no prompt (`unprompted`) and with it (`opening`). `unaided`: for
    each phrase the transcript says first (0 words before it) or after its first word (1), how much
    less likely a decoder with no prompt found the utterance to be that, said and ended, than its own
    best transcript (a log-probability ratio, 0 or below but for the greedy decoder missing its best):
    (words before, phrase, log-ratio)."""

    text: str
    tokens: tuple[tuple[str, float], ...] = ()
    ends: tuple[float, ...] = ()
    unprompted: tuple[tuple[str, float], ...] = ()
    opening: tuple[tuple[str, float], ...] = ()
    unaided: tuple[tuple[int, str, float], ...] = ()

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

    @property
    def ended(self) -> float | None:
        """The log-probability that the utterance ended where the transcript does (the end of text, or
        a full stop, '!' or '?', after its last token); None when the decoder was cut off at its token
        cap ("pause, pause, pause, ...", as a short window can make it write a word said once). A
        command said alone ends surely (on the voices choices are made on, never below e^-1.7); a
        sentence the prompt cut short ("Continue breathing." written "continue,") leaves the decoder
        unsure that it ended (e^-2.5)."""
        return self.ends[len(self.tokens)] if len(self.ends) > len(self.tokens) else None

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
        return Transcript("".join(t for t, _ in rest).strip(), rest, self.ends[second:],
                          unaided=tuple((0, p, odds) for before, p, odds in self.unaided if before == 1))

    def opened_with(self, phrase: str) -> float | None:
        """The log-probability, with the prompt, that `phrase`'s first word was the first thing said."""
        return dict(self.opening).get(phrase)

    def first_word_alone(self, phrase: str) -> float | None:
        """The log-probability, with no prompt, that `phrase`'s first word is the first thing said."""
        return dict(self.unprompted).get(phrase)

    def unaided_odds(self, phrase: str) -> float | None:
        """How much less likely, with no prompt, the utterance was `phrase` alone than the decoder's own
        best transcript (log-ratio; None when not weighed). The prompt pulls a short sound towards the
        nearest command ("Good." written "go on", "Hold" written "pause"); with no prompt the decoder
        hears "Good." and finds "go on" far less likely, while a said "pause" written "Paws" unprompted
        is nearly as likely "pause"."""
        return next((odds for before, p, odds in self.unaided if before == 0 and p == phrase), None)

    def said_first(self, language: str) -> tuple[tuple[int, str, int], ...]:
        """(words before, phrase, tokens before it) for each phrase the transcript spells first, or
        after its first word: the phrases a rule may find in it, whose `unaided` odds are weighed."""
        found = []
        rest = self.without_first_word
        for before, heard in ((0, self), (1, rest)):
            skipped = len(self.tokens) - len(heard.tokens) if heard is not None else 0
            if heard is None or before and command_in("".join(self.pieces[:skipped]), language):
                continue  # no first word, or one that is a command itself ("again, again")
            for phrase in phrases(language):
                n = spelt_by(heard.pieces, phrase)
                if fold("".join(heard.pieces[:n])) == phrase:
                    found.append((before, phrase, skipped))
        return tuple(found)
