"""What a person asks `compose` for, read from the command line's words and checked against the library.

A mistyped word must never turn into a quietly different session (a focus on nothing, a floor
session when a roller was meant), so every unknown name is refused with the known ones and the
closest match, in one line."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from datetime import date

from ..errors import VoiceguideError
from .library import AREA_GROUPS, AREAS, EQUIPMENT, LEVELS

FOCUS_SHARE = 0.6  # of the seconds of all the moves, the opening and closing breaths and the cool-down included
TOLERANCE = 0.03  # how far the planned length may be from the length asked for


class ComposeError(VoiceguideError):
    """A request that cannot be composed, with the reason in one line."""


@dataclass(frozen=True)
class Request:
    """A checked request. `focus` is expanded (`hips` is its three areas); empty means the whole body.
    `equipment` never holds `none`: an empty tuple is the floor alone."""

    minutes: float
    focus: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    level: str = "beginner"
    seed: int = 0
    named_focus: tuple[str, ...] = ()  # as the person wrote it, for the title

    @property
    def seconds(self) -> float:
        return self.minutes * 60.0

    @property
    def levels(self) -> tuple[str, ...]:
        """An intermediate person does the beginner moves too; a beginner only those."""
        return LEVELS[: LEVELS.index(self.level) + 1]


def today_seed(day: date | None = None) -> int:
    """The default seed: the date as YYYYMMDD, so each day brings a new session and a day repeats itself."""
    day = day or date.today()
    return day.year * 10000 + day.month * 100 + day.day


def _suggest(word: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _words(text: str, known: tuple[str, ...], what: str, plural: str) -> tuple[str, ...]:
    words = [w.strip().lower() for w in text.split(",")]
    if not all(words):
        raise ComposeError(f"--{what}: {text!r} has an empty name; separate names with commas, e.g. {known[0]},{known[1]}")
    for word in words:
        if word not in known:
            raise ComposeError(f"unknown {what} {word!r}{_suggest(word, known)}; known {plural}: {', '.join(known)}")
    return tuple(dict.fromkeys(words))


def parse_request(
    minutes: float,
    focus: str | None = None,
    equipment: str | None = None,
    level: str | None = None,
    seed: int | None = None,
    day: date | None = None,
) -> Request:
    """The request from the command line's words; raises ComposeError naming the bad word."""
    if math.isnan(minutes) or not minutes > 0:
        raise ComposeError(f"--minutes must be a positive number of minutes, not {minutes:g}")
    named: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    if focus is not None and focus.strip():
        named = _words(focus, AREAS + tuple(AREA_GROUPS), "area", "areas")
        wanted = {a for n in named for a in AREA_GROUPS.get(n, (n,))}
        areas = tuple(a for a in AREAS if a in wanted)
    tools: tuple[str, ...] = ()
    if equipment is not None and equipment.strip():
        tools = _words(equipment, EQUIPMENT, "equipment", "equipment")
        if "none" in tools and len(tools) > 1:
            raise ComposeError(f"--equipment {equipment}: `none` means the floor alone; give it alone or leave it out")
        tools = tuple(t for t in tools if t != "none")
    chosen = (level or "beginner").strip().lower()
    if chosen not in LEVELS:
        raise ComposeError(f"unknown level {chosen!r}{_suggest(chosen, LEVELS)}; known levels: {', '.join(LEVELS)}")
    return Request(
        minutes=float(minutes),
        focus=areas,
        equipment=tools,
        level=chosen,
        seed=today_seed(day) if seed is None else int(seed),
        named_focus=named,
    )


def minutes_text(minutes: float) -> str:
    return f"{minutes:g} minute{'' if minutes == 1 else 's'}"
