"""The session: a routine voiced and planned, the shared front half of every consumer.

`session()` loads a routine, renders its clips with the voice and plans it with their measured
lengths, so `check`, `plan`, `render` (export) and `play` (live) all see the very same timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from ..errors import ScriptError
from ..plan.planner import plan
from ..plan.timeline import Timeline, Utterance
from ..routine import Routine, load_routine
from ..routine.settings import Overrides, Settings, resolve
from ..voice import ClipCache, Voice


@dataclass(frozen=True)
class Session:
    routine: Routine
    settings: Settings
    voice: Voice
    timeline: Timeline


class _NoSpeech:
    """Lengths for collecting what will be said: speech takes no time, sounds their real length."""

    def speech(self, text: str, role: str = "narration") -> float:
        return 0.0

    def sound(self, path: Path) -> float:
        from ..audiofile import audio_length

        return audio_length(path)


def utterances(routine: Routine, settings: Settings) -> list[Utterance]:
    """Every utterance the session will speak. Texts never depend on how long speech takes, so a plan
    with zero-length speech names them all, and they can be rendered in parallel before the real plan."""
    try:
        return plan(routine, settings, _NoSpeech()).utterances()
    except ScriptError:
        return []  # the real plan will report the problems with measured lengths


def voiced(
    routine: Routine,
    overrides: Overrides = Overrides(),
    engine: str = "auto",
    cache: ClipCache | None = None,
) -> tuple[Settings, Voice]:
    """A routine's settings and the voice that will speak it (the voice id settled in the settings)."""
    settings = resolve(routine, overrides)
    voice = Voice.create(engine, settings.voice, settings.language, settings.speech_rate, cache, cues=settings.cues,
                         style=settings.delivery)
    return replace(settings, voice=voice.voice_id, engine=voice.engine.name), voice


def session(
    path: Path,
    overrides: Overrides = Overrides(),
    engine: str = "auto",
    display: str | None = None,
    cache: ClipCache | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Session:
    """Load, voice and plan a routine: the timeline uses each clip's measured length."""
    return voiced_session(load_routine(path, display), overrides, engine, cache, progress)


def voiced_session(
    routine: Routine,
    overrides: Overrides = Overrides(),
    engine: str = "auto",
    cache: ClipCache | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Session:
    """Voice and plan a routine already loaded: the timeline uses each clip's measured length."""
    settings, voice = voiced(routine, overrides, engine, cache)
    voice.prepare(utterances(routine, settings), progress=progress)
    timeline = plan(routine, settings, voice)
    return Session(routine, settings, voice, timeline)
