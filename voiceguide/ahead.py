"""Rendering a live session's clips ahead of the player: the first utterance before the sound
starts, the rest in the background in timeline order, re-planning as real lengths arrive (the
timeline before the first unrendered utterance never moves)."""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Callable

from .plan import plan
from .render import utterances, voiced
from .script import Routine, load_routine
from .settings import Overrides, Settings
from .timeline import EstimatedLengths, Timeline, Utterance
from .voice import ClipCache, Voice


class _Lengths:
    """Measured lengths for clips already rendered, estimates for the rest."""

    def __init__(self, voice: Voice, settings: Settings):
        self.voice = voice
        self.estimate = EstimatedLengths(settings)
        self.ready: dict[Utterance, float] = {}

    def speech(self, text: str, role: str = "narration") -> float:
        return self.ready.get(Utterance(text, role)) or self.estimate.speech(text, role)

    def sound(self, path: Path) -> float:
        return self.estimate.sound(path)


class Ahead:
    """Renders a session's clips in timeline order and keeps an up-to-date timeline."""

    def __init__(self, routine: Routine, settings: Settings, voice: Voice):
        self.routine = routine
        self.settings = settings
        self.voice = voice
        self.texts = utterances(routine, settings)
        self.lengths = _Lengths(voice, settings)
        self.lock = threading.Lock()
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.timeline: Timeline = plan(routine, settings, self.lengths)
        self.final_until = 0.0
        self._next = 0

    def render_some(self, count: int, on_update: Callable[[Timeline], None] | None = None) -> None:
        """Render the next `count` texts and re-plan. `on_update` gets the new timeline before
        `final_until` moves on, so whoever plays never mixes past the final part of its own timeline."""
        batch = self.texts[self._next : self._next + count]
        for said in batch:
            self.voice.clip(*said)
            self.lengths.ready[said] = self.voice.speech(*said)
        self._next += len(batch)
        timeline = plan(self.routine, self.settings, self.lengths)
        pending = set(self.texts[self._next :])
        final = next(
            (e.start for e in timeline.events if e.kind == "speech" and (e.text, e.role) in pending), timeline.duration
        )
        if on_update is not None:
            on_update(timeline)
        with self.lock:
            self.timeline = timeline
            self.final_until = final if pending else math.inf

    def start_background(self, on_update: Callable[[Timeline], None]) -> None:
        def work():
            try:
                while self._next < len(self.texts):
                    self.render_some(2, on_update)
            except BaseException as exc:  # reported by the player
                self.error = exc
            finally:
                self.done.set()

        threading.Thread(target=work, name="render-ahead", daemon=True).start()


def prepare_live(
    path: Path,
    overrides: Overrides = Overrides(),
    engine: str = "auto",
    display: str | None = None,
    cache: ClipCache | None = None,
) -> Ahead:
    routine = load_routine(path, display)
    settings, voice = voiced(routine, overrides, engine, cache)
    ahead = Ahead(routine, settings, voice)
    ahead.render_some(1)  # the first words; the rest is rendered while they play
    return ahead
