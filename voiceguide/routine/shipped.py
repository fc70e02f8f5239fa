"""What voiceguide ships beside its code: the routines, the sounds, and the routine format's JSON Schema.

Found inside the installed package (`voiceguide/_data/`, `routine/schema/`), or in a source checkout's `scripts/` and
`sounds/`. It imports nothing of voiceguide, so any layer may ask where these are.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path


@cache
def schema() -> dict:
    """The routine format's JSON Schema, shipped with the package."""
    return json.loads(resources.files(__package__).joinpath("schema/routine.schema.json").read_text("utf-8"))


def top_keys() -> tuple[str, ...]:
    return tuple(schema()["properties"])


def step_keys() -> tuple[str, ...]:
    return tuple(schema()["$defs"]["step"]["properties"])


def cue_keys() -> tuple[str, ...]:
    return tuple(schema()["$defs"]["cue"]["properties"])


def _data_dir(name: str) -> Path:
    packaged = Path(__file__).parent.parent / "_data" / name  # voiceguide/_data/ in a wheel
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / name


def shipped_scripts_dir() -> Path:
    """The routines we ship: inside the installed package, or `scripts/` in a source checkout."""
    return _data_dir("scripts")


def sounds_dir() -> Path:
    """The built-in sounds: inside the installed package, or `sounds/` in a source checkout."""
    return _data_dir("sounds")
