"""Reading one value of a routine from its YAML node: text, numbers, durations, ranges, breaths, sounds.

`ValueReader` checks a node and returns the value, or reports the problem at the node's position (to
the `Problems` it was given) and returns None, so that a file's mistakes are all reported in one run.
The limits on every value are here too.
"""

from __future__ import annotations

import math
import re
from difflib import get_close_matches
from pathlib import Path

from ..audiofile import audio_length
from ..errors import Pos, Problems, VoiceguideError
from .settings import DEFAULT_BREATH_CUES, Breath, check_breath, parse_breath, parse_pace
from .shipped import sounds_dir
from .source import Source, YMap, YNode, YScalar, YSeq
from ..text import CONTROL_RE, parse_duration, parse_range
from .model import CueTime, SoundRef, Span

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


def kind_name(node: YNode) -> str:
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    if node.is_null:
        return "nothing"
    return {"int": "a number", "float": "a number", "bool": "true/false"}.get(node.tag, "text")


def _limit_words(limit: float) -> str:
    return f"{limit / 3600:g} hours" if limit >= 3600 else f"{limit / 60:g} minutes" if limit >= 60 else f"{limit:g}s"


class ValueReader:
    def __init__(self, src: Source, problems: Problems):
        self.src = src
        self.p = problems
        self.folder = src.path.parent
        self.sounds: dict[str, Path] = {}

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
        self.err(node.pos, f"{what} must be a value, not {kind_name(node)}")
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
        try:
            if audio_length(path) <= 0:
                self.err(node.pos, f"{what}: sound file {name!r} holds no audio")
                return None
        except VoiceguideError as exc:
            self.err(node.pos, f"{what}: cannot read sound file {name!r}: {str(exc).split(': ', 1)[-1]}")
            return None
        return path

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
                self.err(node.pos, f"breath must be {{in: 4, out: 6}} or '4-6', not {kind_name(node)}")
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
