"""The planner: a validated routine plus settings become the timeline.

The timeline (`timeline.py`) is the single source of truth that the exported file and live
playback both follow. The planner needs to know how long each utterance and sound lasts; it
asks a `Lengths` object, so an estimate serves `check --estimate` and measured TTS clips serve
everything else.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from ..errors import Diagnostic, Pos, ScriptError
from ..routine import (
    MAX_ROUTINE,
    BreathHold,
    Countdown,
    Every,
    Hold,
    Narration,
    PlaySound,
    Rest,
    Routine,
    SayCue,
    SoundCue,
    SoundRef,
    Wait,
    sounds_dir,
)
from .instances import StepInstance, expand
from ..routine.settings import DEFAULT_GAP, DEFAULT_NOTE_GAP, DEFAULT_SETUP, Settings
from .timeline import Chapter, ChapterKind, EstimatedLengths, Event, EventKind, Extensions, Lengths, Timeline
from ..text import (
    Literal,
    Pause,
    Placeholder,
    count_words,
    duration_words,
    first_sentence,
    format_length,
    normalise_space,
    phrase,
    short_title,
    singular_breaths,
)

INTRO_CHAPTER = "Introduction"
# Events starting at the same moment: the span first, then the sound, then the words over them.
_ORDER = {EventKind.HOLD: 0, EventKind.REST: 0, EventKind.WAIT: 0, EventKind.SOUND: 1, EventKind.SPEECH: 2}


# ------------------------------------------------------------------ the planner


class StepTitle(NamedTuple):
    """A step's title as heard in this instance: its own title, and the side and round it adds."""

    step: str  # "Figure four"
    side: str | None = None  # "right, round 1 of 2"

    @property
    def label(self) -> str:
        """The chapter's title: "Figure four (right, round 1 of 2)"."""
        return f"{self.step} ({self.side})" if self.side else self.step


def plan(routine: Routine, settings: Settings, lengths: Lengths | None = None,
         extensions: Extensions = Extensions()) -> Timeline:
    """Lay the routine out in time, with any time added to holds while it plays ("more time").
    Raises ScriptError (positioned) when something cannot fit."""
    return _Planner(routine, settings, lengths or EstimatedLengths(settings), extensions).run()


class _Planner:
    def __init__(self, routine: Routine, settings: Settings, lengths: Lengths, extensions: Extensions):
        self.r = routine
        self.s = settings
        self.lengths = lengths
        self.extensions = extensions
        self.t = 0.0
        self.events: list[Event] = []
        self.chapters: list[Chapter] = []  # their ends are filled in when the whole is laid out
        self.problems: list[Diagnostic] = []
        self.language = settings.language or "en"

    # ---------------------------------------------------------- helpers

    def err(self, pos: Pos, message: str) -> None:
        d = Diagnostic(self.r.name, pos, message)
        if d not in self.problems:
            self.problems.append(d)

    def add(self, start: float, end: float, kind: EventKind, step: str, **kw) -> Event:
        ev = Event(start, end, kind, step, chapter=len(self.chapters) - 1, **kw)
        self.events.append(ev)
        return ev

    def chapter(self, title: StepTitle, kind: ChapterKind = ChapterKind.STEP) -> None:
        self.chapters.append(Chapter(self.t, title.label, step=title.step, side=title.side, kind=kind))

    def fill(self, narr: Narration, values: dict[str, str]) -> list[str | float]:
        """Narration with placeholders filled: spoken strings and pause lengths, in order."""
        out: list[str | float] = []
        buf = ""
        one_breath = False  # the last part was a count of one breath: the noun after it is singular
        for part in narr.parts:
            if isinstance(part, Literal):
                buf += singular_breaths(part.text) if one_breath else part.text
                one_breath = False
            elif isinstance(part, Placeholder):
                one_breath = part.name == "breaths" and values.get("breaths") == "one"
                if part.name in values:
                    buf += values[part.name]
                else:
                    self.err(narr.spot(part), f"{part.raw} has no value here: {part.unset_reason}")
            elif isinstance(part, Pause):
                if normalise_space(buf):
                    out.append(normalise_space(buf))
                buf = ""
                out.append(part.seconds)
        if normalise_space(buf):
            out.append(normalise_space(buf))
        return out

    def speak(self, pieces: list[str | float], step: str, role: str) -> None:
        for piece in pieces:
            if isinstance(piece, float):
                self.t += piece
            else:
                length = self.lengths.speech(piece, role)
                self.add(self.t, self.t + length, EventKind.SPEECH, step, text=piece, role=role)
                self.t += length

    def speak_at(self, start: float, text: str, step: str, role: str) -> Event:
        return self.add(start, start + self.lengths.speech(text, role), EventKind.SPEECH, step, text=text, role=role)

    def sound_at(self, start: float, ref: SoundRef | Path, step: str, role: str, limit: float | None = None) -> Event:
        path = ref.path if isinstance(ref, SoundRef) else ref
        name = ref.name if isinstance(ref, SoundRef) else path.stem
        length = self.lengths.sound(path)
        if limit is not None:
            length = min(length, limit)
        return self.add(start, start + length, EventKind.SOUND, step, sound=name, role=role, path=path)

    def builtin(self, name: str) -> Path:
        return sounds_dir() / f"{name}.wav"

    def extra(self) -> float:
        """The seconds "more time" added to the current step's hold, rest or breath hold. Its narration
        still says the length written (it may have been spoken already): only what follows moves."""
        return self.extensions.of(len(self.chapters) - 1)

    # ---------------------------------------------------------- the whole routine

    def run(self) -> Timeline:
        r, s = self.r, self.s
        instances = expand(r.steps)
        titles = [self.title_of(inst) for inst in instances]
        # guidance: full and brief speak the intro (brief: only the first safety note); minimal skips it
        notes = () if s.guidance == "minimal" else r.safety[:1] if s.guidance == "brief" else r.safety
        intro = r.intro if s.guidance != "minimal" else None
        if intro or notes:
            self.chapter(StepTitle(INTRO_CHAPTER), ChapterKind.INTRO)
            first_title = titles[0].step if titles else ""
            if intro:
                self.speak(self.fill(intro, {"next": first_title}), "intro", "narration")
            for i, note in enumerate(notes):
                if i or intro:
                    self.t += s.gap(DEFAULT_NOTE_GAP)
                self.speak(self.fill(note, {"next": first_title}), "safety", "safety")
            self.t += s.gap(DEFAULT_GAP)
        # {next}: the title of the next different step (another side or round of the same step is skipped)
        following: list[str | None] = [None] * len(instances)
        for i in range(len(instances) - 2, -1, -1):
            same = instances[i + 1].step is instances[i].step
            following[i] = following[i + 1] if same else titles[i + 1].step
        for i, inst in enumerate(instances):
            self.lay(inst, titles[i], following[i])
        if r.outro and s.guidance != "minimal":
            self.speak(self.fill(r.outro, {}), "outro", "narration")
        duration = max((e.end for e in self.events), default=0.0)
        if s.ambient is not None and duration > 0:
            self.add(0.0, duration, EventKind.SOUND, "ambient", sound=s.ambient.name, role="ambient", path=s.ambient.path)
            self.events[-1] = replace(self.events[-1], chapter=0)
        if duration > MAX_ROUTINE:
            self.err(
                r.steps_pos,
                f"the routine lasts {format_length(duration)} at this pace; the limit is {MAX_ROUTINE / 3600:g} hours",
            )
        if self.problems:
            raise ScriptError(self.problems)
        events = sorted(self.events, key=lambda e: (round(e.start, 6), _ORDER[e.kind]))
        ends = [c.start for c in self.chapters[1:]] + [duration]
        chapters = tuple(replace(c, end=end) for c, end in zip(self.chapters, ends))
        return Timeline(
            title=r.title,
            duration=duration,
            chapters=chapters,
            events=tuple(events),
            settings=s,
            summary=r.summary,
            safety=tuple(normalise_space(n.source) for n in r.safety),
        )

    def title_of(self, inst: StepInstance) -> StepTitle:
        """The step's own title with placeholders filled, and the side and round its chapter adds
        (unless the title says them itself, with {side} or {round})."""
        step = inst.step
        values = inst.values()
        used: frozenset[str] = frozenset()
        if step.title is not None:
            base = " ".join(p for p in self.fill(step.title, values) if isinstance(p, str))
            used = step.title.placeholders
        elif step.say is not None:
            base = short_title(" ".join(p for p in self.fill(step.say, values | {"next": "", "duration": "", "breaths": ""}) if isinstance(p, str)))
        elif isinstance(step, PlaySound):
            base = step.sound.name.replace("-", " ").replace("_", " ").capitalize()
        else:
            base = step.kind.capitalize()
        extra = []
        if step.sides and "side" not in used:
            extra.append(step.sides[inst.side])
        if inst.rounds and "round" not in used:
            r, of = inst.rounds[-1]
            extra.append(f"round {r} of {of}")
        return StepTitle(base, ", ".join(extra) or None)

    # ---------------------------------------------------------- one step

    def lay(self, inst: StepInstance, title: StepTitle, nxt: str | None) -> None:
        step, label = inst.step, title.label
        values = inst.values()
        if nxt is not None:
            values["next"] = nxt
        length = None
        if isinstance(step, (Hold, Rest)):
            length = step.length.pick(self.s.range_position)
            if isinstance(step, Hold):
                length = length * self.s.hold_scale
            values["duration"] = duration_words(length, self.language)
        breaths = 0
        if isinstance(step, BreathHold):
            breaths = max(1, int(step.breaths.pick(self.s.range_position) * self.s.hold_scale + 0.5))
            values["breaths"] = count_words(breaths, self.language)

        self.chapter(title)
        if inst.side == 1:
            self.sound_at(self.t, self.builtin("chime"), label, "transition")
            self.t = self.events[-1].end
            self.speak([phrase("switch sides", self.language)], label, "transition")
            self.t += self.s.gap(DEFAULT_NOTE_GAP)
        narration = self.narration(inst, label, values)
        if isinstance(step, Rest):
            self.lay_rest(step, label, narration, length)
            return
        self.speak(narration, label, "narration")
        if isinstance(step, Hold):
            self.t += step.setup if step.setup is not None else self.s.gap(DEFAULT_SETUP)
            self.lay_hold(step, label, values, length)
        elif isinstance(step, BreathHold):
            self.t += step.setup if step.setup is not None else self.s.gap(DEFAULT_SETUP)
            self.lay_breaths(step, label, breaths)
        elif isinstance(step, PlaySound):
            ev = self.sound_at(self.t, step.sound, label, "step")
            self.t = ev.end
        elif isinstance(step, Wait):
            self.add(self.t, self.t + self.s.wait_fallback, EventKind.WAIT, label, role="wait")
            self.t += self.s.wait_fallback
            return
        self.t += self.s.gap(DEFAULT_GAP)

    def narration(self, inst: StepInstance, label: str, values: dict) -> list[str | float]:
        """What a step says, by guidance level: full (`say`, then `brief` for later sides and rounds),
        brief (`brief`, else the first sentence of `say`), minimal (the step's title)."""
        step = inst.step
        guidance = self.s.guidance
        if guidance == "minimal":
            return [label.replace(" (", ", ").replace(")", "") + "."] if label else []
        if guidance == "full":
            narr = step.say if inst.first or step.brief is None else step.brief
            return self.fill(narr, values) if narr is not None else []
        if step.brief is not None:
            return self.fill(step.brief, values)
        if step.say is None:
            return []
        spoken = " ".join(p for p in self.fill(step.say, values) if isinstance(p, str))
        return [first_sentence(spoken)] if spoken else []

    def lay_rest(self, step: Rest, label: str, narration: list[str | float], length: float) -> None:
        start = self.t
        self.add(start, start + length + self.extra(), EventKind.REST, label, role="rest")
        if narration:
            self.speak(narration, label, "narration")
            if self.t > start + length + 1e-9:
                self.err(
                    step.pos,
                    f"step '{label}': the rest's narration takes {self.t - start:.1f}s "
                    f"but the rest lasts {length:g}s; shorten the text or lengthen the rest",
                )
        self.t = start + length + self.extra()

    def lay_hold(self, step: Hold, label: str, values: dict, length: float) -> None:
        h0, h1 = self.t, self.t + length + self.extra()
        self.add(h0, h1, EventKind.HOLD, label, role="hold")
        self.sound_at(h0, self.builtin("bell"), label, "hold-start")
        moved = h1 - h0 - length  # cues counted from the end (and countdowns) move with it; the others stay
        fixed: list[tuple[Event, object]] = []
        for cue in step.cues:
            if isinstance(cue, (SayCue, SoundCue)):
                # The hold scale stretches the whole hold, so cues counted from its start move with it;
                # `half` stays the midpoint and negative times stay counted back from the end.
                offset = cue.at.resolve(length, self.s.hold_scale)
                if offset < 0:
                    self.err(cue.pos, f"step '{label}': the cue at {cue.at} comes before the {length:g}s hold starts")
                    continue
                if offset >= length:
                    self.err(cue.pos, f"step '{label}': the cue at {cue.at} comes after the end of the {length:g}s hold")
                    continue
                at = h0 + offset + (moved if cue.at.from_end else 0.0)
                if isinstance(cue, SayCue):
                    text = " ".join(p for p in self.fill(cue.text, values) if isinstance(p, str))
                    ev = self.speak_at(at, text, label, "cue")
                else:
                    ev = self.sound_at(at, cue.sound, label, "cue")
                fixed.append((ev, cue))
            elif isinstance(cue, Countdown):
                if cue.count >= length:
                    self.err(cue.pos, f"step '{label}': a countdown of {cue.count} does not fit in a {length:g}s hold")
                    continue
                for n in range(cue.count, 0, -1):
                    fixed.append((self.speak_at(h1 - n, str(n), label, "countdown"), cue))
        fixed.sort(key=lambda item: item[0].start)
        for (a, cue_a), (b, _) in zip(fixed, fixed[1:]):
            if a.end > b.start + 1e-9:
                self.err(
                    cue_a.pos,
                    f"step '{label}': {_describe(a)} overlaps {_describe(b)} by {a.end - b.start:.2f}s; "
                    "move or shorten one of them",
                )
        if fixed and fixed[-1][0].end > h1 + 1e-9:
            last, cue = fixed[-1]
            self.err(
                cue.pos,
                f"step '{label}': {_describe(last)} overflows the end of the {length:g}s hold "
                f"by {last.end - h1:.2f}s; move it earlier or shorten it",
            )
        busy = [(e.start, e.end) for e, _ in fixed]
        for cue in step.cues:
            if isinstance(cue, Every):
                k = 1
                while h0 + k * cue.interval < h1:
                    start = h0 + k * cue.interval
                    end = start + self.lengths.sound(cue.sound.path)
                    if end <= h1 and not any(start < b1 and b0 < end for b0, b1 in busy):
                        self.sound_at(start, cue.sound, label, "every")
                    k += 1
        self.sound_at(h1, self.builtin("bell"), label, "hold-end")
        self.t = h1

    def lay_breaths(self, step: BreathHold, label: str, count: int) -> None:
        b = self.s.breath_at_pace
        if self.extra() > 0:  # whole breaths, as near the time asked for as they come (at least one)
            count += max(1, int(self.extra() / b.cycle + 0.5))
        h0 = self.t
        h1 = h0 + count * b.cycle
        self.add(h0, h1, EventKind.HOLD, label, role="hold")
        phases = [("in", b.inhale), ("hold", b.hold), ("out", b.exhale)]
        for i in range(count):
            start = h0 + i * b.cycle
            spoken = step.breath_cues is None or i < step.breath_cues
            for phase, seconds in phases:
                if seconds <= 0:
                    continue
                if spoken:
                    ev = self.speak_at(start, phrase(f"breathe {phase}", self.language), label, "breath")
                    if ev.end > start + seconds + 1e-9:
                        self.err(
                            step.pos,
                            f"step '{label}': the cue '{ev.text}' takes {ev.length:.2f}s but the breath's "
                            f"{phase} phase lasts {seconds:.2f}s; use a slower breath or pace",
                        )
                elif phase != "hold":
                    self.sound_at(start, self.builtin("inhale" if phase == "in" else "exhale"), label, "breath", limit=seconds)
                start += seconds
        self.sound_at(h1, self.builtin("bell"), label, "hold-end")
        self.t = h1


def _describe(ev: Event) -> str:
    what = f"the cue '{ev.text}'" if ev.kind is EventKind.SPEECH else f"the sound '{ev.sound}'"
    return f"{what} ({ev.length:.2f}s long)"
