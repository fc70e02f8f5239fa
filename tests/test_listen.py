"""`play --listen`, the pure parts: the silent spans of a timeline, the command words and how a
transcript becomes a command, and the endpointer's cuts."""

from __future__ import annotations

import numpy as np
import pytest

from testsupport.routines import plan_text
from voiceguide import dsp
from voiceguide.live.listen.gate import Gate, Span, audible_spans, silent_spans
from voiceguide.routine.settings import Settings
from voiceguide.plan.timeline import Chapter, Event, Timeline

RATE = dsp.RATE


def timeline(events: list[Event], duration: float) -> Timeline:
    return Timeline("t", duration, (Chapter(0.0, "one", duration),), tuple(events), Settings())


EVENTS = [
    Event(0.0, 12.0, "sound", "one", sound="ocean", role="ambient"),
    Event(1.0, 2.0, "speech", "one", text="Hello.", role="narration"),
    Event(1.5, 2.5, "sound", "one", sound="bell", role="marker"),
    Event(3.0, 10.0, "hold", "one"),
    Event(6.0, 6.05, "sound", "one", sound="tick", role="every"),
    Event(10.0, 11.0, "speech", "one", text="Done.", role="narration"),
]


# ------------------------------------------------------------------ the silent spans (pure)


def test_audible_spans_merge_speech_and_sounds_with_the_guard_and_ignore_the_bed():
    tl = timeline(EVENTS, 12.0)
    assert audible_spans(tl, 0.5) == (Span(1.0, 3.0), Span(6.0, 6.55), Span(10.0, 11.5))
    assert audible_spans(tl, 0.0) == (Span(1.0, 2.5), Span(6.0, 6.05), Span(10.0, 11.0))


def test_silent_spans_are_the_rest_of_the_session():
    tl = timeline(EVENTS, 12.0)
    assert silent_spans(tl, 0.5) == (Span(0.0, 1.0), Span(3.0, 6.0), Span(6.55, 10.0), Span(11.5, 12.0))
    assert silent_spans(timeline([], 5.0), 0.5) == (Span(0.0, 5.0),)
    assert silent_spans(timeline([Event(0.0, 5.0, "speech", "one", text="x")], 5.0), 0.5) == ()


def test_no_speech_of_a_planned_routine_falls_in_a_silent_span():
    tl = plan_text("""
        title: Gate
        intro: Lie on your back. [pause 2s] Let your breath settle.
        steps:
          - title: Figure four
            sides: [right, left]
            say: Cross your {side} ankle over your {other} knee. Stop at once for sharp pain.
            for: 20s
            cues:
              - {at: half, say: Halfway.}
              - {countdown: 3}
          - rest: 10s
          - title: Breathe
            breaths: 3
        outro: Well done.
    """)
    silent = silent_spans(tl, 0.3)
    assert silent, "a routine with holds and rests has silences"
    for e in tl.events:
        if e.kind in ("speech", "sound"):
            for s in silent:
                assert e.end + 0.3 <= s.start + 1e-9 or s.end <= e.start + 1e-9, (e, s)
    holds = [e for e in tl.events if e.kind in ("hold", "rest")]
    assert sum(s.end - s.start for s in silent) > 0.5 * sum(h.length for h in holds)


def test_gate_follows_the_clock_pauses_skips_and_sounds_outside_the_timeline():
    gate = Gate(timeline(EVENTS, 12.0), guard=0.5)
    assert gate.quiet(0.5, True, now=100.0)
    assert not gate.quiet(1.2, True, now=100.7)  # speech
    assert not gate.quiet(2.6, True, now=102.1)  # the bell ended at 2.5: still within the guard
    assert gate.quiet(3.2, True, now=102.7)  # a hold, after the guard
    assert not gate.quiet(10.2, True, now=109.7)  # speech again...
    assert not gate.quiet(10.3, False, now=109.9)  # ...paused: the device still plays its buffer
    assert gate.quiet(10.3, False, now=110.25)  # paused for longer than the guard: quiet
    assert not gate.quiet(10.3, True, now=110.3)  # resumed in the middle of the speech
    assert not gate.quiet(4.0, True, now=110.4)  # "back" into the hold: what was played still echoes
    assert gate.quiet(4.5, True, now=110.9)
    gate.sound_outside(now=111.0, seconds=0.12)  # an acknowledgement
    assert not gate.quiet(5.0, True, now=111.5)
    assert gate.quiet(5.7, True, now=111.7)
    later = timeline(EVENTS + [Event(8.0, 9.0, "speech", "one", text="Later.")], 12.0)
    gate.follow(later)  # the player re-planned
    assert not gate.quiet(8.5, True, now=115.0)


# ------------------------------------------------------------------ words, utterances and the recogniser


def test_a_transcript_is_a_command_only_when_it_is_exactly_a_phrase():
    from voiceguide.live.listen.words import command_in

    assert command_in(" Pause.") == ("pause", "pause")
    assert command_in("Wait!") == ("wait", "pause")
    assert command_in("Go on.") == ("go on", "resume")
    assert command_in("continue, continue, continue") == ("continue", "resume")  # a short window repeats
    assert command_in("More time.") == ("more time", "extend")
    assert command_in("How long?") == ("how long", "remaining")
    assert command_in("skip") == ("skip", "next") and command_in("Again.") == ("again", "repeat")
    assert command_in("Finish.") == ("finish", "stop")
    for talk in ("Stop if it hurts.", "Next, the other side.", "Pause here, then continue.", "go on go", "", "2",
                 "more", "how", "Front left."):
        assert command_in(talk) is None, talk
    assert command_in("Zurück!", "de") == ("zuruck", "back")
    assert command_in("Répète.", "fr") == ("repete", "repeat") and command_in("repete", "fr") == ("repete", "repeat")
    assert command_in("¿Cuánto falta?", "es") == ("cuanto falta", "remaining")
    assert command_in("pause", "xx") == ("pause", "pause")  # a language without words of its own: English


def test_a_command_s_certainty_is_its_first_saying_s():
    """The decoder's log-probability of the tokens that first spell the phrase: a word it was unsure
    of and then repeated with confidence stays unsure; punctuation and later sayings do not count."""
    from voiceguide.live.listen.transcript import Transcript
    from voiceguide.live.listen.words import spelt_by

    looped = Transcript("Arrêtez, arrêtez,", ((" Ar", -2.76), ("r", -1.8), ("ête", -0.05), ("z", -0.13), (",", -0.66),
                                             (" arr", -1.78), ("ête", 0.0), ("z", 0.0), (",", -0.11)))
    assert looped.certainty("arretez") == pytest.approx(-4.74)
    assert Transcript("go on.", ((" go", -2.84), (" on", -0.09), (".", -0.5))).certainty("go on") == pytest.approx(-2.93)
    assert Transcript("stop", ((" stop", -0.52),)).certainty("stop") == pytest.approx(-0.52)
    assert spelt_by([" attend", "ez", ",", " attend"], "attendez") == 2
    assert spelt_by([" go", " on", " go"], "go on") == 2
    assert spelt_by([" more time", "."], "more") == 1  # a piece may carry the next word too
    assert spelt_by([" Okay", ",", " stop"], "stop") == 3  # never spelt from the start: every piece counts
    assert Transcript("").certainty("stop") == 0.0


def test_a_phrase_said_first_counts_when_the_decoder_nearly_ended_there_and_a_command_needs_its_first_word():
    """The rule (recognizer.Rule): "stop it." for a UK "stop" whose released p Whisper writes as a word
    is the command when the decoder's odds of ending after "stop" were high; a person's "Stop it." or
    "Next, the other side" is not. And a short sound the prompt pulls towards a command ("Hmm." as
    "how long") is dropped when, decoded without the prompt, its first word is unlikely."""
    from voiceguide.live.listen.recognizer import Rule, command_of
    from voiceguide.live.listen.transcript import Transcript

    rule = Rule(floor=-2.5, ending=-2.5, unprompted=-3.0)
    alone = (("stop", -2.0), ("next", -0.1), ("how long", -0.4), ("resume", -0.2))
    released = Transcript("stop it.", ((" stop", -0.3), (" it", -0.4), (".", -0.1)), (-8.9, -1.3, -0.2, -0.1), alone)
    assert command_of(released, "en", rule) == ("stop", "stop")
    assert command_of(released, "en", Rule(floor=-2.5)) is None  # the phrase only, as before
    said = Transcript("stop it.", ((" stop", -0.1), (" it", -0.01), (".", -0.1)), (-10.7, -6.0, -0.3, -0.1), alone)
    assert command_of(said, "en", rule) is None
    sentence = Transcript("next the other side", ((" next", -0.1), (" the", -0.1), (" other", 0.0), (" side", 0.0)),
                          (-12.5, -6.8, -11.3, -10.8, -0.1), alone)
    assert command_of(sentence, "en", rule) is None
    stopping = Transcript("Stopping", ((" Stop", -0.9), ("ping", -1.0)), (-9.0, -1.1, -0.1), alone)
    assert command_of(stopping, "en", rule) == ("stop", "stop")
    unsure = Transcript("stop it.", ((" stop", -2.7), (" it", -0.4), (".", -0.1)), (-8.9, -1.3, -0.2, -0.1), alone)
    assert command_of(unsure, "en", rule) is None  # the floor still holds
    hmm = Transcript("how long", ((" how", -0.8), (" long", -0.2)), (-8.0, -9.0, -0.1), (("how long", -6.3),))
    assert command_of(hmm, "en", rule) is None
    assert command_of(hmm, "en", Rule(floor=-2.5)) == ("how long", "remaining")
    asked = Transcript("how long", ((" how", -0.3), (" long", -0.1)), (-8.0, -9.0, -0.1), alone)
    assert command_of(asked, "en", rule) == ("how long", "remaining")
    assert command_of(Transcript("how long", asked.tokens, asked.ends), "en", rule) is None  # not decoded alone: no


def test_a_command_s_later_words_must_be_heard_not_pulled_by_the_prompt():
    """`Rule.rest`: once the decoder wrote "go", the prompt pulls "on" after it, so "Good." comes out
    as "go on" with "on" unsure (the log-probabilities are af_river's "Good.", clean); a person's
    "go on" has its "on" near certain. Only the tokens of the words of the phrase's first saying after
    its first word are weighed: not a one-word command's (however many tokens spell it), nor
    punctuation or what follows."""
    from voiceguide.live.listen.recognizer import Rule, command_of
    from voiceguide.live.listen.transcript import Transcript

    rule = Rule(floor=-2.5, rest=-0.5)
    good = Transcript("go on,", ((" go", -0.64), (" on", -1.46), (",", -1.07)))
    said = Transcript("Go on.", ((" Go", -1.2), (" on", -0.05), (".", -2.0)))
    assert good.least_after_first("go on") == pytest.approx(-1.46)
    assert said.least_after_first("go on") == pytest.approx(-0.05)
    assert command_of(good, "en", rule) is None
    assert command_of(good, "en", Rule(floor=-2.5)) == ("go on", "resume")  # not checked
    assert command_of(said, "en", rule) == ("go on", "resume")
    stop = Transcript("stop.", ((" stop", -0.4), (".", -3.0)))
    assert stop.least_after_first("stop") == 0.0
    assert command_of(stop, "en", rule) == ("stop", "stop")
    word = Transcript("siguiente", ((" sig", -0.4), ("u", -1.9), ("iente", -0.9)))
    assert word.least_after_first("siguiente") == 0.0  # one word, however many tokens spell it
    asked = Transcript("cuánto falta", ((" cu", -0.3), ("án", -1.2), ("to", -0.1), (" fal", -0.2), ("ta", -0.9)))
    assert asked.least_after_first("cuanto falta") == pytest.approx(-0.9)  # every token of the later words


def test_a_command_after_one_word_counts_when_the_decoder_nearly_opened_with_it():
    """`Rule.lead`: a soft onset written as a word of its own ("so again") leaves the command after it,
    which counts when the decoder's odds of opening with the command's first word were high; a
    person's "Don't stop." opens with "stop" at low odds. The rest must pass the other checks, and a
    first word that is itself a command ("next stop") is two commands, never one."""
    from voiceguide.live.listen.recognizer import Rule, command_of
    from voiceguide.live.listen.transcript import Transcript

    rule = Rule(floor=-2.5, ending=-1.5, rest=-0.75, lead=-2.0)
    onset = Transcript("so again", ((" so", -1.1), (" again", -0.2)), (-9.0, -7.0, -0.1),
                       opening=(("again", -1.3), ("stop", -9.0)))
    assert onset.without_first_word == Transcript("again", ((" again", -0.2),), (-7.0, -0.1))
    assert command_of(onset, "en", rule) == ("again", "repeat")
    assert command_of(onset, "en", Rule(floor=-2.5, ending=-1.5, rest=-0.75)) is None  # not admitted
    assert command_of(onset, "en", Rule(floor=-2.5, lead=-1.0)) is None  # odds too low for this rule
    dont = Transcript("Don't stop.", ((" Don", -0.2), ("'t", 0.0), (" stop", -0.1), (".", -0.3)),
                      (-9.0, -9.0, -6.0, -0.2, -0.1), opening=(("stop", -6.5),))
    assert command_of(dont, "en", rule) is None
    unsure = Transcript("let's stop.", ((" let", -1.0), ("'s", -0.1), (" stop", -2.7), (".", -0.1)),
                        (-9.0, -9.0, -8.0, -0.2, -0.1), opening=(("stop", -1.0),))
    assert command_of(unsure, "en", rule) is None  # the floor holds for the command after the word
    onset_said_on = Transcript("is stop it", ((" is", -1.0), (" stop", -0.3), (" it", -0.4)),
                               (-9.0, -8.0, -1.2, -0.1), opening=(("stop", -1.0),))
    assert command_of(onset_said_on, "en", rule) == ("stop", "stop")  # with the ending odds, as said first
    two = Transcript("next stop", ((" next", -0.5), (" stop", -0.3)), (-9.0, -3.0, -0.1), opening=(("stop", -0.5),))
    assert command_of(two, "en", rule) is None
    assert Transcript("again", ((" again", -0.1),)).without_first_word is None


def test_every_language_has_every_command_and_no_phrase_means_two():
    from voiceguide.live.listen.words import ORDER, PHRASES, fold, phrases, reminder
    from voiceguide.live.steer import COMMANDS

    for language, table in PHRASES.items():
        assert set(table.values()) == set(ORDER) <= set(COMMANDS), language
        assert len(phrases(language)) == len(table), language  # folding merges no two phrases
        assert all(fold(p) == p for p in phrases(language))
        assert len(reminder(language).split(", ")) == len(ORDER)
    assert reminder("en") == "pause, continue, next, back, repeat, stop, more time, how long"


def test_the_endpointer_cuts_utterances_and_passes_over_talk_and_clicks():
    from voiceguide.live.listen.vad import FRAME, HANG, RATE as VAD_RATE, Endpointer, thresholds

    frame_s = FRAME / VAD_RATE

    def run(probabilities, longest=1.8):
        e = Endpointer(longest)
        out = []
        for i, p in enumerate(probabilities):
            frame = np.full(FRAME, i, np.float32)
            found = e.push(frame, p)
            if found is not None:
                out.append(found)
        return out

    hang = int(np.ceil(HANG / frame_s))
    word = [0.0] * 10 + [0.9] * 15 + [0.2] * hang
    (u,) = run(word)
    assert abs(u.speech - 15 * frame_s) < 1e-9
    assert u.audio[0] == 10 - round(0.2 / frame_s)  # a little of what came before the speech
    assert abs(u.ended - len(word) * frame_s) < 1e-9
    assert run([0.9] * 15 + [0.2] * (hang - 1)) == []  # not over yet
    dip = [0.9] * 5 + [0.2] * 3 + [0.9] * 5 + [0.2] * hang  # a dip inside a word is part of it
    (u,) = run(dip)
    assert abs(u.speech - 13 * frame_s) < 1e-9
    (first, second) = run(word + [0.2] * 10 + [0.9] * 15 + [0.2] * hang)
    assert first.quiet_before == float("inf") and abs(second.quiet_before - (hang + 10) * frame_s) < 1e-9
    (after_talk,) = run([0.9] * 60 + [0.2] * hang + [0.9] * 15 + [0.2] * hang)  # talk counts as speech before
    assert abs(after_talk.quiet_before - hang * frame_s) < 1e-9
    assert run([0.9] * 60 + [0.2] * hang) == []  # 1.9 s of speech: talk
    assert run([0.9] * 1 + [0.2] * hang) == []  # 32 ms: a click
    assert thresholds(0.5) == (0.5, 0.35)
    eager, strict = thresholds(0.8), thresholds(0.2)
    assert eager[0] < 0.5 < strict[0] and abs(eager[0] - (0.5 - 0.18)) < 1e-9


def test_sensitivity_setting_is_checked():
    from voiceguide.routine.settings import parse_value

    assert parse_value("listen_sensitivity", "0.7") == 0.7
    for bad in ("1.5", "-0.1", "nan"):
        with pytest.raises(ValueError):
            parse_value("listen_sensitivity", bad)


def test_the_strictest_sensitivities_take_the_stricter_rule():
    """At a sensitivity of 0.25 or below, `STRICT`: a command pulled halfway by the prompt (unaided
    odds e^-4) or after a word the decoder hardly opened with (e^-1.5) is taken by RULE, not by it."""
    from voiceguide.live.listen.recognizer import RULE, STRICT, command_of, rule_for
    from voiceguide.live.listen.transcript import Transcript

    assert rule_for(0.0) == rule_for(0.25) == STRICT and rule_for(0.26) == rule_for(0.5) == rule_for(1.0) == RULE
    pulled = Transcript("pause", ((" pause", -1.0),), (-9.0, -0.1), unaided=((0, "pause", -4.0),))
    onset = Transcript("so again", ((" so", -1.1), (" again", -0.2)), (-9.0, -7.0, -0.1),
                       opening=(("again", -1.5),), unaided=((1, "again", -1.0),))
    for heard, command in ((pulled, ("pause", "pause")), (onset, ("again", "repeat"))):
        assert command_of(heard, "en", RULE) == command
        assert command_of(heard, "en", STRICT) is None
    said = Transcript("pause", ((" pause", -0.3),), (-9.0, -0.1), unaided=((0, "pause", -0.9),))
    assert command_of(said, "en", STRICT) == ("pause", "pause")


def test_a_command_must_be_nearly_as_likely_to_a_decoder_with_no_prompt():
    """`Rule.unaided`: the prompt pulls a short sound towards the nearest command ("Hold" written
    "pause"); decoded with no prompt, "pause" said alone is then far less likely than the decoder's own
    best transcript ("Hold"), while a said "pause" is about as likely as whatever it wrote ("Paws").
    The odds are weighed for the phrase said first, or after one word when `lead` admits that."""
    from voiceguide.live.listen.recognizer import Rule, command_of
    from voiceguide.live.listen.transcript import Transcript

    rule = Rule(floor=-2.5, unaided=-4.0)
    hold = Transcript("pause", ((" pause", -1.7),), (-9.0, -0.1), unaided=((0, "pause", -5.5),))
    said = Transcript("pause", ((" pause", -0.3),), (-9.0, -0.1), unaided=((0, "pause", -0.9),))
    assert command_of(hold, "en", rule) is None
    assert command_of(hold, "en", Rule(floor=-2.5)) == ("pause", "pause")  # not checked
    assert command_of(said, "en", rule) == ("pause", "pause")
    assert command_of(Transcript("pause", said.tokens, said.ends), "en", rule) is None  # not weighed: no
    onset = Transcript("so again", ((" so", -1.1), (" again", -0.2)), (-9.0, -7.0, -0.1),
                       opening=(("again", -1.3),), unaided=((1, "again", -1.0),))
    assert onset.without_first_word.unaided_odds("again") == -1.0  # weighed after "so", read as said first
    assert onset.unaided_odds("again") is None
    assert command_of(onset, "en", Rule(floor=-2.5, lead=-2.0, unaided=-2.0)) == ("again", "repeat")
    assert command_of(onset, "en", Rule(floor=-2.5, lead=-2.0, unaided=-0.5)) is None


def test_the_phrases_said_first_are_the_ones_weighed():
    """Transcript.said_first: (words before, phrase, tokens before it) for the phrases a rule could find,
    said first (repeated, or with more after it) or after one word that is not a command itself."""
    from voiceguide.live.listen.transcript import Transcript

    assert Transcript("stop it.", ((" stop", -0.3), (" it", -0.4), (".", -0.1))).said_first("en") == ((0, "stop", 0),)
    onset = Transcript("so go on", ((" so", -1.1), (" go", -0.2), (" on", -0.1)))
    assert onset.said_first("en") == ((1, "go on", 1),)
    repeated = Transcript("again, again,", ((" again", -0.1), (",", -0.1), (" again", 0.0), (",", -0.2)))
    assert repeated.said_first("en") == ((0, "again", 0),)  # not "again" after the command "again,"
    assert Transcript("Stay tall.", ((" Stay", -0.5), (" tall", -0.2), (".", -0.1))).said_first("en") == ()
    assert Transcript("").said_first("en") == ()


def test_a_command_needs_the_decoder_sure_that_the_utterance_ended_there():
    """`Rule.closing`: the prompt can cut a sentence short ("Continue breathing." written "continue,",
    the decoder then ending with odds of only e^-2.5), while a command said alone ends surely. A
    transcript cut off at the token cap ("pause, pause, ...") has no such odds and is not weighed; the
    lead rule reads the same end after the word before."""
    from voiceguide.live.listen.recognizer import Rule, command_of
    from voiceguide.live.listen.transcript import Transcript

    rule = Rule(floor=-2.5, lead=-2.0, closing=-2.0)
    cut = Transcript("continue,", ((" continue", -0.4), (",", -0.4)), (-9.7, -3.3, -2.45))
    said = Transcript("continue.", ((" continue", -0.4), (".", -0.4)), (-9.7, -3.3, -0.3))
    assert cut.ended == -2.45 and said.ended == -0.3
    assert command_of(cut, "en", rule) is None
    assert command_of(cut, "en", Rule(floor=-2.5, lead=-2.0)) == ("continue", "resume")  # not checked
    assert command_of(said, "en", rule) == ("continue", "resume")
    capped = Transcript("pause, pause", ((" pause", -0.2), (",", -0.1), (" pause", -0.1)), (-9.0, -3.0, -4.0))
    assert capped.ended is None and command_of(capped, "en", rule) == ("pause", "pause")
    onset = Transcript("so again,", ((" so", -1.1), (" again", -0.2), (",", -0.3)), (-9.0, -7.0, -3.0, -2.6),
                       opening=(("again", -1.3),))
    assert onset.without_first_word.ended == -2.6
    assert command_of(onset, "en", rule) is None
    assert command_of(onset, "en", Rule(floor=-2.5, lead=-2.0)) == ("again", "repeat")
