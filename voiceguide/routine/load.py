"""Loading a routine file: parse the YAML, read it into the model, and raise or return every problem."""

from __future__ import annotations

from pathlib import Path

from ..errors import Diagnostic, Problems, ScriptError
from .source import Source, load, parse
from .model import Routine
from .reader import RoutineReader


def load_routine(path: Path | str, name: str | None = None) -> Routine:
    """Load and validate a routine file; raises ScriptError listing every problem."""
    return from_source(load(path, name))


def parse_routine(text: str, path: Path | str = "<string>", name: str | None = None) -> Routine:
    return from_source(parse(text, path=path, name=name))


def from_source(src: Source) -> Routine:
    routine, problems = validate(src)
    if problems:
        raise ScriptError(problems)
    assert routine is not None
    return routine


def validate(src: Source) -> tuple[Routine | None, list[Diagnostic]]:
    """The routine built from every valid part of the file, and every problem found.

    With problems, the routine (when there is one) holds only what was valid, so that
    the planner can still look for its own problems and all are reported at once."""
    problems = Problems(src.name)
    routine = RoutineReader(src, problems).routine()
    return routine, problems.items


def load_partial(path: Path | str, name: str | None = None) -> tuple[Routine | None, list[Diagnostic]]:
    try:
        src = load(path, name)
    except ScriptError as exc:
        return None, exc.diagnostics
    return validate(src)
