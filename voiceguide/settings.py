"""Settings that shape a session: pace, hold scale, breath pattern, speech rate, voice.

Precedence: command-line options > the routine's own values > built-in defaults.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

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


def pace_name(pace: float) -> str:
    for name, value in PACES.items():
        if abs(value - pace) < 1e-9:
            return name
    return f"{pace:g}"


def range_position(pace: float) -> float:
    """How far into a range such as 20-30s the pace goes: 0 = bottom, 1 = top.

    Symmetric on a log scale: pace 1.0 takes the middle, 0.5 the top, 2.0 the bottom,
    so gentle (0.8) lands at 66% and brisk (1.25) at 34%."""
    return min(1.0, max(0.0, 0.5 - math.log2(pace) / 2))


@dataclass(frozen=True)
class Settings:
    pace: float = 1.0
    hold_scale: float = 1.0
    breath: Breath = Breath()
    rate: float = DEFAULT_RATE  # words per minute at pace 1.0
    voice: str | None = None
    language: str = "en"
    wait_fallback: float = DEFAULT_WAIT_FALLBACK

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
    """Values given on the command line; None means 'not given'."""

    pace: float | None = None
    hold_scale: float | None = None
    breath: Breath | None = None
    rate: float | None = None
    voice: str | None = None


def resolve(routine, overrides: Overrides = Overrides()) -> Settings:
    """CLI options > the routine's values > defaults."""
    s = Settings()
    from_routine = {
        "pace": routine.pace,
        "breath": routine.breath,
        "rate": routine.rate,
        "voice": routine.voice,
        "language": routine.language,
        "wait_fallback": routine.wait_fallback,
    }
    s = replace(s, **{k: v for k, v in from_routine.items() if v is not None})
    given = {k: getattr(overrides, k) for k in ("pace", "hold_scale", "breath", "rate", "voice")}
    return replace(s, **{k: v for k, v in given.items() if v is not None})
