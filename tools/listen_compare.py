"""Prompts and matching rules for spoken commands compared offline, from listen_eval.py's JSON.

listen_eval.py keeps, for every utterance of every recording, what each of its prompts decoded and
each token's log-probability. Here each variant (a prompt, a rule for which transcripts are a
command, a floor on the log-probability of the command's first saying, recognizer.Transcript.certainty)
is scored on those transcripts without running Whisper
again. The choice is made on the voices choices may be made on (tuned, checked, seen), by a rule set
before the figures: the fewest false commands among the variants within one point of the most
commands obeyed (a tie goes to more commands obeyed). The held-out voices are then shown for that
choice and for the recogniser as it is, per condition and per voice.

The offline decision takes every utterance's command in a recording; the recogniser also drops a
command that speech follows within 0.5 s. How often the two agree for the recogniser's own variant
is printed first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from voiceguide.live.listen.recognizer import FLOOR, Transcript
from voiceguide.live.listen.words import command_in, fold

# Said around a command by people (and by breaths Whisper writes as a word): "okay, stop",
# "pause please", "let's go on". Chosen from everyday speech before any figure; one each side at most.
LEAD_INS = ("okay", "ok", "so", "and", "now", "just", "um", "uh", "er", "hey", "let's", "lets", "i", "please")
TAILS = ("please", "now")
FLOORS = (None, -6.0, -5.0, -4.5, -4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0)
CHOOSING = ("tuned", "checked", "seen")


@dataclass(frozen=True)
class Variant:
    prompt: str
    rule: str  # "exact" or "lead-in"
    floor: float | None

    def __str__(self) -> str:
        floor = "" if self.floor is None else f", first saying's log-probability >= {self.floor}"
        return f"{self.prompt}; {self.rule}{floor}"


def command_of(text: str, tokens: list, variant: Variant) -> str | None:
    found = command_in(text)
    if found is None and variant.rule == "lead-in":
        words = fold(text).split()
        if len(words) > 1 and words[0] in LEAD_INS:
            words = words[1:]
        if len(words) > 1 and words[-1] in TAILS:
            words = words[:-1]
        found = command_in(" ".join(words))
    if found is None:
        return None
    certainty = Transcript(text, tuple((t, p) for t, p in tokens)).certainty(found[0])
    return None if variant.floor is not None and certainty < variant.floor else found[1]


def heard(row: dict, variant: Variant) -> list[str]:
    found = (command_of(*utterance[variant.prompt], variant) for utterance in row["decoded"])
    return [c for c in found if c]


def tally(rows: list[dict], variant: Variant) -> tuple[int, int, int, int]:
    """(commands obeyed, commands, false commands, non-command recordings)."""
    obeyed = commands = false = talk = 0
    for row in rows:
        got = heard(row, variant)
        if row["command"]:
            commands += 1
            obeyed += got == [row["command"]]
        else:
            talk += 1
            false += bool(got)
    return obeyed, commands, false, talk


def table(rows: list[dict], variant: Variant, key: str) -> None:
    parts: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        parts[row[key]].append(row)
    print(f"| {key} | obeyed | false |\n|---|---|---|")
    for name, mine in parts.items():
        ok, n, false, talk = tally(mine, variant)
        print(f"| {name} | {ok}/{n} ({ok / max(n, 1):.0%}) | {false} in {talk} |")
    print()


def compare(rows: list[dict]) -> None:
    prompts = list(next(r["decoded"][0] for r in rows if r["decoded"]))  # the recogniser's own first
    own = Variant(prompts[0], "exact", FLOOR)
    agree = sum(heard(r, own) == r["heard"] for r in rows)
    print(f"offline decision = the recogniser's, for its own variant: {agree} of {len(rows)} recordings\n")
    choosing = [r for r in rows if r["group"] in CHOOSING]
    variants = [Variant(p, rule, floor) for p in prompts for rule in ("exact", "lead-in") for floor in FLOORS]
    scores = {v: tally(choosing, v) for v in variants}
    print("On the tuned, checked and seen voices:\n\n| variant | commands obeyed | false commands |\n|---|---|---|")
    for v, (ok, n, false, talk) in scores.items():
        print(f"| {v} | {ok}/{n} ({ok / n:.1%}) | {false} in {talk} |")
    best = max(ok / n for ok, n, _, _ in scores.values())
    eligible = [v for v, (ok, n, _, _) in scores.items() if ok / n >= best - 0.01]
    chosen = min(eligible, key=lambda v: (scores[v][2], -scores[v][0]))
    print(f"\nchosen by the rule: {chosen}\n")
    held = [r for r in rows if r["group"] == "held-out"]
    if not held:
        print("(no held-out voices in this file)")
        return
    for name, v in (("chosen", chosen), ("the recogniser as it is", own)):
        ok, n, false, talk = tally(held, v)
        print(f"## held-out voices, {name} ({v}): {ok}/{n} obeyed ({ok / max(n, 1):.1%}), {false} false in {talk}\n")
        table(held, v, "condition")
        table(held, v, "voice")
        for row in held:
            got = heard(row, v)
            if row["command"] and got != [row["command"]] or not row["command"] and got:
                texts = [u[v.prompt][0] for u in row["decoded"]]
                print(f"{'missed' if row['command'] else 'FALSE'}: {row['text']!r} ({row['voice']}, "
                      f"{row['condition']}): {texts}")
        print()
