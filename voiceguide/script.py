"""The routine script: parse and validate a YAML routine into small frozen dataclasses.

Every problem is collected with its position, so a file's mistakes are all
reported in one run. Nothing here depends on timing; that is `plan`'s job.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import cache
from importlib import resources
from pathlib import Path

from .errors import Diagnostic, Pos, Problems, ScriptError, VoiceguideError
from .settings import Breath, check_breath, parse_breath, parse_pace
from .source import Source, YMap, YNode, YScalar, YSeq, load
from .text import CONTROL_RE, Part, Pause, Placeholder, parse_duration, parse_range, parse_template

MAX_HOLD = 2 * 3600.0
MAX_ROUTINE = 6 * 3600.0
MAX_BREATHS = 500
MAX_REPEAT = 100
MAX_INSTANCES = 5000  # steps as heard, after sides and repeats are expanded
MIN_HOLD = 1.0
MIN_EVERY = 1.0
MAX_TEXT = 5000
BUILTIN_SOUNDS = ("bell", "chime", "tick", "inhale", "exhale")
SOUND_SUFFIXES = (".wav", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".aif", ".aiff")
KIND_KEYS = ("for", "breaths", "rest", "sound", "wait", "repeat")


@cache
def schema() -> dict:
    """The routine format's JSON Schema, shipped with the package."""
    return json.loads(resources.files("voiceguide").joinpath("schema/routine.schema.json").read_text("utf-8"))


def top_keys() -> tuple[str, ...]:
    return tuple(schema()["properties"])


def step_keys() -> tuple[str, ...]:
    return tuple(schema()["$defs"]["step"]["properties"])


def cue_keys() -> tuple[str, ...]:
    return tuple(schema()["$defs"]["cue"]["properties"])


def _data_dir(name: str) -> Path:
    packaged = Path(__file__).parent / "_data" / name
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / name


def shipped_scripts_dir() -> Path:
    """The routines we ship: inside the installed package, or `scripts/` in a source checkout."""
    return _data_dir("scripts")


def sounds_dir() -> Path:
    """The built-in sounds: inside the installed package, or `sounds/` in a source checkout."""
    return _data_dir("sounds")


# ------------------------------------------------------------------ the model


@dataclass(frozen=True)
class Narration:
    """Text to speak, split into literals, placeholders and pauses."""

    source: str
    parts: tuple[Part, ...]
    pos: Pos
    spots: tuple[Pos, ...] = ()  # where each placeholder stands, in the order of `parts`

    def spot(self, placeholder: Placeholder) -> Pos:
        marks = [p for p in self.parts if isinstance(p, Placeholder)]
        for part, pos in zip(marks, self.spots):
            if part is placeholder:
                return pos
        return self.pos

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(p.name for p in self.parts if isinstance(p, Placeholder))


@dataclass(frozen=True)
class Span:
    """An exact length (low == high) or a range the pace chooses inside."""

    low: float
    high: float

    @property
    def exact(self) -> bool:
        return self.low == self.high

    def pick(self, position: float) -> float:
        """The value `position` (0..1) of the way up the range, in whole units for ranges."""
        if self.exact:
            return self.low
        return math.floor(self.low + (self.high - self.low) * position + 0.5)


@dataclass(frozen=True)
class SoundRef:
    name: str  # as written
    path: Path
    pos: Pos


@dataclass(frozen=True)
class CueTime:
    seconds: float | None  # None for `half`
    from_end: bool = False

    def resolve(self, hold: float, scale: float = 1.0) -> float:
        """Seconds after the hold's start; times from the start stretch with the hold scale."""
        if self.seconds is None:
            return hold / 2
        return hold - self.seconds if self.from_end else self.seconds * scale

    def __str__(self) -> str:
        if self.seconds is None:
            return "half"
        return f"{'-' if self.from_end else ''}{self.seconds:g}s"


@dataclass(frozen=True)
class SayCue:
    pos: Pos
    at: CueTime
    text: Narration


@dataclass(frozen=True)
class SoundCue:
    pos: Pos
    at: CueTime
    sound: SoundRef


@dataclass(frozen=True)
class Countdown:
    pos: Pos
    count: int


@dataclass(frozen=True)
class Every:
    pos: Pos
    interval: float
    sound: SoundRef


Cue = SayCue | SoundCue | Countdown | Every


@dataclass(frozen=True, kw_only=True)
class Step:
    pos: Pos
    title: Narration | None = None
    say: Narration | None = None
    brief: Narration | None = None
    sides: tuple[str, str] | None = None

    kind = "spoken"


@dataclass(frozen=True, kw_only=True)
class Spoken(Step):
    kind = "spoken"


@dataclass(frozen=True, kw_only=True)
class Hold(Step):
    length: Span
    setup: float | None = None
    cues: tuple[Cue, ...] = ()
    kind = "for"


@dataclass(frozen=True, kw_only=True)
class BreathHold(Step):
    breaths: Span
    setup: float | None = None
    breath_cues: int | None = None  # None: all breaths get spoken cues
    kind = "breaths"


@dataclass(frozen=True, kw_only=True)
class Rest(Step):
    length: Span
    kind = "rest"


@dataclass(frozen=True, kw_only=True)
class PlaySound(Step):
    sound: SoundRef
    kind = "sound"


@dataclass(frozen=True, kw_only=True)
class Wait(Step):
    kind = "wait"


@dataclass(frozen=True, kw_only=True)
class Repeat(Step):
    times: int
    steps: tuple[Step, ...]
    kind = "repeat"


@dataclass(frozen=True, kw_only=True)
class Routine:
    path: Path
    name: str  # how the file is named in messages
    title: str
    summary: str | None = None
    author: str | None = None
    album: str | None = None
    language: str | None = None
    voice: str | None = None
    rate: float | None = None
    pace: float | None = None
    breath: Breath | None = None
    sounds: tuple[tuple[str, Path], ...] = ()
    ambient: SoundRef | None = None
    safety: tuple[Narration, ...] = ()
    intro: Narration | None = None
    outro: Narration | None = None
    wait_fallback: float | None = None
    steps: tuple[Step, ...] = ()
    steps_pos: Pos = field(default_factory=Pos)


# ------------------------------------------------------------------ parsing


def load_routine(path: Path | str, name: str | None = None) -> Routine:
    """Load and validate a routine file; raises ScriptError listing every problem."""
    return from_source(load(path, name))


def parse_routine(text: str, path: Path | str = "<string>", name: str | None = None) -> Routine:
    from .source import parse

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
    routine = _Reader(src, problems).routine()
    return routine, problems.items


def load_partial(path: Path | str, name: str | None = None) -> tuple[Routine | None, list[Diagnostic]]:
    try:
        src = load(path, name)
    except ScriptError as exc:
        return None, exc.diagnostics
    return validate(src)


def count_instances(steps: tuple[Step, ...]) -> int:
    """How many steps will be heard once sides and repeats are expanded (stops counting past the limit)."""
    total = 0
    for step in steps:
        if isinstance(step, Repeat):
            total += step.times * count_instances(step.steps)
        else:
            total += 2 if step.sides else 1
        if total > MAX_INSTANCES:
            return total
    return total


def _kind_name(node: YNode) -> str:
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    if node.is_null:
        return "nothing"
    return {"int": "a number", "float": "a number", "bool": "true/false"}.get(node.tag, "text")


@dataclass
class _Context:
    """What placeholders a piece of text may use where it stands."""

    sides: bool = False
    in_repeat: bool = False
    has_duration: bool = False
    has_breaths: bool = False
    is_title: bool = False


class _Reader:
    def __init__(self, src: Source, problems: Problems):
        self.src = src
        self.p = problems
        self.folder = src.path.parent
        self.sounds: dict[str, Path] = {}

    # ---------------------------------------------------------- helpers

    def err(self, pos: Pos, message: str) -> None:
        self.p.add(pos, message)

    def check_keys(self, node: YMap, known: tuple[str, ...], where: str) -> None:
        seen: dict[str, Pos] = {}
        for key, _ in node.pairs:
            if key.text in seen:
                self.err(key.pos, f"duplicate key '{key.text}' (first at line {seen[key.text].line})")
                continue
            seen[key.text] = key.pos
            if key.text not in known:
                near = get_close_matches(key.text, known, n=1, cutoff=0.6)
                hint = f"; did you mean '{near[0]}'?" if near else f" (known: {', '.join(known)})"
                self.err(key.pos, f"unknown key '{key.text}' in {where}{hint}")

    def scalar(self, node: YNode, what: str) -> YScalar | None:
        if isinstance(node, YScalar) and not node.is_null:
            return node
        self.err(node.pos, f"{what} must be a value, not {_kind_name(node)}")
        return None

    def string(self, node: YNode, what: str) -> str | None:
        s = self.scalar(node, what)
        if s is None:
            return None
        text = s.text.strip()
        if not text:
            self.err(s.pos, f"{what} is empty")
            return None
        if len(text) > MAX_TEXT:
            self.err(s.pos, f"{what} is {len(text)} characters long; the limit is {MAX_TEXT}")
            return None
        bad = CONTROL_RE.search(text)
        if bad:
            self.err(
                self.char_pos(s, bad.group()),
                f"{what} holds a control character (U+{ord(bad.group()):04X}); remove it",
            )
            return None
        return text

    def char_pos(self, node: YScalar, ch: str) -> Pos:
        """Where a character of a scalar's value stands, also when the file writes it as an escape."""
        code = ord(ch)
        escapes = {7: "\\a", 8: "\\b", 27: "\\e", 11: "\\v", 12: "\\f", 0: "\\0"}
        forms = [ch, escapes.get(code, ""), f"\\x{code:02x}", f"\\x{code:02X}", f"\\u{code:04x}", f"\\u{code:04X}"]
        raw = self.src.text[node.start : node.end]
        for form in forms:
            if form and form in raw:
                return self.src.pos_at(node.start + raw.index(form))
        return node.pos

    def narration(self, node: YNode, what: str, ctx: _Context | None, pauses: bool = True) -> Narration | None:
        text = self.string(node, what)
        if text is None:
            return None
        assert isinstance(node, YScalar)
        parts, problems = parse_template(text)
        for prob in problems:
            self.err(self.src.pos_in(node, prob.raw, text[: prob.offset].count(prob.raw)), f"{what}: {prob.message}")
        spots = []
        for part in parts:
            if isinstance(part, Placeholder):
                spots.append(self.src.pos_in(node, part.raw, text[: part.offset].count(part.raw)))
        narr = Narration(text, parts, node.pos, tuple(spots))
        if ctx is not None:
            self.check_placeholders(narr, what, ctx)
        if problems:
            return None
        if not pauses and any(isinstance(p, Pause) for p in parts):
            self.err(self.src.pos_in(node, "[pause"), f"{what} cannot hold a pause")
            return None
        return narr

    def check_placeholders(self, narr: Narration, what: str, ctx: _Context) -> None:
        rules = {
            "side": (ctx.sides, "only in a step with `sides`"),
            "other": (ctx.sides, "only in a step with `sides`"),
            "round": (ctx.in_repeat, "only inside a `repeat`"),
            "rounds": (ctx.in_repeat, "only inside a `repeat`"),
            "duration": (ctx.has_duration, "only in a `for` or `rest` step"),
            "breaths": (ctx.has_breaths, "only in a `breaths` step"),
            "next": (not ctx.is_title, "in narration, not in a title"),
        }
        if ctx.is_title:
            rules["duration"] = rules["breaths"] = rules["next"]
        for part in narr.parts:
            if isinstance(part, Placeholder):
                allowed, where = rules.get(part.name, (True, ""))
                if not allowed:
                    self.err(narr.spot(part), f"{what}: {part.raw} can be used {where}")

    def number(self, node: YNode, what: str, lo: float, hi: float, whole: bool = False) -> float | None:
        s = self.scalar(node, what)
        if s is None:
            return None
        try:
            value = float(s.text) if not whole else int(s.text)
        except ValueError:
            kind = "a whole number" if whole else "a number"
            self.err(s.pos, f"{what} must be {kind}, not {s.text!r}")
            return None
        if math.isnan(value) or not lo <= value <= hi:
            self.err(s.pos, f"{what} must be from {lo:g} to {hi:g}, not {s.text}")
            return None
        return value

    def duration(self, node: YNode, what: str, limit: float = MAX_HOLD, least: float = 0.001) -> float | None:
        s = self.scalar(node, what)
        if s is None:
            return None
        text = s.text.strip()
        if text.startswith("-"):
            self.err(s.pos, f"{what} must be more than zero, not {text}")
            return None
        seconds = parse_duration(text)
        if seconds is None:
            if parse_range(text) is not None:
                self.err(s.pos, f"{what} takes one duration, not a range ({text})")
            else:
                self.err(s.pos, f"{what}: {text!r} is not a duration; write 45, 45s, 2m or 1m30s")
            return None
        return self._bounded(s, what, seconds, limit, least)

    def _bounded(self, s: YScalar, what: str, seconds: float, limit: float, least: float = 0.001) -> float | None:
        seconds = round(seconds, 3)
        if seconds <= 0:
            self.err(s.pos, f"{what} must be more than zero, not {s.text.strip()}")
            return None
        if seconds < least:
            self.err(s.pos, f"{what} must be at least {least:g}s, not {s.text.strip()}")
            return None
        if seconds > limit:
            self.err(s.pos, f"{what} of {s.text.strip()} is over the limit of {_limit_words(limit)}")
            return None
        return seconds

    def span(self, node: YNode, what: str) -> Span | None:
        s = self.scalar(node, what)
        if s is None:
            return None
        text = s.text.strip()
        rng = parse_range(text) if "-" in text.lstrip("-") else None
        if rng is None:
            value = self.duration(node, what, least=MIN_HOLD)
            return Span(value, value) if value is not None else None
        lo = self._bounded(s, what, rng[0], MAX_HOLD, MIN_HOLD)
        hi = self._bounded(s, what, rng[1], MAX_HOLD, MIN_HOLD) if lo is not None else None
        if lo is None or hi is None:
            return None
        if lo >= hi:
            self.err(s.pos, f"{what}: the range {text} must go from the shorter to the longer length")
            return None
        return Span(lo, hi)

    def sound(self, node: YNode, what: str) -> SoundRef | None:
        name = self.string(node, what)
        if name is None:
            return None
        path = self.sounds.get(name)
        if path is None and name in BUILTIN_SOUNDS:
            path = sounds_dir() / f"{name}.wav"
        if path is None:
            path = self.sound_file(node, name, what)
            if path is None:
                return None
        return SoundRef(name, path, node.pos)

    def sound_file(self, node: YNode, name: str, what: str) -> Path | None:
        """A sound file named in the routine: it must lie in the routine's folder or in `sounds/`."""
        if not Path(name).suffix.lower() in SOUND_SUFFIXES:
            known = ", ".join(sorted(set(BUILTIN_SOUNDS) | set(self.sounds)))
            near = get_close_matches(name, list(BUILTIN_SOUNDS) + list(self.sounds), n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            self.err(node.pos, f"{what}: unknown sound '{name}'{hint} (known: {known}; or a sound file)")
            return None
        candidate = Path(name)
        if candidate.is_absolute():
            self.err(node.pos, f"{what}: give the sound file relative to the routine's folder, not {name!r}")
            return None
        folder = self.folder.resolve()
        path = (folder / candidate).resolve()
        allowed = (folder, sounds_dir().resolve())
        if not any(path.is_relative_to(root) for root in allowed):
            self.err(node.pos, f"{what}: {name!r} is outside the routine's folder; sounds must be beside the routine")
            return None
        if not path.is_file():
            self.err(node.pos, f"{what}: sound file {name!r} not found (looked in {folder})")
            return None
        from .audiofile import audio_length

        try:
            if audio_length(path) <= 0:
                self.err(node.pos, f"{what}: sound file {name!r} holds no audio")
                return None
        except VoiceguideError as exc:
            self.err(node.pos, f"{what}: cannot read sound file {name!r}: {str(exc).split(': ', 1)[-1]}")
            return None
        return path

    # ---------------------------------------------------------- the routine

    def routine(self) -> Routine | None:
        root = self.src.root
        if root is None:
            self.err(Pos(), "the file is empty; a routine needs at least `title` and `steps`")
            return None
        if not isinstance(root, YMap):
            self.err(root.pos, f"a routine is a mapping with `title` and `steps`, not {_kind_name(root)}")
            return None
        self.check_keys(root, top_keys(), "the routine")
        get = root.get
        values: dict = {}
        if get("sounds") is not None:
            self.read_sounds(get("sounds"))
        values["sounds"] = tuple(self.sounds.items())

        title = get("title")
        if title is None:
            self.err(root.pos, "the routine needs a `title`")
        else:
            values["title"] = self.string(title, "title")
        for key in ("summary", "author", "album", "voice"):
            if get(key) is not None:
                values[key] = self.string(get(key), key)
        if values.get("voice") and values["voice"].startswith("-"):
            self.err(get("voice").pos, "voice must be a voice name, not an option")
            values["voice"] = None
        if get("language") is not None:
            values["language"] = self.language(get("language"))
        if get("rate") is not None:
            values["rate"] = self.number(get("rate"), "rate (words per minute)", 60, 400)
        if get("pace") is not None:
            values["pace"] = self.pace(get("pace"))
        if get("breath") is not None:
            values["breath"] = self.breath(get("breath"))
        if get("wait_fallback") is not None:
            values["wait_fallback"] = self.duration(get("wait_fallback"), "wait_fallback")
        if get("ambient") is not None:
            values["ambient"] = self.sound(get("ambient"), "ambient")
        top = _Context()
        if get("safety") is not None:
            values["safety"] = self.safety(get("safety"))
        for key in ("intro", "outro"):
            if get(key) is not None:
                values[key] = self.narration(get(key), key, top)

        steps = get("steps")
        if steps is None:
            self.err(root.pos, "the routine needs `steps`: a list of what to do")
        else:
            values["steps"] = self.steps(steps, "steps", _Context())
            values["steps_pos"] = steps.pos
        if values.get("steps") and count_instances(values["steps"]) > MAX_INSTANCES:
            self.err(steps.pos, f"the steps expand (with sides and repeats) to more than {MAX_INSTANCES} steps")
            values["steps"] = ()
        if values.get("title") is None:
            if not self.p:
                return None
            values["title"] = "(untitled)"
        return Routine(path=self.src.path, name=self.src.name, **{k: v for k, v in values.items() if v is not None})

    def language(self, node: YNode) -> str | None:
        text = self.string(node, "language")
        if text is None:
            return None
        if not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*", text):
            self.err(node.pos, f"language: {text!r} is not a language tag such as en, en-us or de")
            return None
        return text.lower().replace("_", "-")

    def pace(self, node: YNode) -> float | None:
        s = self.scalar(node, "pace")
        if s is None:
            return None
        try:
            return parse_pace(s.text)
        except ValueError as exc:
            self.err(s.pos, str(exc))
            return None

    def breath(self, node: YNode) -> Breath | None:
        try:
            if isinstance(node, YScalar) and not node.is_null:
                return parse_breath(node.text)
            if not isinstance(node, YMap):
                self.err(node.pos, f"breath must be {{in: 4, out: 6}} or '4-6', not {_kind_name(node)}")
                return None
            self.check_keys(node, ("in", "hold", "out"), "breath")
            phases = {}
            for key in ("in", "hold", "out"):
                if node.get(key) is not None:
                    phases[key] = self.number(node.get(key), f"breath {key}", 0 if key == "hold" else 0.5, 60)
                elif key != "hold":
                    self.err(node.pos, f"breath needs `{key}` (seconds)")
            if any(v is None for v in phases.values()) or len(phases) < 2 and "hold" not in phases:
                return None
            if "in" not in phases or "out" not in phases:
                return None
            return check_breath(Breath(phases["in"], phases["out"], phases.get("hold", 0.0)))
        except ValueError as exc:
            self.err(node.pos, f"breath: {exc}")
            return None

    def read_sounds(self, node: YNode) -> None:
        if not isinstance(node, YMap):
            self.err(node.pos, f"sounds must be a mapping of name: file, not {_kind_name(node)}")
            return
        self.check_keys(node, tuple(k.text for k, _ in node.pairs), "sounds")
        for key, value in node.pairs:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", key.text):
                self.err(key.pos, f"sound name {key.text!r} must be a word (letters, digits, - and _)")
                continue
            file = self.string(value, f"sound '{key.text}'")
            if file is None:
                continue
            if Path(file).suffix.lower() not in SOUND_SUFFIXES:
                self.err(value.pos, f"sound '{key.text}': {file!r} is not a sound file ({', '.join(SOUND_SUFFIXES)})")
                continue
            path = self.sound_file(value, file, f"sound '{key.text}'")
            if path is not None:
                self.sounds[key.text] = path

    def safety(self, node: YNode) -> tuple[Narration, ...]:
        items = node.items if isinstance(node, YSeq) else (node,)
        notes = []
        for i, item in enumerate(items, 1):
            narr = self.narration(item, f"safety note {i}", _Context())
            if narr is not None:
                notes.append(narr)
        return tuple(notes)

    # ---------------------------------------------------------- steps

    def steps(self, node: YNode, what: str, ctx: _Context) -> tuple[Step, ...]:
        if not isinstance(node, YSeq):
            self.err(node.pos, f"{what} must be a list of steps (each starting with '- '), not {_kind_name(node)}")
            return ()
        if not node.items:
            self.err(node.pos, f"{what} is empty; add at least one step")
            return ()
        out = []
        for item in node.items:
            step = self.step(item, ctx)
            if step is not None:
                out.append(step)
        return tuple(out)

    def step(self, node: YNode, outer: _Context) -> Step | None:
        if not isinstance(node, YMap):
            if isinstance(node, YScalar) and not node.is_null:
                self.err(node.pos, f"a step must be a mapping such as `say: {node.text.strip()[:30]}`, not plain text")
            else:
                self.err(node.pos, f"a step must be a mapping (say:, for:, ...), not {_kind_name(node)}")
            return None
        self.check_keys(node, step_keys(), "a step")
        kinds = [k for k in node.keys() if k in KIND_KEYS]
        if len(kinds) > 1:
            self.err(node.pos, f"a step has one kind, but this one has {' and '.join(repr(k) for k in kinds)}")
            return None
        kind = kinds[0] if kinds else "spoken"
        get = node.get
        if get("steps") is not None and kind != "repeat":
            self.err(node.get("steps").pos, "`steps` belongs to a `repeat` step")

        sides = None
        if get("sides") is not None:
            sides = self.sides(get("sides"))
            if kind in ("repeat", "sound", "wait"):
                self.err(get("sides").pos, f"`sides` cannot go on a `{kind}` step")
        ctx = _Context(
            sides=get("sides") is not None,
            in_repeat=outer.in_repeat,
            has_duration=kind in ("for", "rest"),
            has_breaths=kind == "breaths",
        )
        common: dict = {"pos": node.pos, "sides": sides}
        if get("title") is not None:
            title_ctx = _Context(sides=ctx.sides, in_repeat=ctx.in_repeat, is_title=True)
            common["title"] = self.narration(get("title"), "title", title_ctx, pauses=False)
        for key in ("say", "brief"):
            if get(key) is not None:
                common[key] = self.narration(get(key), key, ctx)
        if get("brief") is not None and get("say") is None:
            self.err(get("brief").pos, "`brief` is the short form of `say`; add the `say` it shortens")
        for key, kinds_ok in (("setup", ("for", "breaths")), ("cues", ("for",)), ("breath_cues", ("breaths",))):
            if get(key) is not None and kind not in kinds_ok:
                where = " or ".join(f"`{k}`" for k in kinds_ok)
                self.err(get(key).pos, f"`{key}` belongs to a {where} step, not a {'spoken' if kind == 'spoken' else f'`{kind}`'} step")

        if kind == "spoken":
            if get("say") is None:
                near = get_close_matches("say", [k for k in node.keys()], n=1, cutoff=0.5)
                self.err(node.pos, "a spoken step needs `say`" + ("" if near else " (or a kind: for, breaths, rest, sound, wait, repeat)"))
                return None
            return Spoken(**common) if common.get("say") is not None else None
        value = get(kind)
        if kind == "for":
            length = self.span(value, "for")
            setup = self.duration(get("setup"), "setup", 600) if get("setup") is not None else None
            cues = self.cues(get("cues"), ctx) if get("cues") is not None else ()
            if length is None:
                return None
            return Hold(length=length, setup=setup, cues=cues, **common)
        if kind == "breaths":
            breaths = self.breath_count(value)
            setup = self.duration(get("setup"), "setup", 600) if get("setup") is not None else None
            bc = self.breath_cues(get("breath_cues"))
            if breaths is None:
                return None
            return BreathHold(breaths=breaths, setup=setup, breath_cues=bc, **common)
        if kind == "rest":
            length = self.span(value, "rest")
            return Rest(length=length, **common) if length is not None else None
        if kind == "sound":
            ref = self.sound(value, "sound")
            return PlaySound(sound=ref, **common) if ref is not None else None
        if kind == "wait":
            s = self.scalar(value, "wait")
            if s is not None and not (s.tag == "bool" and s.text.lower() in ("true", "yes", "on")):
                self.err(s.pos, f"wait takes only `true`, not {s.text!r}")
            return Wait(**common)
        # repeat
        times = self.number(value, "repeat", 1, MAX_REPEAT, whole=True)
        if get("steps") is None:
            self.err(node.pos, "a `repeat` step needs `steps`: the steps to repeat")
            return None
        for key in ("title", "say", "brief"):
            if get(key) is not None:
                self.err(get(key).pos, f"`{key}` cannot go on a `repeat` step; put it on a step inside `steps`")
        inner = self.steps(get("steps"), "repeat steps", _Context(in_repeat=True))
        if times is None or not inner:
            return None
        return Repeat(times=int(times), steps=inner, pos=node.pos)

    def sides(self, node: YNode) -> tuple[str, str] | None:
        if not isinstance(node, YSeq) or len(node.items) != 2:
            self.err(node.pos, "sides must be a list of two labels, such as [right, left]")
            return None
        labels = [self.string(item, "a side") for item in node.items]
        if None in labels:
            return None
        for item, label in zip(node.items, labels):
            if re.search(r"[{}\[\]]", label):
                self.err(item.pos, f"the side {label!r} cannot hold braces or brackets; it is spoken as written")
                return None
        if labels[0].lower() == labels[1].lower():
            self.err(node.pos, f"the two sides must differ, not both {labels[0]!r}")
            return None
        return (labels[0], labels[1])

    def breath_count(self, node: YNode) -> Span | None:
        s = self.scalar(node, "breaths")
        if s is None:
            return None
        text = s.text.strip()
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", text)
        if not m:
            self.err(s.pos, f"breaths must be a whole number or a range such as 5-6, not {text!r}")
            return None
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo < 1 or hi > MAX_BREATHS:
            self.err(s.pos, f"breaths must be from 1 to {MAX_BREATHS}, not {text}")
            return None
        if m.group(2) and lo >= hi:
            self.err(s.pos, f"breaths: the range {text} must go from fewer to more breaths")
            return None
        return Span(float(lo), float(hi))

    def breath_cues(self, node: YNode | None) -> int | None:
        """How many breaths get spoken cues (None: all of them)."""
        from .settings import DEFAULT_BREATH_CUES

        s = self.scalar(node, "breath_cues") if node is not None else None
        if s is None:
            return DEFAULT_BREATH_CUES
        text = s.text.strip().lower()
        if text == "all":
            return None
        if text == "none":
            return 0
        value = self.number(node, "breath_cues (a number, all or none)", 0, MAX_BREATHS, whole=True)
        return int(value) if value is not None else DEFAULT_BREATH_CUES

    def cues(self, node: YNode, ctx: _Context) -> tuple[Cue, ...]:
        if not isinstance(node, YSeq):
            self.err(node.pos, f"cues must be a list, not {_kind_name(node)}")
            return ()
        out = []
        for item in node.items:
            cue = self.cue(item, ctx)
            if cue is not None:
                out.append(cue)
        return tuple(out)

    def cue(self, node: YNode, ctx: _Context) -> Cue | None:
        if not isinstance(node, YMap):
            self.err(node.pos, f"a cue must be a mapping such as {{at: half, say: Halfway}}, not {_kind_name(node)}")
            return None
        self.check_keys(node, cue_keys(), "a cue")
        keys = set(node.keys()) & set(cue_keys())
        get = node.get
        shapes = [{"at", "say"}, {"at", "sound"}, {"countdown"}, {"every", "sound"}]
        if keys not in shapes:
            self.err(
                node.pos,
                "a cue is one of {at: T, say: TEXT}, {at: T, sound: NAME}, {countdown: N} or {every: T, sound: NAME}",
            )
            return None
        if "countdown" in keys:
            n = self.number(get("countdown"), "countdown", 1, 60, whole=True)
            return Countdown(node.pos, int(n)) if n is not None else None
        if "every" in keys:
            interval = self.duration(get("every"), "every", least=MIN_EVERY)
            ref = self.sound(get("sound"), "sound")
            return Every(node.pos, interval, ref) if interval is not None and ref is not None else None
        at = self.cue_time(get("at"))
        if "say" in keys:
            text = self.narration(get("say"), "cue", ctx)
            return SayCue(node.pos, at, text) if at is not None and text is not None else None
        ref = self.sound(get("sound"), "sound")
        return SoundCue(node.pos, at, ref) if at is not None and ref is not None else None

    def cue_time(self, node: YNode) -> CueTime | None:
        s = self.scalar(node, "at")
        if s is None:
            return None
        text = s.text.strip().lower()
        if text == "half":
            return CueTime(None)
        negative = text.startswith("-")
        seconds = parse_duration(text[1:].strip() if negative else text)
        if seconds is None:
            self.err(s.pos, f"at: {s.text.strip()!r} is not a time; write 10s, half, or -10s (from the end)")
            return None
        if negative and seconds == 0:
            self.err(s.pos, "at: -0s is the end of the hold; a cue must come before it")
            return None
        if seconds > MAX_HOLD:
            self.err(s.pos, f"at: {s.text.strip()} is longer than any hold may be")
            return None
        return CueTime(seconds, negative)


def _limit_words(limit: float) -> str:
    return f"{limit / 3600:g} hours" if limit >= 3600 else f"{limit / 60:g} minutes" if limit >= 60 else f"{limit:g}s"


def iter_steps(steps: tuple[Step, ...]):
    """Every step, with repeats' inner steps, depth first."""
    for step in steps:
        yield step
        if isinstance(step, Repeat):
            yield from iter_steps(step.steps)
