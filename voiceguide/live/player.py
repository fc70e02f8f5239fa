"""Live playback: the same timeline as `render`, mixed on demand and played through an audio device.

Time is kept by the audio clock: the player's position is the number of frames
handed to the device, so speech lands where the timeline says however long the
session runs. The clips are rendered ahead while it plays (ahead.py), and the player
takes each new timeline as real lengths arrive.
"""

from __future__ import annotations

import math
import threading
import time
from functools import partial
from typing import Callable, Protocol

import numpy as np

from .. import dsp
from ..errors import VoiceguideError
from ..mix.mixer import Mixer
from ..plan.now import Now
from ..plan.timeline import ChapterKind, EventKind, Timeline


# ------------------------------------------------------------------ the player


class Planner(Protocol):
    """Whoever plans the player's timeline (ahead.py's `Ahead`), asked for "more time": it plans the
    longer hold in, keeps it in every later re-plan, and hands the new timeline to `on_update`."""

    def extend(self, chapter: int, seconds: float, on_update: Callable[[Timeline, float], None]) -> bool: ...


class Player:
    """Plays a timeline from its mixer, keeping time by the frames it hands to the device.

    A producer thread mixes up to AHEAD seconds in advance, so the audio callback only copies
    bytes and never waits on the mixer; whatever is not mixed yet when the device asks is mixed
    on the spot, so the output is the same sample for sample either way. Pausing, skipping and
    going back act on the position the device has reached, not on what was mixed ahead."""

    AHEAD = 0.5  # seconds mixed in advance
    CHUNK = 0.1  # seconds mixed at a time

    UNTIL_WAIT = 2.0  # seconds the device waits for a timeline that may be mixed further (see `update`)

    NOTE_SECONDS = 4.0  # how long a command's note stays in the status

    def __init__(self, timeline: Timeline, speech: Callable[[str, str], np.ndarray], interactive_waits: bool = False,
                 until: float = math.inf, planner: Planner | None = None):
        self.speech = speech
        self.planner = planner
        self.lock = threading.Lock()
        self._extended = threading.Condition(self.lock)
        self.interactive_waits = interactive_waits
        self._set_timeline(timeline, Mixer(timeline, speech), until)
        self.position = 0  # frames handed to the device: the audio clock
        self.paused = False
        self.waiting = False
        self.finished = threading.Event()
        self.first_sound: float | None = None  # monotonic time the first audible frame went out
        self.last_pull = time.monotonic()
        self.failure: BaseException | None = None
        self._waits_done: set[int] = set()
        self._wait_end = 0
        self._ahead = bytearray()  # mixed audio for [self._ahead_at, ...)
        self._ahead_at = 0
        self._producer: threading.Thread | None = None
        self._overlay: np.ndarray | None = None
        self._note: tuple[str, float] | None = None  # (text, monotonic time it goes)

    def _set_timeline(self, timeline: Timeline, mixer: Mixer, until: float) -> None:
        self.timeline = timeline
        self.mixer = mixer
        self.until = math.inf if until == math.inf else int(until * dsp.RATE)  # frames that may be mixed
        self._waits = [
            (int(round(e.start * dsp.RATE)), int(round(e.end * dsp.RATE))) for e in timeline.events if e.kind is EventKind.WAIT
        ]

    # -- called from the render-ahead thread
    def update(self, timeline: Timeline, until: float = math.inf, *, changed_here: bool = False) -> None:
        """A new timeline, which may be mixed up to `until` seconds (a provisional one, while the
        first words are still being synthesised) or all through. What is mixed ahead lies before any
        change and stays, unless it `changed_here`: from the position on (an extension), when it is
        mixed again from the position, as after a seek."""
        mixer = Mixer(timeline, self.speech)
        with self.lock:
            self._set_timeline(timeline, mixer, until)
            if changed_here:
                self._ahead, self._ahead_at = bytearray(), self.position
            self._extended.notify_all()

    # -- the producer
    def start_producer(self) -> None:
        self._producer = threading.Thread(target=self._produce, name="mix-ahead", daemon=True)
        self._producer.start()

    def _produce(self) -> None:
        chunk, ahead = int(self.CHUNK * dsp.RATE), int(self.AHEAD * dsp.RATE)
        try:
            while not self.finished.is_set():
                with self.lock:
                    start = self._ahead_at + len(self._ahead) // 2
                    if self._ahead_at != self.position:
                        self._ahead, self._ahead_at, start = bytearray(), self.position, self.position
                    end = min(start + chunk, self.mixer.length, self._next_wait(start), self.until)
                    mixer = self.mixer
                    busy = start - self.position >= ahead or end <= start or self.paused or self.waiting
                if busy:
                    time.sleep(0.01)
                    continue
                data = dsp.to_int16(mixer.render_final(start, end)).tobytes()
                with self.lock:
                    if self._ahead_at + len(self._ahead) // 2 == start and mixer is self.mixer:
                        self._ahead += data
        except BaseException as exc:  # reported by the view's loop
            self.failure = exc
            self.finished.set()

    def _next_wait(self, at: int) -> int:
        """Where the next interactive wait begins at or after `at` (the mix stops there until a key)."""
        if self.interactive_waits:
            for s, _ in self._waits:
                if s >= at and s not in self._waits_done:
                    return s
        return self.mixer.length

    # -- called from the audio thread
    def pull(self, frames: int) -> bytes:
        try:
            return self._with_overlay(self._pull(frames))
        except BaseException as exc:  # never let an exception kill the audio thread silently
            self.failure = exc
            self.finished.set()
            return b"\x00\x00" * frames

    def _pull(self, frames: int) -> bytes:
        self.last_pull = time.monotonic()
        with self.lock:
            if self.position + frames > self.until:  # only while the first words are synthesised, if ever
                self._extended.wait_for(lambda: self.position + frames <= self.until or self.paused
                                        or self.waiting or self.finished.is_set(), self.UNTIL_WAIT)
            if self.paused or self.waiting or self.finished.is_set():
                return b"\x00\x00" * frames
            a = self.position
            b = min(a + frames, self.mixer.length)
            wait = self._next_wait(a)
            if self.interactive_waits and wait < b:
                b = wait
                self.waiting = True
                self._waits_done.add(wait)
                self._wait_end = next(e for s, e in self._waits if s == wait)
            if self._ahead_at != a:  # a seek since it was mixed
                self._ahead, self._ahead_at = bytearray(), a
            take = min(len(self._ahead) // 2, max(0, b - a))
            data = bytes(self._ahead[: 2 * take])
            del self._ahead[: 2 * take]
            if a + take < b:
                data += dsp.to_int16(self.mixer.render_final(a + take, b)).tobytes()
            self.position = b
            self._ahead_at = b  # what is left ahead starts where the device now is
            if b >= self.mixer.length and not self.waiting:
                self.finished.set()
        if self.first_sound is None and data and np.abs(np.frombuffer(data, dtype="<i2")).max() > 32:
            self.first_sound = time.monotonic()
        return data + b"\x00\x00" * (frames - len(data) // 2)

    def overlay(self, samples: np.ndarray) -> None:
        """Play a short sound (float samples at dsp.RATE) over whatever the device plays now, paused
        or not: an acknowledgement, the answer to "how long", outside the timeline and its clock. One
        still playing goes on under it (the listener's acknowledgement under the answer)."""
        sound = np.asarray(samples, dtype=np.float32)
        with self.lock:
            playing = self._overlay
            if playing is not None:
                both = np.zeros(max(playing.size, sound.size), dtype=np.float32)
                both[: playing.size] += playing
                both[: sound.size] += sound
                sound = both
            self._overlay = sound if sound.size else None

    @property
    def overlaying(self) -> bool:
        """Whether a sound outside the timeline is still being handed to the device: the listener
        counts it as the session's own sound, never as a command."""
        with self.lock:
            return self._overlay is not None

    def _with_overlay(self, data: bytes) -> bytes:
        with self.lock:
            if self._overlay is None:
                return data
            frames = len(data) // 2
            part, rest = self._overlay[:frames], self._overlay[frames:]
            self._overlay = rest if len(rest) else None
        mixed = dsp.from_int16(np.frombuffer(data, dtype="<i2"))
        mixed[: len(part)] += part
        return dsp.to_int16(mixed).tobytes()

    # -- controls (from the key, microphone and remote threads; see steer.py)
    def toggle_pause(self) -> None:
        with self.lock:
            self.paused = not self.paused

    def set_paused(self, paused: bool) -> None:
        with self.lock:
            self.paused = paused

    def key(self) -> None:
        """Any key: ends a `wait`."""
        with self.lock:
            if self.waiting:
                self.waiting = False
                self.position = self._wait_end

    def skip(self) -> None:
        with self.lock:
            chapters = self.timeline.chapters
            following = self.timeline.chapter_at(self.position / dsp.RATE) + 1
            self.waiting = False
            if following < len(chapters):
                self.position = int(round(chapters[following].start * dsp.RATE))
            else:
                self.position = self.mixer.length

    BACK_TO_PREVIOUS = 3.0  # seconds into a step within which "back" means the step before

    def back(self) -> None:
        """The start of this step, or of the one before when this one has only just begun (as a
        music player's back button does)."""
        self._to_step_start(previous_within=self.BACK_TO_PREVIOUS)

    def repeat(self) -> None:
        """The start of this step, however far into it."""
        self._to_step_start(previous_within=0.0)

    def _to_step_start(self, previous_within: float) -> None:
        with self.lock:
            now = self.position / dsp.RATE
            chapters = self.timeline.chapters
            at = self.timeline.chapter_at(now)
            if at > 0 and now - chapters[at].start < previous_within:
                at -= 1
            self.waiting = False
            self.position = int(round(chapters[at].start * dsp.RATE)) if chapters else 0

    def extend(self, seconds: float) -> float:
        """"More time": the hold, rest or breath hold under the position (or still to come in this
        step) lasts `seconds` longer, planned in by the planner so that every later re-plan keeps it.
        Returns the seconds added (whole breaths for a breath hold), 0 when there is nothing to lengthen."""
        with self.lock:
            held = self.timeline.extendable_at(self.position / dsp.RATE)
        if held is None or self.planner is None:
            return 0.0
        if not self.planner.extend(held.chapter, seconds, partial(self.update, changed_here=True)):
            return 0.0
        with self.lock:
            longer = self.timeline.extendable_at(held.start)
        return longer.end - held.end if longer is not None else 0.0

    def notify(self, note: str) -> None:
        """A short answer to a command, in the status (the floor view, the phone) for a few seconds."""
        with self.lock:
            self._note = (note, time.monotonic() + self.NOTE_SECONDS)

    def seek(self, seconds: float) -> None:
        with self.lock:
            self.position = int(round(seconds * dsp.RATE))

    def quit(self) -> None:
        self.finished.set()

    def status(self) -> Now:
        """What is happening now, as one consistent reading (the timeline and the position taken
        together): the floor view, the phone remote, "how long" and the listener all read this."""
        with self.lock:
            note = self._note[0] if self._note is not None and time.monotonic() < self._note[1] else None
            return Now(self.timeline, self.position / dsp.RATE, paused=self.paused, waiting=self.waiting,
                       finished=self.finished.is_set(), note=note)


# ------------------------------------------------------------------ a live session


def find_chapter(timeline: Timeline, wanted: str) -> float:
    """`--from`: a step by number (1 = the first step) or by (part of) its title."""
    chapters = [c for c in timeline.chapters if c.kind is ChapterKind.STEP]
    if wanted.strip().isdigit():
        n = int(wanted)
        if not 1 <= n <= len(chapters):
            raise VoiceguideError(f"--from {wanted}: the routine has steps 1 to {len(chapters)}")
        return chapters[n - 1].start
    key = wanted.strip().lower()
    for c in timeline.chapters:
        if c.title.lower() == key or c.title.lower().startswith(key):
            return c.start
    for c in timeline.chapters:
        if key in c.title.lower():
            return c.start
    titles = ", ".join(c.title for c in chapters[:12])
    raise VoiceguideError(f"--from {wanted!r}: no step has that title (steps: {titles})")
