"""The steps of a routine as they will be heard: each side of a step, in each round of a repeat.

The planner lays these out one after another (planner.py); they are their own module so that the
planner stays one readable file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..routine import Repeat, Step


@dataclass(frozen=True)
class StepInstance:
    """One step as it will be heard: a side of it, in a round of a repeat."""

    step: Step
    side: int = 0  # index into step.sides
    rounds: tuple[tuple[int, int], ...] = ()  # (round, of) for each enclosing repeat

    @property
    def first(self) -> bool:
        return self.side == 0 and all(r == 1 for r, _ in self.rounds)

    def values(self) -> dict[str, str]:
        v: dict[str, str] = {}
        if self.step.sides:
            v["side"] = self.step.sides[self.side]
            v["other"] = self.step.sides[1 - self.side]
        if self.rounds:
            v["round"] = str(self.rounds[-1][0])
            v["rounds"] = str(self.rounds[-1][1])
        return v


def expand(steps: Iterable[Step], rounds: tuple = ()) -> list[StepInstance]:
    """Every step as heard, in order: each side, in each round of each repeat around it."""
    out: list[StepInstance] = []
    for step in steps:
        if isinstance(step, Repeat):
            for r in range(1, step.times + 1):
                out.extend(expand(step.steps, rounds + ((r, step.times),)))
        elif step.sides:
            out.extend(StepInstance(step, side, rounds) for side in (0, 1))
        else:
            out.append(StepInstance(step, 0, rounds))
    return out
