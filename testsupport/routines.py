"""Routines written in a test as text: parsed (as if from scripts/, so its sounds resolve) and planned."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

from testsupport import ROOT


def load_text(text: str, folder: Path | None = None):
    from voiceguide.routine import parse_routine

    path = (folder or ROOT / "scripts") / "test-routine.yaml"
    return parse_routine(textwrap.dedent(text).lstrip("\n"), path=path, name="test.yaml")


def plan_text(text: str, **settings):
    from voiceguide.plan.planner import plan
    from voiceguide.routine.settings import resolve

    routine = load_text(text)
    s = resolve(routine)
    if settings:
        s = replace(s, **settings)
    return plan(routine, s)


def holds(timeline):
    """A planned timeline's holds (its Event objects; testsupport.audio.speech reads `plan --json`)."""
    return [e for e in timeline.events if e.kind == "hold"]


def speech(timeline):
    """A planned timeline's speech events."""
    return [e for e in timeline.events if e.kind == "speech"]
