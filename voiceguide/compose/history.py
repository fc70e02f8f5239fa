"""A small memory of the last sessions composed, so that tomorrow's session brings other moves.

It lives in the user data folder (`$VOICEGUIDE_DATA_DIR` moves it) as one JSON file, rewritten whole
and atomically. It is only a preference: a missing, unreadable or damaged file means no history,
never a failed compose. Sessions of the same seed are not held against each other, so composing
the same request twice on a day gives the same file."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..fsutil import atomic_write_text

KEEP = 10  # sessions remembered
RECENT = 3  # sessions whose moves a new session avoids


@dataclass(frozen=True)
class Past:
    """One composed session: its seed, the day, and its moves' ids."""

    seed: int
    day: str
    moves: tuple[str, ...]


def data_dir() -> Path:
    env = os.environ.get("VOICEGUIDE_DATA_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("voiceguide", appauthor=False))


def history_path() -> Path:
    return data_dir() / "compose-history.json"


def read_history(path: Path | None = None) -> tuple[Past, ...]:
    """The remembered sessions, oldest first; nothing when the file is missing or damaged."""
    try:
        data = json.loads((path or history_path()).read_text(encoding="utf-8"))
        return tuple(
            Past(int(s["seed"]), str(s["day"]), tuple(str(m) for m in s["moves"])) for s in data["sessions"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return ()


def avoid(history: tuple[Past, ...], seed: int) -> frozenset[str]:
    """The moves of the last few sessions composed with another seed."""
    others = [p for p in history if p.seed != seed]
    return frozenset(m for p in others[-RECENT:] for m in p.moves)


def remember(history: tuple[Past, ...], seed: int, moves: tuple[str, ...], day: date | None = None) -> tuple[Past, ...]:
    """The history with this session last (replacing an earlier one of the same seed), the oldest dropped."""
    kept = tuple(p for p in history if p.seed != seed)
    return (kept + (Past(seed, (day or date.today()).isoformat(), moves),))[-KEEP:]


def write_history(history: tuple[Past, ...], path: Path | None = None) -> None:
    """Write the history; a folder that cannot be written only costs the variety, so it is not an error."""
    path = path or history_path()
    sessions = [{"seed": p.seed, "day": p.day, "moves": list(p.moves)} for p in history]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"sessions": sessions}, indent=1) + "\n")
    except OSError:
        pass
