"""tools/listen_compare.py's offline decision, on hand-made transcripts: a prompt alone, and two
prompts that must agree (the variant weighed against false commands, docs: performance)."""

from __future__ import annotations

from tools.listen_compare import AGREE, Variant, command_of_utterance, tally, transcript
from voiceguide.live.listen.recognizer import RULE


def record(*tokens: tuple[str, float]):
    """A logged transcript as compare() reads it: text, tokens with log-probabilities, the odds of
    ending at each step, and no unprompted first words; the decoder sure to end after the last token
    and nowhere before."""
    ends = [-8.0] * len(tokens) + [-0.05]
    return transcript(["".join(t for t, _ in tokens).strip(), [list(t) for t in tokens], ends, []])


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
