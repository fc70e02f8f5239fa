"""The order of a session: settle and breathe first, general before specific, a cool-down and closing
breaths last, and as few trips up and down as those rules allow.

Within an area the kinds go rolling, then pressure with a ball or the hands (and the gentle
strengthening that wakes the muscle up), then static stretching: tissue is warmed and loosened before
it is held at length. That is a partial order, so moves of different areas are free to move, and the
freedom is spent on grouping moves by position. A block of one position always takes every move
that is ready in that position (staying put never costs a change), so an order is a sequence of
positions, and a breadth-first search over those finds the fewest blocks; ties go to the least
climbing between standing, sitting or kneeling, and the floor."""

from __future__ import annotations

import random

from .library import Move
from .select import Selection

RANK = {"breathing": 0, "rolling": 0, "trigger-point": 1, "activation": 1, "stretch": 2}
HEIGHT = {"standing": 2, "seated": 1, "kneeling": 1, "supine": 0, "prone": 0, "side-lying": 0}


def must_precede(a: Move, b: Move) -> bool:
    """`a` comes before `b` when they work an area in common and `a` is the more general kind."""
    return RANK[a.kind] < RANK[b.kind] and bool(set(a.areas) & set(b.areas))


def position_changes(moves: tuple[Move, ...] | list[Move]) -> int:
    return sum(1 for a, b in zip(moves, moves[1:]) if a.position != b.position)


def climbing(moves: tuple[Move, ...] | list[Move]) -> int:
    return sum(abs(HEIGHT[a.position] - HEIGHT[b.position]) for a, b in zip(moves, moves[1:]))


def _orders(moves: tuple[Move, ...], keys: dict[str, float]) -> list[list[Move]]:
    """Every order of the fewest blocks and of one block more (its end may suit the cool-down better),
    the best of each (mask of moves placed, last position) only."""
    n = len(moves)
    if n == 0:
        return [[]]
    pred = [sum(1 << j for j in range(n) if must_precede(moves[j], moves[i])) for i in range(n)]
    full = (1 << n) - 1
    preference = sorted(range(n), key=lambda i: (RANK[moves[i].kind], keys[moves[i].id]))

    def block(mask: int, position: str) -> tuple[int, list[int]]:
        placed = []
        while True:
            ready = [i for i in preference
                     if not mask >> i & 1 and moves[i].position == position and pred[i] & ~mask == 0]
            if not ready:
                return mask, placed
            mask |= 1 << ready[0]
            placed.append(ready[0])

    frontier: dict[tuple[int, str | None], tuple[int, list[int]]] = {(0, None): (0, [])}
    complete: list[list[int]] = []
    levels_after_first = 0
    while frontier and levels_after_first < 2:
        following: dict[tuple[int, str | None], tuple[int, list[int]]] = {}
        for (mask, last), (climb, path) in frontier.items():
            for position in dict.fromkeys(moves[i].position for i in preference if not mask >> i & 1):
                if position == last:
                    continue
                after, placed = block(mask, position)
                if not placed:
                    continue
                step = abs(HEIGHT[position] - HEIGHT[last]) if last else 0
                state, value = (after, position), (climb + step, path + placed)
                if state not in following or value[0] < following[state][0]:
                    following[state] = value
        complete.extend(path for (mask, _), (_, path) in following.items() if mask == full)
        if complete:
            levels_after_first += 1
        frontier = {k: v for k, v in following.items() if k[0] != full}
    return [[moves[i] for i in path] for path in complete]


def _breath(candidates: tuple[Move, ...], position: str, taken: set[str], avoid: frozenset[str],
            keys: dict[str, float]) -> Move:
    """A breathing move in the given position if there is one, not used yet, preferring those not done lately."""
    free = [m for m in candidates if m.id not in taken]
    return min(free, key=lambda m: (m.position != position, m.id in avoid, keys[m.id]))


def arrange(
    selection: Selection,
    openings: tuple[Move, ...],
    closings: tuple[Move, ...],
    rng: random.Random,
    avoid: frozenset[str] = frozenset(),
) -> tuple[Move, ...]:
    """The whole session in order: an opening breath, the main moves, the cool-down, a closing breath."""
    everything = selection.main + openings + closings + (selection.cooldown,)
    keys = {m.id: rng.random() for m in everything}
    taken = {m.id for m in selection.main} | {selection.cooldown.id}
    best: tuple | None = None
    for middle in _orders(selection.main, keys):
        first = middle[0].position if middle else selection.cooldown.position
        opening = _breath(openings, first, taken, avoid, keys)
        closing = _breath(closings, selection.cooldown.position, taken | {opening.id}, avoid, keys)
        session = (opening, *middle, selection.cooldown, closing)
        score = (position_changes(session), climbing(session), [keys[m.id] for m in middle])
        if best is None or score < best[0]:
            best = (score, session)
    assert best is not None
    return best[1]
