"""tools/listen_compare.py's offline decision, on hand-made transcripts: a prompt alone, and two
prompts that must agree (the variant weighed against false commands, docs: performance); the quiet
before and after each utterance applied as the recogniser does, and listen_eval.py's endpointer that
logs it."""

from __future__ import annotations

import numpy as np
import pytest

from tools.listen_compare import (AGREE, SETTLE, Variant, _as_evaluated, command_of_utterance, heard, tally,
                                  transcript, wrong)
from tools.listen_eval import TimedEndpointer
from voiceguide.live.listen.recognizer import LONGEST, RULE
from voiceguide.live.listen.vad import FRAME, RATE
from voiceguide.live.listen.words import command_in


def record(*tokens: tuple[str, float]):
    """A logged transcript as compare() reads it: text, tokens with log-probabilities, the odds of
    ending at each step, no unprompted first words and no opening odds, and a command found in it as
    likely to the decoder with no prompt as its own best transcript; the decoder sure to end after the
    last token and nowhere before."""
    ends = [-8.0] * len(tokens) + [-0.05]
    text = "".join(t for t, _ in tokens).strip()
    found = command_in(text)
    return transcript([text, [list(t) for t in tokens], ends, [], [], [[0, found[0], -0.3]] if found else []])


PAUSE = record((" pause", -0.2), (".", -0.3))
HOLD = record((" hold", -0.4), (".", -0.2))
UNSURE = record((" pause", -3.0), (".", -0.1))  # below the floor on the first saying


def test_one_prompt_is_decided_by_the_rule():
    assert command_of_utterance({"phrases": PAUSE}, Variant("phrases", RULE)) == "pause"
    assert command_of_utterance({"phrases": HOLD}, Variant("phrases", RULE)) is None
    assert command_of_utterance({"phrases": UNSURE}, Variant("phrases", RULE)) is None


def test_two_prompts_must_both_decode_the_command():
    both = Variant(AGREE.join(["phrases", "session"]), RULE)
    assert command_of_utterance({"phrases": PAUSE, "session": PAUSE}, both) == "pause"
    assert command_of_utterance({"phrases": PAUSE, "session": HOLD}, both) is None
    assert command_of_utterance({"phrases": HOLD, "session": HOLD}, both) is None


def test_tally_counts_commands_obeyed_and_false_ones_per_recording():
    rows = [
        {"command": "pause", "decoded": [{"phrases": PAUSE, "session": PAUSE}]},  # obeyed by both
        {"command": "pause", "decoded": [{"phrases": PAUSE, "session": HOLD}]},  # obeyed by one prompt
        {"command": None, "decoded": [{"phrases": PAUSE, "session": HOLD}]},  # "Hold." heard as "pause" by one
        {"command": None, "decoded": [{"phrases": HOLD, "session": HOLD}, {"phrases": HOLD, "session": HOLD}]},
    ]
    assert tally(rows, Variant("phrases", RULE)) == (2, 2, 1, 2)
    assert tally(rows, Variant("session", RULE)) == (1, 2, 0, 2)
    assert tally(rows, Variant("phrases" + AGREE + "session", RULE)) == (1, 2, 0, 2)


def test_a_command_obeyed_as_another_is_counted_apart_from_a_miss():
    rows = [
        {"command": "stop", "decoded": [{"phrases": PAUSE}]},  # "stop" heard as "pause": steers wrongly
        {"command": "stop", "decoded": [{"phrases": HOLD}]},  # heard as no command: a miss only
        {"command": "pause", "decoded": [{"phrases": PAUSE}]},  # obeyed
        {"command": None, "decoded": [{"phrases": PAUSE}]},  # a false command, counted by tally
    ]
    assert wrong(rows, Variant("phrases", RULE)) == 1
    assert tally(rows, Variant("phrases", RULE)) == (1, 3, 1, 1)


def test_a_command_needs_the_quiet_before_it_and_no_speech_soon_after():
    """[quiet before, time until speech began again] per utterance, as listen_eval.py logs it."""
    row = {"command": None, "decoded": [{"phrases": HOLD}, {"phrases": PAUSE}]}
    said_after_talk = dict(row, timing=[[None, 0.6], [0.7, None]])  # "Hold, ... pause": 0.7 s between
    assert heard(said_after_talk, Variant("phrases", RULE, alone=0.5)) == ["pause"]
    assert heard(said_after_talk, Variant("phrases", RULE, alone=1.0)) == []
    first = {"command": None, "decoded": [{"phrases": PAUSE}, {"phrases": HOLD}]}
    assert heard(dict(first, timing=[[None, SETTLE], [0.5, None]]), Variant("phrases", RULE)) == []  # "pause, hold"
    assert heard(dict(first, timing=[[None, SETTLE + 0.032], [0.5, None]]), Variant("phrases", RULE)) == ["pause"]
    assert heard(first, Variant("phrases", RULE)) == ["pause"]  # an older log, without timing


def test_the_evaluation_endpointer_logs_the_quiet_around_each_utterance():
    endpointer = TimedEndpointer(LONGEST)
    frame = np.zeros(FRAME, np.float32)
    ended = []
    for probability in [0.9] * 10 + [0.0] * 20 + [0.9] * 10 + [0.0] * 20:
        ended.append(endpointer.push(frame, probability))
    first, second = (u for u in ended if u is not None)
    step = FRAME / RATE
    # the first utterance ends (HANG into its silence) on frame 18; speech began again on frame 31
    assert endpointer.timing[0] == [None, pytest.approx(13 * step)]
    assert second.quiet_before == pytest.approx(20 * step)  # from its first silent frame, 11, to 31
    assert endpointer.timing[1] == [pytest.approx(20 * step), None]
    endpointer.reset()
    assert endpointer.timing == []


def test_only_transcripts_with_a_phrase_among_their_words_are_weighed():
    """The grid skips what no rule could take for a command; what it skips must really hold none."""
    from tools.listen_compare import may_hold_a_command

    assert may_hold_a_command("so again") and may_hold_a_command("That's how long.")
    assert may_hold_a_command("stop, stop, stop")
    assert may_hold_a_command("Stopping")  # "stop" written with more after it, as the ending odds weigh
    assert not may_hold_a_command("Breathe in.") and not may_hold_a_command("Nonstop")
    assert not may_hold_a_command("")


def test_a_voice_of_another_language_reads_english_with_its_own_style():
    """The held-out voices (listen_eval.SpokenInEnglish): English phonemes, as an English voice gets
    them, said in the voice's own style, as Voice.clip gives a clip (int16 at the session rate)."""
    from dataclasses import replace

    from tools.listen_eval import SpokenInEnglish
    from voiceguide import dsp
    from voiceguide.voice import kokoro
    from voiceguide.voice.kokorofiles import find_kokoro_voice

    spanish = SpokenInEnglish("ef_dora", 150)
    english = find_kokoro_voice("af_heart")
    assert kokoro.phonemize("Stop.", spanish.voice) == kokoro.phonemize("Stop.", english)
    assert kokoro.phonemize("Stop.", spanish.voice) != kokoro.phonemize("Stop.", find_kokoro_voice("ef_dora"))
    assert spanish.voice.id == "ef_dora"  # its own style table
    clip = spanish.clip("Stop. Pause.")
    assert clip.dtype == np.int16 and 0.5 < clip.size / dsp.RATE < 4.0
    assert np.abs(clip).max() > 10_000
    assert replace(spanish.voice, language="es", espeak="es") == find_kokoro_voice("ef_dora")


def test_the_unaided_odds_are_read_from_the_log_and_weighed():
    """A record as listen_eval.py now logs it: [..., opening odds, [[words before, phrase, log-ratio]]];
    a variant with `Rule.unaided` drops a command the decoder with no prompt found far less likely
    than its own best transcript, and one with no unaided odds logged (an older log) too."""
    from dataclasses import replace

    pulled = transcript(["pause", [[" pause", -0.4]], [-8.0, -0.05], [], [], [[0, "pause", -6.2]]])
    said = transcript(["pause", [[" pause", -0.4]], [-8.0, -0.05], [], [], [[0, "pause", -0.7]]])
    assert pulled.unaided_odds("pause") == -6.2
    checked = Variant("phrases", replace(RULE, unaided=-4.0))
    assert command_of_utterance({"phrases": pulled}, checked) is None
    assert command_of_utterance({"phrases": said}, checked) == "pause"
    assert command_of_utterance({"phrases": pulled}, Variant("phrases", replace(RULE, unaided=None))) == "pause"
    older = transcript(["pause.", [[" pause", -0.2], [".", -0.3]], [-8.0, -8.0, -0.05], []])
    assert command_of_utterance({"phrases": older}, checked) is None  # an older log: not weighed


def test_the_choice_is_anchored_on_the_recogniser_as_the_evaluation_ran_it():
    """The rule logged with the recordings, not the recogniser as it is now: choosing again on the
    same file must not step the window down each time."""
    from voiceguide.live.listen.recognizer import ALONE, Rule

    old, new = [-2.5, -2.5, None, -0.75, -3.0, None], [-2.5, -2.5, None, None, -2.0, -5.0]
    rows = [{"rule": old}, {"rule": old}, {"rule": new}, {}]
    assert _as_evaluated(rows, "phrases") == Variant("phrases", Rule(*old), ALONE)
    assert _as_evaluated([{}, {}], "phrases") is None  # logs from before the rule was logged


def test_the_grid_weighs_the_closing_odds_without_decoding_again():
    """grid_scores reads Rule.closing as a veto on the transcript a command was found in (listen_compare
    ._closed): its tally must be the one the rule itself gives, command by command."""
    from dataclasses import replace

    import tools.listen_compare as compare

    def said(text: str, end: float, command: str | None, group: str = "tuned") -> dict:
        ends = [-8.0, -4.0, end]
        found = command_in(text)
        record = transcript([text, [[" " + text.rstrip(","), -0.3], [",", -0.3]], ends, [], [],
                            [[0, found[0], -0.3]] if found else []])
        return {"command": command, "group": group, "decoded": [{"phrases": record}], "timing": [[None, None]]}

    rows = [said("pause,", -0.2, "pause"), said("continue,", -1.7, "resume"), said("continue,", -2.4, None),
            said("stop,", -1.2, None), said("hold,", -0.1, None)]
    compare._CHOOSING = rows
    try:
        scores = compare.grid_scores("phrases", RULE.floor)
    finally:
        compare._CHOOSING = []
    for closing in compare.CLOSINGS:
        variant = Variant("phrases", replace(RULE, closing=closing))
        assert scores[variant] == tally(rows, variant)
    assert scores[Variant("phrases", replace(RULE, closing=-2.0))] == (2, 2, 1, 3)
    assert scores[Variant("phrases", replace(RULE, closing=-1.0))] == (1, 2, 0, 3)
