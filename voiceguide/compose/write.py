"""The composed routine as a person would write it: a YAML file that passes `check`, reads top to
bottom, and says in comments which move of the library each step is and which articles it stands on.

Only the hold of each step differs from its move file; everything else is copied, so what the
library's tests hold for a move holds in every composed session. The intro and outro are ours."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from .library import Move
from ..text import number_words
from .request import Request

TOOLS = {
    "roller": "a foam roller",
    "ball": "a massage ball",
    "wall": "a clear stretch of wall",
    "strap": "a strap or a belt",
    "chair": "a sturdy chair",
}
AREA_WORDS = {"hip-flexors": "hip flexors", "lower-back": "lower back"}


@dataclass(frozen=True)
class Placed:
    """A move of the session with the amount written into its hold (seconds or breaths)."""

    move: Move
    amount: int


def _listing(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def focus_words(request: Request) -> str:
    return _listing([AREA_WORDS.get(a, a) for a in request.named_focus]) if request.named_focus else "the whole body"


def title(request: Request) -> str:
    """Such as "Glutes, 20 minutes (roller, ball)": what, how long, with what."""
    focus = focus_words(request)
    tools = ", ".join(request.equipment) if request.equipment else "floor"
    return f"{focus[0].upper()}{focus[1:]}, {request.minutes:g} minutes ({tools})"


BRIEF_MINUTES = 10  # below this, the intro leaves out its advice on moving: the time goes to the moves
ADVICE = "Move slowly, stay on the side of pressure that feels good, and keep breathing."


def intro(request: Request, arrival: int = 2) -> str:
    """Ours: how long and for what, what to have at hand, a quiet moment of `arrival` seconds, and (from
    BRIEF_MINUTES on) a word on moving; the moves' safety notes are spoken whatever the length."""
    whole = round(request.minutes)
    length = f"{number_words(whole).capitalize()} minutes" if whole == request.minutes else f"About {number_words(whole)} minutes"
    tools = [TOOLS[t] for t in request.equipment]
    kit = f"Have {_listing(tools)} within reach." if tools else "All you need is a little floor space."
    advice = f" {ADVICE}" if request.minutes >= BRIEF_MINUTES else ""
    return (
        f"{length} for {'your ' if request.named_focus else ''}{focus_words(request)}. {kit} "
        f"Take a moment to arrive. [pause {arrival}s]{advice}"
    )


OUTRO = (
    "That is the end of today's session. Take a moment before you carry on with your day, "
    "and have a drink of water."
)


def safety_notes(moves: list[Move] | tuple[Move, ...]) -> list[str]:
    """Every move's notes, each once, in the order the session first needs them."""
    return list(dict.fromkeys(n for m in moves for n in m.safety))


class _Dumper(yaml.SafeDumper):
    """Long narration as folded blocks and list items indented under their key, the way the shipped
    routines are written."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str):
    style = ">" if len(value) > 90 and "\n" not in value.strip() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _dump(data, flow: bool | None = None) -> str:
    """YAML text; `flow=None` writes short lists of words inline (`sides: [right, left]`)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96, default_flow_style=flow)


def routine_text(request: Request, placed: tuple[Placed, ...], arrival: int = 2, planned: str | None = None) -> str:
    """The routine file; `planned` (the measured length and voice) is added to its header when known."""
    moves = [p.move for p in placed]
    tools = ",".join(request.equipment) or "none"
    focus = f" --focus {','.join(request.named_focus)}" if request.named_focus else ""
    head = [
        (f"# Composed by: voiceguide compose --minutes {request.minutes:g}{focus} --equipment {tools} "
         f"--level {request.level} --seed {request.seed}"),
        "# Each step is a move of voiceguide's library (voiceguide/compose/moves/ID.yaml), copied as it is but for",
        "# its hold, which was set so that the whole session lasts the length asked for. The seeds named",
        "# with each move are the articles its facts, holds and safety notes come from.",
    ]
    if planned:
        head.append(f"# Planned length: {planned}.")
    top = {
        "title": title(request),
        "summary": f"{len(moves)} moves for {focus_words(request)}, composed for {request.minutes:g} minutes "
        f"(seed {request.seed}).",
        "language": "en",
        "safety": safety_notes(moves),
        "intro": intro(request, arrival),
    }
    if not top["safety"]:
        del top["safety"]
    lines = head + [_dump(top, flow=False).rstrip("\n"), "steps:"]
    for number, p in enumerate(placed, 1):
        m = p.move
        unit = ("breath" if p.amount == 1 else "breaths") if m.hold.unit == "breaths" else "s"
        lines.append(
            f"  # {number}. {m.id}: {m.kind}, {m.position}, {'/'.join(m.equipment)}; "
            f"{p.amount:g}{' ' if unit != 's' else ''}{unit} of {m.hold.low:g}-{m.hold.high:g}; seeds {', '.join(m.seeds)}"
        )
        block = _dump([m.step_with(p.amount)]).rstrip("\n")
        lines.extend("  " + line if line else line for line in block.splitlines())
    lines.append(_dump({"outro": OUTRO}).rstrip("\n"))
    return "\n".join(lines) + "\n"
