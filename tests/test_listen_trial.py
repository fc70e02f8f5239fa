"""`voiceguide listen`'s trial of the spoken commands: each utterance told once, with what a session
would have done with it, on the real recogniser (Whisper base, silero VAD) and rendered speech; and
the summary a person reads after trying their words."""

from __future__ import annotations

from testsupport.listen import at_16k


def test_each_utterance_is_told_once_with_what_a_session_would_do(recognizer, natural):
    """A command said alone is obeyed, a sentence holding a command word is not one, and a sentence
    whose first word is a command and that goes on after a comma is a command dropped, its rest not
    listened to (it follows speech), as live."""
    from voiceguide.live.listen.trial import Outcome, Trial

    recognizer.reset()
    trial = Trial(recognizer)
    pcm = b"".join(at_16k(natural.clip(text), before=1.2, after=1.2)
                   for text in ("pause", "Stop if it hurts.", "Next, the other side.", "more time"))
    outcomes = []
    for i in range(0, len(pcm), 960):  # the microphone's 30 ms blocks
        outcomes += trial.feed(pcm[i : i + 960])
    assert [(o.command, o.phrase, o.went_on, o.after_speech) for o in outcomes] == [
        ("pause", "pause", False, False), (None, None, False, False), (None, None, True, False),
        (None, None, False, True), ("extend", "more time", False, False)], outcomes
    assert outcomes[1] == Outcome(recognizer.transcripts[1])  # the sentence, as transcribed
    assert "stop" in outcomes[1].transcript.lower() and "hurts" in outcomes[1].transcript.lower()
    assert outcomes[2].transcript.lower().startswith("next")


def test_the_summary_names_each_command_its_words_and_how_it_was_obeyed():
    from voiceguide.live.listen.trial import Outcome, summary

    outcomes = [Outcome("Zurück.", "back", "zurück"), Outcome("Zurück!", "back", "zurück"),
                Outcome("Warte.", "pause", "warte"), Outcome("Hallo."), Outcome("Weiter,", went_on=True)]
    lines = summary(outcomes, "de")
    back = next(line for line in lines if line.split()[0] == "zurück")
    assert "zurück (2)" in back and back.endswith("its words: zurück")
    pause = next(line for line in lines if line.split()[0] == "pause")
    assert "warte (1)" in pause and pause.endswith("its words: pause / warte / warten")
    weiter = next(line for line in lines if line.split()[0] == "weiter")
    assert "obeyed as: -" in weiter and "fortsetzen" in weiter
    assert len(lines) == 9 and lines[-1] == "3 of 5 utterances obeyed as commands."


def test_a_word_said_too_soon_after_another_is_told_as_not_listened_to(recognizer, natural):
    """"pause ... pause" with 0.75 s between: the first is obeyed (its confirming silence is 0.5 s),
    the second follows speech within a second, so a session takes it for the rest of a sentence."""
    from voiceguide.live.listen.trial import Outcome, Trial

    recognizer.reset()
    trial = Trial(recognizer)
    clip = natural.clip("pause")
    pcm = at_16k(clip, before=1.2, after=0.4) + at_16k(clip, before=0.35, after=1.2)
    outcomes = []
    for i in range(0, len(pcm), 960):
        outcomes += trial.feed(pcm[i : i + 960])
    assert [(o.command, o.after_speech) for o in outcomes] == [("pause", False), (None, True)], outcomes
    assert outcomes[1] == Outcome("", after_speech=True)
