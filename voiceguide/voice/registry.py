"""Picks a speech engine by name. The engines never import this module."""

from __future__ import annotations

import sys

from .base import Engine, VoiceError
from .espeak import Espeak
from .pyttsx import Pyttsx3

ENGINES = ("auto", "espeak", "pyttsx3", "piper")


def get_engine(name: str = "auto") -> Engine:
    """The named engine, or for `auto` the best one present (espeak-ng on Linux, pyttsx3 elsewhere)."""
    name = (name or "auto").lower()
    if name == "espeak":
        return Espeak()
    if name == "pyttsx3":
        return Pyttsx3()
    if name == "piper":
        from .piper import Piper

        return Piper()
    if name != "auto":
        raise VoiceError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    order = (Espeak, Pyttsx3) if sys.platform.startswith("linux") else (Pyttsx3, Espeak)
    problems = []
    for cls in order:
        try:
            return cls()
        except VoiceError as exc:
            problems.append(str(exc))
    raise VoiceError(
        "no text-to-speech engine is available: install espeak-ng (Debian/Ubuntu: sudo apt-get install espeak-ng) "
        "or pyttsx3 (pip install pyttsx3). Details: " + " | ".join(problems)
    )
