"""A small memory of the last sessions composed, so that tomorrow's session brings other moves.

It lives in the user data folder (`$VOICEGUIDE_DATA_DIR` moves it) as one JSON file, rewritten whole
and atomically. It is only a preference: a missing, unreadable or damaged file means no history,
never a failed compose. A seed avoids only the sessions remembered before its own first one, so
composing with a seed again (today's, say) gives the same session whatever came in between."""

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
    """The moves of the last few sessions before this seed's own (all of them for a new seed)."""
    seeds = [p.seed for p in history]
    before = history[: seeds.index(seed)] if seed in seeds else history
    return frozenset(m for p in before[-RECENT:] for m in p.moves)


def remember(history: tuple[Past, ...], seed: int, moves: tuple[str, ...], day: date | None = None) -> tuple[Past, ...]:
    """The history with this session in it: in its seed's place when the seed was used before, else
    last; the oldest dropped."""
    entry = Past(seed, (day or date.today()).isoformat(), moves)
    if any(p.seed == seed for p in history):
        return tuple(entry if p.seed == seed else p for p in history)
    return (history + (entry,))[-KEEP:]


def write_history(history: tuple[Past, ...], path: Path | None = None) -> None:
    """Write the history; a folder that cannot be written only costs the variety, so it is not an error."""
    path = path or history_path()
    sessions = [{"seed": p.seed, "day": p.day, "moves": list(p.moves)} for p in history]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"sessions": sessions}, indent=1) + "\n")
    except OSError:
        pass
