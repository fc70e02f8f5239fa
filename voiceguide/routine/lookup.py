"""Finding routines on disk by name: `daily-five` is daily-five.yaml in the current folder, else in
your routines folder, else among the shipped routines. A routine is taken by name or by path in
check, plan, render, play and config, so every command answers a name the same way, from any folder.

It reads file names and at most the start of a file, never a whole routine: shell completion and
`list` ask it too, and must stay quick.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import VoiceguideError
from .shipped import shipped_scripts_dir

SUFFIXES = (".yaml", ".yml")
ORIGINS = ("here", "yours", "shipped")  # in order of precedence: a routine here hides yours, yours hides ours
_STEPS_KEY = re.compile(r"^steps\s*:", re.M)


class UnknownRoutine(VoiceguideError):
    """A name that is no routine's, here, in your routines folder or among the shipped ones."""


@dataclass(frozen=True)
class RoutineFile:
    name: str  # the file's stem: what a user types
    origin: str  # here, yours or shipped
    path: Path


def user_routines_dir() -> Path:
    """Your routines folder: $VOICEGUIDE_ROUTINES_DIR, else the platform's data folder / routines."""
    env = os.environ.get("VOICEGUIDE_ROUTINES_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("voiceguide", appauthor=False)) / "routines"


def places() -> tuple[tuple[str, Path], ...]:
    """Where names are looked up, in order of precedence."""
    return (("here", Path(".")), ("yours", user_routines_dir()), ("shipped", shipped_scripts_dir()))


def is_name(arg: str) -> bool:
    """Whether a SCRIPT argument names a routine rather than giving a path: no folder in it, no
    .yaml/.yml suffix, and no file or folder of exactly that name here."""
    if not arg or arg in (".", "..") or "/" in arg or os.sep in arg or (os.altsep and os.altsep in arg):
        return False
    if arg.lower().endswith(SUFFIXES):
        return False
    return not os.path.lexists(arg)


def _looks_like_routine(path: Path) -> bool:
    """A YAML file with a top-level `steps:` (the current folder may hold other YAML files)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return bool(_STEPS_KEY.search(f.read(65536)))
    except OSError:
        return False


def files_in(origin: str, folder: Path) -> list[RoutineFile]:
    """The routines of one place, by name; NAME.yaml before NAME.yml. Here, only files that look
    like routines count (a docker-compose.yaml is not one)."""
    try:
        entries = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    except OSError:
        return []
    seen: dict[str, RoutineFile] = {}
    for path in sorted(entries, key=lambda p: (p.stem, SUFFIXES.index(p.suffix.lower()))):
        if path.stem not in seen and (origin != "here" or _looks_like_routine(path)):
            seen[path.stem] = RoutineFile(path.stem, origin, path)
    return list(seen.values())


def every_routine() -> dict[str, list[RoutineFile]]:
    """Every name with its files in order of precedence: the first one wins, the others are hidden."""
    found: dict[str, list[RoutineFile]] = {}
    seen_folders: set[Path] = set()
    for origin, folder in places():
        key = _same(folder)
        if key in seen_folders:  # run from inside the routines folder: one place, not two
            continue
        seen_folders.add(key)
        for rf in files_in(origin, folder):
            found.setdefault(rf.name, []).append(rf)
    return dict(sorted(found.items()))


def _same(folder: Path) -> Path:
    try:
        return folder.resolve()
    except OSError:
        return folder


def _file_for(name: str, folder: Path) -> Path | None:
    for suffix in SUFFIXES:
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def find_routine(arg: str | Path) -> Path:
    """The file a SCRIPT argument stands for: a path as given, or the first file of that name here,
    in your routines folder or among the shipped routines. An unknown name raises UnknownRoutine
    with the closest names."""
    text = os.fspath(arg)
    if not is_name(text):
        return Path(text)
    for _, folder in places():
        path = _file_for(text, folder)
        if path is not None:
            return path
    raise UnknownRoutine(unknown_message(text, list(every_routine())))


def unknown_message(name: str, names: list[str]) -> str:
    lowered = {n.lower(): n for n in names}
    close = [lowered[n] for n in difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)]
    hint = f"; closest: {', '.join(close)}" if close else ""
    return f"no routine called {name}{hint} (voiceguide list shows them all)"


def routine_names(prefix: str = "") -> list[tuple[str, str]]:
    """(name, origin of the one that wins) for every routine name starting with `prefix`: for completion."""
    return [(name, files[0].origin) for name, files in every_routine().items() if name.startswith(prefix)]


def display_name(path: Path) -> str:
    """A path as a person reads it. A routine found by name here is its file name; one of yours is
    its path with your home folder as ~; a shipped one is its file name and "(shipped)" (never a
    site-packages path). Any other path: relative to the current folder when inside it, else as given."""
    if path.is_absolute():
        folder = _same(path.parent)
        if folder == _same(shipped_scripts_dir()):
            return f"{path.name} (shipped)"
        mine = _same(user_routines_dir())
        if folder == mine or mine in folder.parents or _same(path) == mine:
            try:
                return str(Path("~") / _same(path).relative_to(_same(Path.home())))
            except (ValueError, RuntimeError):
                return str(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
