"""`voiceguide listen`: the spoken commands tried before a session, on the same recogniser.

A person about to lie down wants to know, standing, that the microphone hears them and which of each
command's words it takes from their voice: "pause" may be heard as a word of its own where "wait" is
not. Each utterance the recogniser transcribes comes back once, with what it became: a command, no
command, or a command dropped because the speech went on (the live session drops it too). Nothing
here is tuned apart from `play --listen`: the quiet a command needs before it, the silence that
confirms it and the rules are the recogniser's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from .recognizer import Recognizer
from .words import PHRASES, by_command, fold


@dataclass(frozen=True)
class Outcome:
    """One utterance, as a session would have taken it: its transcript, and the command obeyed
    (`command`; `phrase`, the phrase it was heard as, as listed), or none. `went_on`: a command was
    heard, then the speech went on before its confirming silence, so it was not obeyed.
    `after_speech`: said within `recognizer.ALONE` of other speech, so taken for the rest of a
    sentence and not transcribed (no transcript)."""

    transcript: str
    command: str | None = None
    phrase: str | None = None
    went_on: bool = False
    after_speech: bool = False


class Trial:
    """Feed the microphone's blocks with `feed(pcm)`; it returns the outcomes settled by then, each
    utterance once (one said too soon after other speech, which a session takes for the rest of a
    sentence and never transcribes, with no transcript). Everything is fed as quiet: no session is
    playing."""

    def __init__(self, recognizer: Recognizer):
        self.recognizer = recognizer
        self._seen = len(recognizer.transcripts)
        self._after_speech = recognizer.after_speech
        listed = PHRASES.get(recognizer.language, PHRASES["en"])
        self._written = {fold(p): p for p in listed}  # the recogniser's folded phrase: as listed ("zurück")

    def feed(self, pcm: bytes) -> list[Outcome]:
        recognizer = self.recognizer
        waiting = recognizer.pending
        obeyed = recognizer.feed(pcm, True)
        settled = [Outcome(h.transcript, h.command, self._written.get(h.phrase, h.phrase)) for h in obeyed]
        if waiting is not None and recognizer.pending is not waiting and waiting not in obeyed:
            settled.append(Outcome(waiting.transcript, went_on=True))
        settled += [Outcome("", after_speech=True)] * (recognizer.after_speech - self._after_speech)
        self._after_speech = recognizer.after_speech
        for text in recognizer.transcripts[self._seen:]:
            still_waiting = recognizer.pending is not None and recognizer.pending.transcript == text
            if not still_waiting and not any(h.transcript == text for h in obeyed):
                settled.append(Outcome(text))
        self._seen = len(recognizer.transcripts)
        return settled


def summary(outcomes: list[Outcome], language: str) -> list[str]:
    """What was tried, one line per command: the words it was obeyed as and how often, and all its
    words (another may be taken from a voice where the first is not); then the utterances in all."""
    obeyed: dict[str, list[str]] = {}
    for o in outcomes:
        if o.command:
            obeyed.setdefault(o.command, []).append(o.phrase or "")
    lines = []
    for command, said in by_command(language):
        heard = obeyed.get(command, [])
        words = ", ".join(f"{p} ({heard.count(p)})" for p in said if p in heard) or "-"
        lines.append(f"  {said[0]:<12} obeyed as: {words:<24} its words: {' / '.join(said)}")
    obeyed_in_all = sum(o.command is not None for o in outcomes)
    lines.append(f"{obeyed_in_all} of {len(outcomes)} utterances obeyed as commands.")
    return lines
