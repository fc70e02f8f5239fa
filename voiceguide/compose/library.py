"""The library of moves: one YAML file per move in `voiceguide/compose/moves/`.

A move is a routine step (exactly as the format contract writes it, with a range for its
hold) plus what a composer needs to choose, order and group moves without reading the
narration: the body areas it works, the position it is done in, the equipment it needs,
its kind and level, the safety notes and contraindications it brings along, and the seed
article its facts come from. `voiceguide/compose/moves/README.md` describes the file.

The library is ours, so a broken move file is a bug, but it still gets a message that
names the file and says what is wrong, never a KeyError from deep inside a composer.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType

import yaml

from ..errors import VoiceguideError
from ..text import parse_range

AREAS = ("glutes", "piriformis", "hip-flexors", "hamstrings", "quads", "calves", "lower-back", "breathing")
AREA_GROUPS = MappingProxyType({"hips": ("glutes", "piriformis", "hip-flexors")})
POSITIONS = ("standing", "seated", "supine", "prone", "side-lying", "kneeling")
EQUIPMENT = ("roller", "ball", "wall", "strap", "chair", "none")
KINDS = ("breathing", "rolling", "trigger-point", "stretch", "activation")
LEVELS = ("beginner", "intermediate")
PHASES = ("opening", "main", "closing")

MOVES_DIR = Path(__file__).resolve().parent / "moves"

_REQUIRED = ("id", "title", "areas", "position", "equipment", "kind", "level", "seeds", "safety", "step")
_OPTIONAL = ("contraindications", "phases")
_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SEED_RE = re.compile(r"\d{3}_[0-9a-f]{16}")


class MoveError(VoiceguideError):
    """A move file that the library cannot use, with the file and the reason."""


@dataclass(frozen=True)
class Hold:
    """How long a move may last: `unit` is "seconds" (a `for` step) or "breaths" (a `breaths` step).

    The composer picks any amount from `low` to `high` and writes it into the step."""

    unit: str
    low: float
    high: float

    @property
    def key(self) -> str:
        return "for" if self.unit == "seconds" else "breaths"

    def contains(self, amount: float) -> bool:
        return self.low <= amount <= self.high


@dataclass(frozen=True)
class Move:
    """One move of the library. `step` is the literal routine step, read-only at its top level;
    `step_with` gives the copy a composer writes into its routine."""

    id: str
    title: str
    areas: tuple[str, ...]
    position: str
    equipment: tuple[str, ...]
    sides: tuple[str, str] | bool
    kind: str
    level: str
    hold: Hold
    phases: tuple[str, ...]
    safety: tuple[str, ...]
    contraindications: tuple[str, ...]
    seeds: tuple[str, ...]
    step: Mapping = field(compare=False, hash=False, repr=False)
    path: Path = field(compare=False)

    def fits(self, available: Iterable[str]) -> bool:
        """Whether the move can be done with the equipment at hand (`none` needs nothing)."""
        return set(self.equipment) - {"none"} <= set(available)

    def step_with(self, amount: float) -> dict:
        """A fresh copy of the step with its range replaced by one amount inside the range.

        This is the one change a composer makes to a move: everything else is written as is."""
        if not self.hold.contains(amount):
            raise MoveError(
                f"{self.path.name}: {amount:g} {self.hold.unit} is outside the move's range "
                f"{self.hold.low:g}-{self.hold.high:g}"
            )
        step = copy.deepcopy(dict(self.step))
        if self.hold.unit == "breaths":
            if amount != int(amount):
                raise MoveError(f"{self.path.name}: a breath hold takes a whole number of breaths, not {amount:g}")
            step["breaths"] = int(amount)
        else:
            step["for"] = f"{amount:g}s"
        return step


def _fail(path: Path, message: str) -> MoveError:
    return MoveError(f"move file {path.name}: {message}")


def _words(path: Path, data: dict, key: str, vocabulary: tuple[str, ...]) -> tuple[str, ...]:
    value = data[key]
    if not isinstance(value, list) or not value:
        raise _fail(path, f"`{key}` must be a non-empty list such as [{vocabulary[0]}]")
    for word in value:
        if word not in vocabulary:
            raise _fail(path, f"`{key}` holds {word!r}; known: {', '.join(vocabulary)}")
    if len(set(value)) != len(value):
        raise _fail(path, f"`{key}` names something twice")
    return tuple(value)


def _word(path: Path, data: dict, key: str, vocabulary: tuple[str, ...]) -> str:
    value = data[key]
    if value not in vocabulary:
        raise _fail(path, f"`{key}` is {value!r}; known: {', '.join(vocabulary)}")
    return value


def _texts(path: Path, data: dict, key: str, allow_empty: bool) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise _fail(path, f"`{key}` must be a list of sentences")
    if not value and not allow_empty:
        raise _fail(path, f"`{key}` is empty; every move but a breathing one carries its seed's safety notes")
    return tuple(t.strip() for t in value)


def _hold(path: Path, step: dict) -> Hold:
    kinds = [k for k in ("for", "breaths") if k in step]
    if len(kinds) != 1:
        raise _fail(path, "`step` needs exactly one of `for` (a timed hold) or `breaths` (a breath hold)")
    text = str(step[kinds[0]]).strip()
    if kinds[0] == "breaths":
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", text)
        low, high = (float(m.group(1)), float(m.group(2))) if m else (None, None)
    else:
        pair = parse_range(text) if "-" in text else None
        low, high = pair if pair else (None, None)
    if low is None or not 0 < low < high:
        example = "5-6" if kinds[0] == "breaths" else "30-90s"
        what = "a range of breaths" if kinds[0] == "breaths" else "a range of durations"
        message = f"`step.{kinds[0]}` is {text!r}; a move's hold is {what} such as {example}"
        raise _fail(path, message + ", for the composer to choose from")
    return Hold("breaths" if kinds[0] == "breaths" else "seconds", low, high)


def _expand_areas(path: Path, data: dict) -> tuple[str, ...]:
    named = _words(path, data, "areas", AREAS + tuple(AREA_GROUPS))
    wanted = {a for name in named for a in AREA_GROUPS.get(name, (name,))}
    return tuple(a for a in AREAS if a in wanted)


def read_move(path: Path | str) -> Move:
    """Read and check one move file; raises MoveError naming the file and the problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot be read ({exc})") from None
    except yaml.YAMLError as exc:
        raise _fail(path, f"is not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise _fail(path, "must be a mapping with " + ", ".join(f"`{k}`" for k in _REQUIRED))
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise _fail(path, "misses " + ", ".join(f"`{k}`" for k in missing))
    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise _fail(path, "has unknown keys " + ", ".join(f"`{k}`" for k in unknown))
    move_id = data["id"]
    if not isinstance(move_id, str) or not _ID_RE.fullmatch(move_id):
        raise _fail(path, f"`id` {move_id!r} must be lower-case words joined by hyphens")
    if move_id != path.stem:
        raise _fail(path, f"`id` is {move_id!r}, but the file is named {path.name}; they must agree")
    if not isinstance(data["title"], str) or not data["title"].strip():
        raise _fail(path, "`title` must be a text")
    seeds = data["seeds"]
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, str) and _SEED_RE.fullmatch(s) for s in seeds):
        raise _fail(path, "`seeds` must list seed article names such as 002_0b308681bd9d4cd1")
    step = data["step"]
    if not isinstance(step, dict):
        raise _fail(path, "`step` must be a mapping: the routine step this move plays")
    sides = step.get("sides", False)
    if sides is not False and not (isinstance(sides, list) and len(sides) == 2):
        raise _fail(path, "`step.sides` must be a list of two labels such as [right, left]")
    equipment = _words(path, data, "equipment", EQUIPMENT)
    if "none" in equipment and len(equipment) > 1:
        raise _fail(path, "`equipment` lists `none` together with equipment")
    kind = _word(path, data, "kind", KINDS)
    return Move(
        id=move_id,
        title=data["title"].strip(),
        areas=_expand_areas(path, data),
        position=_word(path, data, "position", POSITIONS),
        equipment=equipment,
        sides=tuple(sides) if sides else False,
        kind=kind,
        level=_word(path, data, "level", LEVELS),
        hold=_hold(path, step),
        phases=_words(path, data, "phases", PHASES) if "phases" in data else ("main",),
        safety=_texts(path, data, "safety", allow_empty=kind == "breathing"),
        contraindications=_texts(path, data, "contraindications", allow_empty=True),
        seeds=tuple(seeds),
        step=MappingProxyType(step),
        path=path,
    )


@cache
def load_moves() -> tuple[Move, ...]:
    """Every move of the package's library, sorted by id; read once per process."""
    moves = tuple(read_move(p) for p in sorted(MOVES_DIR.glob("*.yaml")))
    if not moves:
        raise MoveError(f"no move files found in {MOVES_DIR}")
    return moves
