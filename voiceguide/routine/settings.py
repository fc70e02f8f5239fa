"""Settings that shape a session: pace, hold scale, breath pattern, speech rate, voice.

Precedence: command-line options > the routine's own values > built-in defaults.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .shipped import sounds_dir

PACES = {"gentle": 0.8, "normal": 1.0, "brisk": 1.25}
PACE_MIN, PACE_MAX = 0.5, 2.0
RATE_MIN, RATE_MAX = 60.0, 400.0
HOLD_SCALE_MIN, HOLD_SCALE_MAX = 0.25, 4.0

DEFAULT_RATE = 150.0  # words per minute at pace 1.0: calm, clear guidance
DEFAULT_GAP = 2.0  # seconds between steps at pace 1.0
DEFAULT_NOTE_GAP = 0.8  # seconds between consecutive notes (safety, switch sides) at pace 1.0
DEFAULT_SETUP = 5.0  # seconds to get into position before a hold, at pace 1.0
DEFAULT_WAIT_FALLBACK = 10.0
DEFAULT_BREATH_CUES = 2


@dataclass(frozen=True)
class Breath:
    """Seconds per phase of one breath at pace 1.0."""

    inhale: float = 4.0
    exhale: float = 6.0
    hold: float = 0.0

    @property
    def cycle(self) -> float:
        return self.inhale + self.hold + self.exhale

    def scaled(self, pace: float) -> "Breath":
        return Breath(self.inhale / pace, self.exhale / pace, self.hold / pace)

    def __str__(self) -> str:
        nums = [self.inhale, self.hold, self.exhale] if self.hold else [self.inhale, self.exhale]
        return "-".join(f"{n:g}" for n in nums)


_BREATH_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?))?\s*$")


def parse_breath(text: str) -> Breath:
    """'4-6' (in-out) or '4-7-8' (in-hold-out), seconds at pace 1.0."""
    m = _BREATH_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a breath pattern; write in-out such as 4-6, or in-hold-out such as 4-7-8")
    a, b, c = m.groups()
    breath = Breath(float(a), float(c), float(b)) if c else Breath(float(a), float(b))
    return check_breath(breath)


def check_breath(breath: Breath) -> Breath:
    for name, value in (("in", breath.inhale), ("out", breath.exhale)):
        if not 0.5 <= value <= 60:
            raise ValueError(f"the breath's {name} phase must be 0.5 to 60 seconds, not {value:g}")
    if not 0 <= breath.hold <= 60:
        raise ValueError(f"the breath's hold phase must be 0 to 60 seconds, not {breath.hold:g}")
    return breath


def parse_pace(text: str | float) -> float:
    """'gentle' | 'normal' | 'brisk' | a number from 0.5 to 2.0."""
    if isinstance(text, str):
        key = text.strip().lower()
        if key in PACES:
            return PACES[key]
        try:
            value = float(key)
        except ValueError:
            raise ValueError(f"{text!r} is not a pace; use gentle, normal, brisk or a number from 0.5 to 2.0") from None
    else:
        value = float(text)
    if not (PACE_MIN <= value <= PACE_MAX) or math.isnan(value):
        raise ValueError(f"pace {value:g} is out of range; use a number from {PACE_MIN} to {PACE_MAX}")
    return value


def pace_label(pace: float) -> str:
    """A pace as people set it: its name with its number when it has one ("brisk (1.25)"), else the number."""
    name = next((n for n, v in PACES.items() if math.isclose(v, pace)), None)
    number = f"{pace:g}" if "." in f"{pace:g}" else f"{pace:.1f}"
    return f"{name} ({number})" if name else number


def range_position(pace: float) -> float:
    """How far into a range such as 20-30s the pace goes: 0 = bottom, 1 = top.

    Symmetric on a log scale: pace 1.0 takes the middle, 0.5 the top, 2.0 the bottom,
    so gentle (0.8) lands at 66% and brisk (1.25) at 34%."""
    return min(1.0, max(0.0, 0.5 - math.log2(pace) / 2))


GUIDANCE = ("full", "brief", "minimal")
DELIVERIES = ("calm", "flat")  # calm: each role its own tempo and level (see delivery.py); flat: all like narration
ENGINES = ("auto", "espeak", "pyttsx3", "piper", "kokoro")


@dataclass(frozen=True)
class Ambient:
    """A background bed: its name as given and the file to loop."""

    name: str
    path: Path


@dataclass(frozen=True)
class Settings:
    pace: float = 1.0
    hold_scale: float = 1.0
    breath: Breath = Breath()
    rate: float = DEFAULT_RATE  # words per minute at pace 1.0
    voice: str | None = None
    language: str = "en"
    wait_fallback: float = DEFAULT_WAIT_FALLBACK
    guidance: str = "full"
    ambient: Ambient | None = None
    engine: str = "auto"
    cues: Path | None = None  # a folder of recorded phrases ("switch sides.wav") that replace the voice
    delivery: str = "calm"
    listen_sensitivity: float = 0.5  # play --listen: 0 (strictest) to 1 (most eager), see listen/vad.py

    @property
    def speech_rate(self) -> float:
        """Words per minute actually spoken: the base rate scaled by the pace."""
        return self.rate * self.pace

    def gap(self, base: float = DEFAULT_GAP) -> float:
        return base / self.pace

    @property
    def breath_at_pace(self) -> Breath:
        return self.breath.scaled(self.pace)

    @property
    def range_position(self) -> float:
        return range_position(self.pace)


@dataclass(frozen=True)
class Overrides:
    """Chosen values above the routine's own (command line, preset, config file); None = not chosen.

    `sources` says where each chosen value came from, for `voiceguide config`."""

    pace: float | None = None
    hold_scale: float | None = None
    breath: Breath | None = None
    rate: float | None = None
    voice: str | None = None
    guidance: str | None = None
    ambient: Ambient | None = None
    engine: str | None = None
    cues: Path | None = None
    delivery: str | None = None
    listen_sensitivity: float | None = None
    sources: tuple[tuple[str, str], ...] = ()

    def source(self, key: str) -> str | None:
        return dict(self.sources).get(key)


# The settings a user can choose (on the command line, in the config file, in a preset): the fields of
# Overrides, in their order, but for where each came from.
CHOOSABLE = tuple(f.name for f in fields(Overrides) if f.name != "sources")


def parse_value(key: str, value, base: Path | None = None):
    """A setting's value from text or TOML (raises ValueError with a message for the user)."""
    if key == "pace":
        return parse_pace(value if isinstance(value, str) else float(value))
    if key == "hold_scale":
        v = float(value)
        if not HOLD_SCALE_MIN <= v <= HOLD_SCALE_MAX:
            raise ValueError(f"hold_scale must be from {HOLD_SCALE_MIN} to {HOLD_SCALE_MAX}, not {value}")
        return v
    if key == "rate":
        v = float(value)
        if not RATE_MIN <= v <= RATE_MAX:
            raise ValueError(f"rate must be from {RATE_MIN:g} to {RATE_MAX:g} words per minute, not {value}")
        return v
    if key == "listen_sensitivity":
        v = float(value)
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"listen_sensitivity must be from 0 (strictest) to 1 (most eager), not {value}")
        return v
    if key == "breath":
        if isinstance(value, dict):
            return check_breath(Breath(float(value["in"]), float(value["out"]), float(value.get("hold", 0))))
        return parse_breath(str(value))
    if key == "guidance":
        v = str(value).strip().lower()
        if v not in GUIDANCE:
            raise ValueError(f"guidance must be one of {', '.join(GUIDANCE)}, not {value!r}")
        return v
    if key == "delivery":
        v = str(value).strip().lower()
        if v not in DELIVERIES:
            raise ValueError(f"delivery must be one of {', '.join(DELIVERIES)}, not {value!r}")
        return v
    if key == "engine":
        v = str(value).strip().lower()
        if v not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {value!r}")
        return v
    if key == "voice":
        v = str(value).strip()
        if not v or v.startswith("-"):
            raise ValueError(f"{value!r} is not a voice name")
        return v
    if key == "ambient":
        return find_ambient(str(value), base)
    if key == "cues":
        path = Path(str(value).strip()).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        if not path.is_dir():
            raise ValueError(f"recorded cues folder {str(value)!r} not found")
        return path.resolve()
    raise ValueError(f"unknown setting {key!r}; settings are {', '.join(CHOOSABLE)}")


def beds_dir() -> Path:
    return sounds_dir() / "beds"


def builtin_beds() -> list[str]:
    return sorted(p.stem for p in beds_dir().glob("*.wav"))


def find_ambient(value: str, base: Path | None = None) -> Ambient:
    """A bed by built-in name (`voiceguide` ships some in sounds/beds) or as a file any ffmpeg can read."""
    name = value.strip()
    if not name or name.startswith("-"):
        raise ValueError(f"{value!r} is not a sound")
    built_in = beds_dir() / f"{name}.wav"
    if "/" not in name and "." not in name:
        if built_in.is_file():
            return Ambient(name, built_in)
        raise ValueError(f"unknown background bed {name!r}; built-in beds: {', '.join(builtin_beds())}, or give a file")
    path = Path(name).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    if not path.is_file():
        raise ValueError(f"background sound file {name!r} not found")
    return Ambient(path.name, path.resolve())


def merge(cli: Overrides, config=None, preset: str | None = None) -> Overrides:
    """Command line > the chosen preset > the config file's own values (a `config.Config`); the routine and
    defaults come after."""
    values: dict = {}
    sources: dict = {}
    layers = []
    if config is not None:
        layers.append((config.values, f"config {config.path}"))
        if preset is not None:
            if preset not in config.presets:
                known = ", ".join(sorted(config.presets)) or "none defined"
                raise ValueError(f"unknown preset {preset!r} (presets in {config.path}: {known})")
            layers.append((config.presets[preset], f"preset {preset}"))
    elif preset is not None:
        raise ValueError(f"unknown preset {preset!r}: there is no config file")
    layers.append(({k: getattr(cli, k) for k in CHOOSABLE if getattr(cli, k) is not None}, "command line"))
    for layer, where in layers:
        for key, value in layer.items():
            values[key] = value
            sources[key] = where
    return Overrides(**values, sources=tuple(sources.items()))


def resolve(routine, overrides: Overrides = Overrides()) -> Settings:
    """Chosen values (command line > preset > config file) > the routine's own values > defaults."""
    s = Settings()
    from_routine = {
        "pace": routine.pace,
        "breath": routine.breath,
        "rate": routine.rate,
        "voice": routine.voice,
        "language": routine.language,
        "wait_fallback": routine.wait_fallback,
        "ambient": Ambient(routine.ambient.name, routine.ambient.path) if routine.ambient else None,
    }
    s = replace(s, **{k: v for k, v in from_routine.items() if v is not None})
    given = {k: getattr(overrides, k) for k in CHOOSABLE}
    return replace(s, **{k: v for k, v in given.items() if v is not None})


def explain(routine, overrides: Overrides) -> list[tuple[str, str, str]]:
    """(setting, effective value, where it came from) for every setting."""
    s = resolve(routine, overrides) if routine is not None else resolve_defaults(overrides)
    rows = []
    for key in CHOOSABLE + ("language", "wait_fallback"):
        source = overrides.source(key)
        if source is None:
            own = getattr(routine, key, None) if routine is not None else None
            source = f"routine {routine.name}" if own is not None else "default"
        value = getattr(s, key)
        shown = value.name if isinstance(value, Ambient) else str(value) if value is not None else "(none)"
        if key == "pace":
            shown = pace_label(value)
        rows.append((key, shown, source))
    return rows


def resolve_defaults(overrides: Overrides) -> Settings:
    given = {k: getattr(overrides, k) for k in CHOOSABLE}
    return replace(Settings(), **{k: v for k, v in given.items() if v is not None})
