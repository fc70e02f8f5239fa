"""Rendering a live session's clips ahead of the player: the first sentence of the first utterance
before the sound starts, the rest in the background in timeline order, re-planning as real lengths
arrive (the timeline before the first unrendered utterance never moves).

A cold start waits for as little speech as it can: a voice that speaks sentence by sentence hands
over the first utterance's first sentence while the others are still being synthesised
(`Voice.clip`'s `first_part`), and the session starts on a provisional timeline. The player may mix
only up to `mixable_until` (the end of that first part, where the two timelines are sure to agree)
until the whole first utterance is in and the real timeline replaces the provisional one."""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from .. import dsp

from ..errors import ScriptError
from ..plan.planner import plan
from ..session.build import utterances, voiced
from ..routine import Routine, load_routine
from ..routine.settings import Overrides, Settings
from ..plan.timeline import EstimatedLengths, EventKind, Extensions, Timeline, Utterance
from ..voice import ClipCache, Voice


# A first part shorter than this is not played alone: the rest of its utterance (its other sentences,
# synthesised in parallel once it is done: 0.1-0.4 s each on 2 cores) must be ready before it ends.
MIN_FIRST_PART = 0.8  # seconds


class _Lengths:
    """Measured lengths for clips already rendered, estimates for the rest; while the first utterance
    is heard by its first part, its provisional length (see `Ahead._provisional`)."""

    def __init__(self, voice: Voice, settings: Settings):
        self.voice = voice
        self.estimate = EstimatedLengths(settings)
        self.ready: dict[Utterance, float] = {}
        self.provisional: dict[Utterance, float] = {}

    def speech(self, text: str, role: str = "narration") -> float:
        said = Utterance(text, role)
        return self.ready.get(said) or self.provisional.get(said) or self.estimate.speech(text, role)

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
        self.extensions = Extensions()  # "more time", asked for while the session plays: kept in every re-plan
        self._planning = threading.Lock()  # one re-plan at a time, each handed on before the next is made
        self.timeline: Timeline = self._plan()
        self.final_until = 0.0
        self.mixable_until = math.inf  # seconds: how far the player may mix the current timeline
        self._next = 0
        self._partial: tuple[Utterance, np.ndarray] | None = None
        self._first: threading.Thread | None = None

    def _plan(self) -> Timeline:
        return plan(self.routine, self.settings, self.lengths, self.extensions)

    def start(self) -> None:
        """Render the first utterance, returning as soon as its first part can play (all of it, when
        it is cached or a single piece); the rest of it is finished by the first `render_some`."""
        if not self.texts:
            self.render_some(0)
            return
        said = Utterance(*self.texts[0])
        ready = threading.Event()

        def first_part(samples: np.ndarray) -> None:
            if samples.size >= MIN_FIRST_PART * dsp.RATE:  # else the rest might not be ready in time
                self._provisional(said, samples)
                ready.set()

        def work() -> None:
            try:
                self.voice.clip(said.text, said.role, first_part=first_part)
            except BaseException as exc:  # raised by render_some, in whichever thread runs it next
                self.error = exc
            finally:
                ready.set()

        self._first = threading.Thread(target=work, name="first-words", daemon=True)
        self._first.start()
        ready.wait()
        if self._partial is None:  # whole already (or failed): the ordinary start
            self.render_some(1)

    def _provisional(self, said: Utterance, part: np.ndarray) -> None:
        """The timeline to start on while the rest of the first utterance is synthesised: that
        utterance at least as long as its first part and then some (so the bed's ducking agrees with
        the real timeline), mixable up to the end of the part, less the limiter's look-ahead, and
        before anything that starts after the utterance does (it may move)."""
        part_length = part.size / dsp.RATE
        self.lengths.provisional[said] = max(self.lengths.estimate.speech(*said), part_length + 1.0)
        timeline = self._plan()
        start = next((e.start for e in timeline.events if e.kind is EventKind.SPEECH and (e.text, e.role) == said), 0.0)
        later = (e.start for e in timeline.events
                 if e.start > start and e.role != "ambient" and e.kind.audible)
        limit = min(start + part_length - dsp.LIMIT_MARGIN / dsp.RATE, min(later, default=math.inf))
        with self.lock:
            self._partial = (said, part)
            self.timeline = timeline
            self.mixable_until = max(start, limit)
        self._next = 1

    def clip(self, text: str, role: str = "narration") -> np.ndarray:
        """What the player mixes for an utterance: the first part of the first one while the rest
        of it is being synthesised (never mixed past `mixable_until`), else the voice's clip."""
        partial = self._partial
        if partial is not None and partial[0] == (text, role):
            return partial[1]
        return self.voice.clip(text, role)

    def _finish_first(self) -> None:
        """Wait for the whole first utterance, if it was started in parts."""
        if self._first is not None:
            self._first.join()
            self._first = None
            if self.error is not None:
                raise self.error
            said = Utterance(*self.texts[0])
            self.lengths.ready[said] = self.voice.speech(*said)
            self.lengths.provisional.clear()
            self._partial = None

    @property
    def all_rendered(self) -> bool:
        """Every text of the session has its clip (its real length is in the plan)."""
        return self._next >= len(self.texts)

    def render_some(self, count: int, on_update: Callable[[Timeline], None] | None = None) -> None:
        """Render the next `count` texts and re-plan. `on_update` gets the new timeline before
        `final_until` moves on, so whoever plays never mixes past the final part of its own timeline."""
        self._finish_first()
        batch = self.texts[self._next : self._next + count]
        for said in batch:
            self.voice.clip(*said)
            self.lengths.ready[said] = self.voice.speech(*said)
        self._next += len(batch)
        with self._planning:
            timeline = self._plan()
            pending = set(self.texts[self._next :])
            final = next(
                (e.start for e in timeline.events if e.kind is EventKind.SPEECH and (e.text, e.role) in pending), timeline.duration
            )
            if on_update is not None:
                on_update(timeline)
            with self.lock:
                self.timeline = timeline
                self.final_until = final if pending else math.inf
                self.mixable_until = math.inf

    def extend(self, chapter: int, seconds: float, on_update: Callable[[Timeline, float], None]) -> bool:
        """"More time": the chapter's hold, rest or breath hold lasts `seconds` longer (see `plan`), in
        this re-plan and every later one. `on_update` gets the new timeline and how far it may be
        mixed, before any later re-plan is handed on. False (nothing changed) when the session would
        then be longer than a routine may be."""
        with self._planning:
            extensions = self.extensions.plus(chapter, seconds)
            try:
                timeline = plan(self.routine, self.settings, self.lengths, extensions)
            except ScriptError:
                return False
            self.extensions = extensions
            with self.lock:
                self.timeline = timeline
                until = self.mixable_until
            on_update(timeline, until)
            return True

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
    ahead.start()  # the first words; the rest is rendered while they play
    return ahead
