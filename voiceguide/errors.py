"""Positioned problems: every complaint about a routine names FILE:LINE:COLUMN."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Pos:
    """A 1-based line and column in a source file."""

    line: int = 1
    column: int = 1


@dataclass(frozen=True)
class Diagnostic:
    file: str
    pos: Pos
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.pos.line}:{self.pos.column}: {self.message}"


class VoiceguideError(Exception):
    """An expected failure with a message for the user (never a traceback)."""


class ScriptError(VoiceguideError):
    """One or more problems in a routine file, all reported at once."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.file, d.pos))
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class Problems:
    """Collects diagnostics for one file so that all of them are reported in one run."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Diagnostic] = []

    def add(self, pos: Pos, message: str) -> None:
        diag = Diagnostic(self.file, pos, message)
        if diag not in self.items:
            self.items.append(diag)

    def __bool__(self) -> bool:
        return bool(self.items)
