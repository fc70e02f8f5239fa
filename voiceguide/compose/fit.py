"""Hold lengths that make a session last what was asked for.

The planner makes holds exact, so a session's length is a fixed part (speech, setup, gaps, sounds)
plus, for each move, its hold amount times what one unit of it costs (one second, or one breath
cycle, times the number of sides). Landing on a length is then a small integer problem: timed holds
take whole seconds and breath holds whole breaths, each inside its move's range. A common fraction
of every range gets close; then single steps of one unit, always the one that helps most, finish it.
Sharing the fraction keeps the moves in proportion: no hold is squeezed to its bottom while another
sits at its top."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """One move's hold: its range, and the seconds one unit of it adds to the session."""

    low: float
    high: float
    per_unit: float

    def at(self, fraction: float) -> float:
        return self.low + fraction * (self.high - self.low)


def reach(fixed: float, spans: tuple[Span, ...]) -> tuple[float, float]:
    """The shortest and longest session these holds allow."""
    return (fixed + sum(s.per_unit * s.low for s in spans), fixed + sum(s.per_unit * s.high for s in spans))


def fit(target: float, fixed: float, spans: tuple[Span, ...]) -> tuple[int, ...]:
    """Whole amounts, one per span and inside it, whose total `fixed + sum(per_unit * amount)` is as
    close to `target` as single-unit steps can bring it."""
    shortest, longest = reach(fixed, spans)
    if longest == shortest:
        fraction = 0.0
    else:
        fraction = min(1.0, max(0.0, (target - shortest) / (longest - shortest)))
    amounts = [min(int(s.high), max(math.ceil(s.low), round(s.at(fraction)))) for s in spans]

    def error(values: list[int]) -> float:
        return fixed + sum(s.per_unit * a for s, a in zip(spans, values)) - target

    while True:
        now = abs(error(amounts))
        best, best_error = None, now
        for i, s in enumerate(spans):
            for step in (-1, 1):
                a = amounts[i] + step
                if s.low <= a <= s.high:
                    trial = abs(error(amounts[:i] + [a] + amounts[i + 1:]))
                    if trial < best_error - 1e-9:
                        best, best_error = (i, a), trial
        if best is None:
            return tuple(amounts)
        amounts[best[0]] = best[1]
