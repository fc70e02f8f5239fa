"""Prompts and matching rules for spoken commands compared offline, from listen_eval.py's JSON.

listen_eval.py keeps, for every utterance of every recording, what each of its prompts decoded, each
token's log-probability, the odds of ending at each step, and each phrase's first word decoded with
no prompt. Here each variant (a prompt, or two prompts that must both decode the command, and a
`recognizer.Rule`: a floor on the log-probability of
the command's first saying, the odds of ending after a phrase said first that make it the phrase,
a floor on the command's first word decoded without the prompt, a floor on each token of the
command's words after its first word, the odds of opening with the command that admit it after
one word that is not one, and a floor on how much less likely the decoder with no prompt found the
command than its own best transcript, and the odds that the utterance ended where the transcript
does) is scored on those transcripts
without running Whisper again. The choice is made on the voices choices may be made on (tuned,
checked, seen), by a rule set before the figures: the fewest false commands among the variants
within one point of the commands the recogniser obeys as the evaluation ran it, whose rule every
recording logs, so that the same file always gives the same choice (a tie goes to more commands
obeyed, then to the simplest rule; until the round that added the unaided odds, within one point of
the most obeyed, a window the loosest variants drifted; in that round, of the recogniser as it is,
which steps down a point each time the choice is made again on the same recordings). The held-out
voices are then shown for that choice and for the recogniser as it is, per condition and per voice.
The rule for the strictest listen sensitivities (`recognizer.STRICT`) is chosen alongside, by its own
rule set before its figures: the fewest false commands among the variants of the recogniser's own
prompt within three points of the commands the recogniser as it is obeys.

Each utterance also comes with when it was said (listen_eval.py logs it; the recogniser there
transcribes every utterance): the quiet before it, and how soon speech began again after it. So the
offline decision is the recogniser's own: an utterance that follows other speech within the variant's
`alone` seconds is never a command (recognizer.ALONE), and a command that speech follows before the
recogniser would have obeyed it is dropped (recognizer.CONFIRM). How often the two agree for the
recogniser's own variant, as the evaluation ran it, is printed first.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import product

from voiceguide.live.listen.recognizer import ALONE, FLOOR, OBEY_AFTER, RULE, Rule, command_of
from voiceguide.live.listen.transcript import Transcript
from voiceguide.live.listen.vad import FRAME, RATE
from voiceguide.live.listen.words import fold, phrases

FLOORS = (-3.5, -3.0, -2.5, -2.0)
ENDINGS = (None, -1.0, -1.5, -2.0, -2.5, -3.0, -4.0)
UNPROMPTED = (None, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0)
RESTS = (None, -0.25, -0.5, -0.75, -1.0, -1.5)  # weighed only without the unprompted check (time)
LEADS = (None, -1.0, -2.0, -3.0, -4.0, -5.0)  # weighed only with no later-words floor or the recogniser's (time)
UNAIDED = (None, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -8.0)  # likewise, and never with the unprompted floor
CLOSINGS = (None, -1.0, -1.5, -2.0, -2.5)  # weighed only without the unprompted check
ALONES = (0.5, 0.75, 1.0, 1.25, 1.5)  # seconds of quiet a command needs before it
CHOOSING = ("tuned", "checked", "seen")
# Seconds after an utterance ends (HANG into its silence) within which speech that begins again drops
# its command: Recognizer.feed obeys it on the first whole frame OBEY_AFTER samples later, and checks
# for speech on that frame first.
SETTLE = math.ceil(OBEY_AFTER / FRAME) * FRAME / RATE
AGREE = " and "  # prompts joined by it: a command only when each of them decodes it


@dataclass(frozen=True)
class Variant:
    prompt: str
    rule: Rule
    alone: float = ALONE

    def __str__(self) -> str:
        r = self.rule
        ending = "the phrase only" if r.ending is None else f"ending after it >= {r.ending}"
        unprompted = "" if r.unprompted is None else f", first word unprompted >= {r.unprompted}"
        rest = "" if r.rest is None else f", its later words >= {r.rest}"
        lead = "" if r.lead is None else f", after a word if opening with it >= {r.lead}"
        unaided = "" if r.unaided is None else f", unaided odds against the best >= {r.unaided}"
        closing = "" if r.closing is None else f", ended there >= {r.closing}"
        return (f"{self.prompt}; first saying >= {r.floor}, {ending}{unprompted}{rest}{lead}{unaided}{closing}; "
                f"{self.alone} s quiet before")


def _features(v: Variant) -> tuple:
    """How much a variant adds to the phrase-only rule: fewer checks, then the floor nearest FLOOR,
    then the quiet before nearest ALONE."""
    checks = (v.rule.ending, v.rule.unprompted, v.rule.rest, v.rule.lead, v.rule.unaided, v.rule.closing)
    return (sum(c is not None for c in checks), abs(v.rule.floor - FLOOR),
            abs(v.alone - ALONE))


def transcript(record: list) -> Transcript:
    # logs before the lead rule have no opening odds, those before the unaided rule no unaided odds
    text, tokens, ends, unprompted, opening, unaided, *_ = [*record, [], []]
    return Transcript(text, tuple((t, p) for t, p in tokens), tuple(ends), tuple((w, p) for w, p in unprompted),
                      tuple((w, p) for w, p in opening), tuple((b, w, p) for b, w, p in unaided))


def parsed(rows: list[dict]) -> list[dict]:
    """The rows with each utterance's logged records as Transcripts, made once: several hundred
    variants read each one."""
    return [dict(row, decoded=[{p: transcript(record) for p, record in u.items()} for u in row["decoded"]])
            for row in rows]


@lru_cache(maxsize=None)
def may_hold_a_command(text: str) -> bool:
    """Whether any rule could find a command in a transcript of `text`: a phrase at the start of one of
    its words (the ending odds read "Stopping" as "stop" and more). Most transcripts hold none, and
    skipping them makes the grid several times faster."""
    words = f" {fold(text)}"
    return any(f" {phrase}" in words for phrase in phrases("en"))


def command_of_transcript(heard: Transcript, variant: Variant) -> str | None:
    if not may_hold_a_command(heard.text):
        return None
    found = command_of(heard, "en", variant.rule)
    return found[1] if found else None


def command_of_utterance(utterance: dict, variant: Variant) -> str | None:
    """The utterance's command (Transcripts by prompt, `parsed`) by `variant`; with prompts joined by AGREE, the command every one of
    them decoded (the second decoding confirms the first), else None."""
    found = {command_of_transcript(utterance[p], variant) for p in variant.prompt.split(AGREE)}
    return found.pop() if len(found) == 1 else None


def obeyed_commands(row: dict, found: list[str | None], alone: float) -> list[str]:
    """The commands the recogniser obeys in a recording whose utterances decode to `found`: each
    utterance's `timing` is [the quiet before it in seconds, or None when nothing was heard before it;
    seconds until speech began again, or None when it did not], absent from older logs (then every
    command counts)."""
    timing = row.get("timing") or [[None, None]] * len(found)
    return [command for command, (before, after) in zip(found, timing)
            if command and (before is None or before >= alone) and (after is None or after > SETTLE + 1e-9)]


def heard(row: dict, variant: Variant) -> list[str]:
    return obeyed_commands(row, [command_of_utterance(utterance, variant) for utterance in row["decoded"]], variant.alone)


def tally(rows: list[dict], variant: Variant, decided: dict[int, list[str | None]] | None = None
          ) -> tuple[int, int, int, int]:
    """(commands obeyed, commands, false commands, non-command recordings). `decided`: by row index,
    the utterances of the rows in which the variant's prompt and rule decode any command (the grid
    decodes once for all its quiets); every other row obeys nothing."""
    commands = sum(bool(row["command"]) for row in rows)
    obeyed = false = 0
    for i, row in enumerate(rows) if decided is None else ((i, rows[i]) for i in decided):
        got = heard(row, variant) if decided is None else obeyed_commands(row, decided[i], variant.alone)
        if row["command"]:
            obeyed += got == [row["command"]]
        else:
            false += bool(got)
    return obeyed, commands, false, len(rows) - commands


def wrong(rows: list[dict], variant: Variant) -> int:
    """Command recordings in which another command was obeyed ("stop" heard as "next"): a miss that
    also steers, so the tables show it beside the false commands."""
    return sum(any(got != row["command"] for got in heard(row, variant)) for row in rows if row["command"])


def table(rows: list[dict], variant: Variant, key: str) -> None:
    parts: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        parts[row[key]].append(row)
    print(f"| {key} | obeyed | another command | false |\n|---|---|---|---|")
    for name, mine in parts.items():
        ok, n, false, talk = tally(mine, variant)
        print(f"| {name} | {ok}/{n} ({ok / max(n, 1):.0%}) | {wrong(mine, variant)} | {false} in {talk} |")
    print()


_CHOOSING: list[dict] = []  # the rows choices are made on, for grid_scores (set by compare before it forks)


def grid_scores(prompt: str, floor: float) -> dict[Variant, tuple[int, int, int, int]]:
    """`tally` of every variant of the grid with this prompt and first-saying floor, on `_CHOOSING`: one
    share of the grid, so that the shares run on all the cores."""
    choosing, scores = _CHOOSING, {}
    candidates = [i for i, row in enumerate(choosing)
                  if any(may_hold_a_command(t.text) for u in row["decoded"] for t in u.values())]
    for ending, unprompted, rest, lead, unaided in product(ENDINGS, UNPROMPTED, RESTS, LEADS, UNAIDED):
        if unprompted is not None and (rest is not None or lead is not None or unaided is not None):
            continue
        if (lead is not None or unaided is not None) and rest not in (None, RULE.rest):
            continue
        base = Variant(prompt, Rule(floor, ending, unprompted, rest, lead, unaided))
        decided = {i: found for i in candidates
                   if any(found := [command_of_utterance(u, base) for u in choosing[i]["decoded"]])}
        for closing in CLOSINGS if unprompted is None else (None,):
            closed = decided if closing is None else _closed(choosing, decided, prompt, closing)
            for alone in ALONES:
                variant = Variant(prompt, replace(base.rule, closing=closing), alone)
                scores[variant] = tally(choosing, variant, closed)
    return scores


def _closed(rows: list[dict], decided: dict[int, list[str | None]], prompt: str, closing: float
            ) -> dict[int, list[str | None]]:
    """`decided` under the same rule with `closing` (Rule.closing) too: a veto on the transcript a
    command was found in, since a transcript's odds of having ended are the same for it and for it
    without its first word (the lead rule's), so the grid need not decode again for each closing."""
    def ends(utterance: dict) -> bool:
        return all(utterance[p].ended is None or utterance[p].ended >= closing for p in prompt.split(AGREE))

    return {i: [command if command and ends(u) else None for command, u in zip(found, rows[i]["decoded"])]
            for i, found in decided.items()}


def _as_evaluated(rows: list[dict], prompt: str) -> Variant | None:
    """The recogniser as the evaluation ran it (the rule most of the rows logged), with the quiet
    before a command it needs; None for logs older than the logged rule."""
    logged = Counter(tuple(r["rule"]) for r in rows if "rule" in r)
    return Variant(prompt, Rule(*logged.most_common(1)[0][0])) if logged else None


def _fewest_false(variants: list[Variant], scores: dict[Variant, tuple[int, int, int, int]]) -> Variant:
    """The variant making the fewest false commands; a tie goes to more commands obeyed, then to the simplest."""
    return min(variants, key=lambda v: (scores[v][2], -scores[v][0], _features(v)))


def compare(rows: list[dict]) -> None:
    rows = parsed(rows)
    prompts = list(next(r["decoded"][0] for r in rows if r["decoded"]))  # the recogniser's own first
    prompts += [AGREE.join(prompts[:2])] if len(prompts) > 1 else []
    own = Variant(prompts[0], RULE)

    def ran(row: dict) -> Variant:  # as the evaluation ran: its rule (logged since timing was), every utterance transcribed
        return Variant(prompts[0], Rule(*row["rule"]), 0.0) if "rule" in row else Variant(prompts[0], RULE)

    agree = sum(heard(r, ran(r)) == r["heard"] for r in rows)
    print(f"offline decision = the recogniser's, for its own variant: {agree} of {len(rows)} recordings\n")
    choosing = [r for r in rows if r["group"] in CHOOSING]
    global _CHOOSING  # read by grid_scores in the worker processes, which fork with it
    _CHOOSING = choosing
    parts = list(product(prompts, FLOORS))
    with multiprocessing.get_context("fork").Pool(min(len(parts), os.cpu_count() or 1)) as pool:
        scores = {v: score for part in pool.starmap(grid_scores, parts) for v, score in part.items()}
    if own not in scores:  # the recogniser's own values off the grid
        scores[own] = tally(choosing, own)
    front: dict[tuple[int, int], list[Variant]] = defaultdict(list)  # those no other variant beats on both counts
    for v, (ok, _, false, _) in scores.items():
        if not any(o >= ok and f <= false and (o, f) != (ok, false) for o, _, f, _ in scores.values()):
            front[ok, false].append(v)
    print(f"On the tuned, checked and seen voices, the variants that no other beats on both counts (the simplest "
          "of those that tie, and how many do), and the recogniser's own:\n\n"
          "| variant | commands obeyed | false commands |\n|---|---|---|")
    rows_ = [(own, 1) if own in vs else (min(vs, key=_features), len(vs)) for vs in front.values()]
    if not any(own in vs for vs in front.values()):
        rows_.append((own, 1))
    for v, ties in sorted(rows_, key=lambda r: (-scores[r[0]][0], scores[r[0]][2])):
        ok, n, false, talk = scores[v]
        tag = " (as it is)" if v == own else f" (and {ties - 1} more)" if ties > 1 else ""
        print(f"| {v}{tag} | {ok}/{n} ({ok / n:.1%}) | {false} in {talk} |")
    # within one point of the recogniser as the evaluation ran it (its rule is logged with every
    # recording), so that the same file always gives the same choice: one point under the recogniser
    # as it is now would step down a point each time the choice is made again on the same recordings.
    # (Before, within one point of the most obeyed, which the grid's loosest variants set at three
    # times the false commands, so that the window drifted up; docs: performance.)
    anchor = _as_evaluated(rows, prompts[0]) or own
    if anchor not in scores:
        scores[anchor] = tally(choosing, anchor)
    base = scores[anchor][0] / scores[anchor][1]
    eligible = [v for v, (ok, n, _, _) in scores.items() if ok / n >= base - 0.01]
    chosen = _fewest_false(eligible, scores)
    print(f"\nchosen by the rule (within one point of {scores[anchor][0]}/{scores[anchor][1]}, the recogniser as "
          f"the evaluation ran it): {chosen}\n")
    base = scores[own][0] / scores[own][1]  # STRICT is weighed against the recogniser as it is
    # recognizer.STRICT, for the strictest sensitivities: the fewest false commands on the recogniser's
    # own prompt among the variants within three points of the recogniser as it is
    strict = _fewest_false([v for v, (ok, n, _, _) in scores.items() if v.prompt == prompts[0] and ok / n >= base - 0.03],
                           scores)
    ok, n, false, talk = scores[strict]
    print(f"for the strictest sensitivities (recognizer.STRICT): {strict}: {ok}/{n} obeyed, {false} false in {talk}\n")
    held = [r for r in rows if r["group"] == "held-out"]
    if not held:
        print("(no held-out voices in this file)")
        return
    for name, v in (("chosen", chosen), ("the recogniser as it is", own), ("the strictest sensitivities", strict)):
        ok, n, false, talk = tally(held, v)
        print(f"## held-out voices, {name} ({v}): {ok}/{n} obeyed ({ok / max(n, 1):.1%}), {wrong(held, v)} as "
              f"another command, {false} false in {talk}\n")
        table(held, v, "condition")
        table(held, v, "voice")
        table(held, v, "text")
        for row in held:
            got = heard(row, v)
            if row["command"] and got != [row["command"]] or not row["command"] and got:
                texts = [[u[p].text for p in v.prompt.split(AGREE)] for u in row["decoded"]]
                what = "FALSE" if not row["command"] else f"ANOTHER {got}" if got and got != [row["command"]] else "missed"
                print(f"{what}: {row['text']!r} ({row['voice']}, {row['condition']}): {texts}")
        print()
