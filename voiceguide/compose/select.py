"""Which moves a session uses: the moves the person can do today, chosen by the seed.

Choosing works on estimated lengths (a move's planned length is linear in its hold), so a
90-minute session is chosen in milliseconds; `build` corrects the holds with the measured speech
afterwards. The chosen set must be able to land on the length: the sum of its shortest lengths
at or below the target, the sum of its longest at or above it within the tolerance, with room on
both sides for that correction; and it must keep the focus's share of the whole session, the
opening and closing breaths included, which is why those are short in a short session."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

from .library import KINDS, Move
from ..plan.timeline import EstimatedLengths
from ..plan.planner import plan
from ..routine import parse_routine
from ..routine.settings import DEFAULT_GAP, DEFAULT_NOTE_GAP, Settings
from .request import FOCUS_SHARE, TOLERANCE, ComposeError, Request, minutes_text
from .write import OUTRO, intro

MARGIN = 0.015  # of the target, kept free on each side of the chosen set's range for the correction
KIND_ORDER = ("rolling", "trigger-point", "activation", "stretch")
ARRIVAL = (2, 15)  # seconds of quiet after the intro, to arrive; it takes up what whole breaths cannot
SETTLE_MINUTES = 12  # the opening and the closing breaths take one breath more for every this many minutes
SETTLE_BREATHS = 2  # the most breaths they take below SETTLE_MINUTES (one to two); the fewest of a main breathing move


@dataclass(frozen=True)
class Cost:
    """A move's estimated share of a session: `fixed` seconds (narration, setup, switching sides, the
    gap after it) plus `per_unit` seconds for each second or breath of its hold."""

    fixed: float
    per_unit: float
    low: float
    high: float

    def at(self, fraction: float) -> float:
        return self.fixed + self.per_unit * (self.low + fraction * (self.high - self.low))


@dataclass(frozen=True)
class Selection:
    """The moves of the middle of a session, and the cool-down that ends it before the closing breaths."""

    main: tuple[Move, ...]
    cooldown: Move


@lru_cache(maxsize=4096)
def move_cost(move: Move, settings: Settings) -> Cost:
    """The move planned alone at both ends of its range; the difference is what its hold costs."""
    lengths = []
    for amount in (move.hold.low, move.hold.high):
        text = yaml.safe_dump({"title": move.title, "steps": [move.step_with(amount)]}, sort_keys=False)
        routine = parse_routine(text, path=Path("move.yaml"), name=f"{move.id}.yaml")
        lengths.append(plan(routine, settings).duration)
    per_unit = (lengths[1] - lengths[0]) / (move.hold.high - move.hold.low)
    fixed = lengths[0] - per_unit * move.hold.low + settings.gap(DEFAULT_GAP)
    return Cost(fixed, per_unit, move.hold.low, move.hold.high)


def serves(move: Move, request: Request) -> bool:
    """Whether the move works the focus (with no focus, every move but breathing does)."""
    if not request.focus:
        return move.kind != "breathing"
    return bool(set(move.areas) & set(request.focus))


def settling(request: Request, move: Move) -> tuple[float, float]:
    """The breaths an opening or closing breath takes in a session of this length: one or two below
    SETTLE_MINUTES, one more for every SETTLE_MINUTES, up to its most. Five minutes asked for one area
    are spent on that area, not on settling in; an hour has time for six slow breaths."""
    most = min(move.hold.high, SETTLE_BREATHS + request.minutes // SETTLE_MINUTES)
    return max(move.hold.low, most - 1), most


def own_range(move: Move) -> tuple[float, float]:
    """A move's range of hold amounts in the middle of a session: its file's, but a breathing move
    (with a breathing focus) takes at least SETTLE_BREATHS, a single breath being only for settling."""
    low = max(move.hold.low, SETTLE_BREATHS) if move.kind == "breathing" else move.hold.low
    return low, move.hold.high


def hold_ranges(request: Request, session: tuple[Move, ...]) -> tuple[tuple[float, float], ...]:
    """Each move's range of hold amounts in the session in order: the opening and closing breaths (its
    first and last moves) as `settling` scales them, every other move its `own_range`."""
    last = len(session) - 1
    return tuple(settling(request, m) if i in (0, last) else own_range(m) for i, m in enumerate(session))


def focus_share(request: Request, timed: Iterable[tuple[Move, float]]) -> float:
    """The share of the seconds of all the session's moves (the opening and closing breaths and the
    cool-down included) spent on moves of the focus; 1.0 without a focus, which has no share to keep."""
    if not request.focus:
        return 1.0
    pairs = list(timed)
    total = sum(s for _, s in pairs)
    return sum(s for m, s in pairs if serves(m, request)) / total if total else 1.0


def eligible(request: Request, moves: tuple[Move, ...]) -> tuple[Move, ...]:
    return tuple(m for m in moves if m.fits(request.equipment) and m.level in request.levels)


def openings(pool: tuple[Move, ...]) -> tuple[Move, ...]:
    return tuple(m for m in pool if m.kind == "breathing" and "opening" in m.phases)


def closings(pool: tuple[Move, ...]) -> tuple[Move, ...]:
    return tuple(m for m in pool if m.kind == "breathing" and "closing" in m.phases)


def cooldowns(pool: tuple[Move, ...]) -> tuple[Move, ...]:
    return tuple(m for m in pool if m.kind != "breathing" and "closing" in m.phases)


def main_pool(request: Request, pool: tuple[Move, ...]) -> tuple[Move, ...]:
    """The moves for the middle: everything but breathing, unless breathing is the focus."""
    breathing = "breathing" in request.focus
    return tuple(m for m in pool if m.kind != "breathing" or (breathing and "main" in m.phases))


def framing(request: Request, settings: Settings) -> float:
    """The estimated seconds of the intro (without its arrival pause), the outro and the gap after them."""
    voice = EstimatedLengths(settings)
    spoken = intro(request).replace(f"[pause {ARRIVAL[0]}s]", "")
    return voice.speech(spoken) + voice.speech(OUTRO) + settings.gap(DEFAULT_GAP)


class Estimate:
    """Estimated lengths of candidate sessions of the request's length: the moves' costs, the opening and
    closing breaths (each the mean of its candidates, which `order` picks later by position), the intro,
    outro and safety notes."""

    def __init__(self, request: Request, pool: tuple[Move, ...], settings: Settings, speech_scale: float):
        self.request = request
        self.pool = pool
        self.settings = settings
        self.scale = speech_scale
        self.costs: dict[str, Cost] = {}
        self.spoken: dict[str, float] = {}
        self.voice = EstimatedLengths(settings)
        self.frame = framing(request, settings) * speech_scale
        self.ritual = tuple(
            (m, replace(self.cost(m), low=low, high=high), len(group))
            for group in (openings(pool), closings(pool))
            for m in group
            for low, high in [settling(request, m)]
        )

    def lengthened(self, request: Request) -> Estimate:
        """The same estimate for a session of another length (its intro and its opening and closing
        breaths differ)."""
        return Estimate(request, self.pool, self.settings, self.scale)

    def cost(self, move: Move) -> Cost:
        if move.id not in self.costs:
            c = move_cost(move, self.settings)
            self.costs[move.id] = Cost(c.fixed * self.scale, c.per_unit, *own_range(move))
        return self.costs[move.id]

    def notes(self, moves: list[Move]) -> float:
        notes = dict.fromkeys(n for m in moves for n in m.safety)
        gap = self.settings.gap(DEFAULT_NOTE_GAP)
        for n in notes:
            if n not in self.spoken:
                self.spoken[n] = (self.voice.speech(n) + gap) * self.scale
        return sum(self.spoken[n] for n in notes)

    def timed(self, moves: list[Move], fraction: float) -> list[tuple[Move, float]]:
        """Every move of the session with its estimated seconds at `fraction` of its range: the opening
        and closing breaths as each candidate's share of their mean, then `moves`."""
        ritual = [(m, c.at(fraction) / n) for m, c, n in self.ritual]
        return ritual + [(m, self.cost(m).at(fraction)) for m in moves]

    def around(self, fraction: float) -> float:
        """The intro, the arrival pause at `fraction` of its range, and the outro: all but moves and notes."""
        return self.frame + ARRIVAL[0] + fraction * (ARRIVAL[1] - ARRIVAL[0])

    def total(self, moves: list[Move], fraction: float) -> float:
        return self.around(fraction) + self.notes(moves) + sum(s for _, s in self.timed(moves, fraction))

    def share(self, moves: list[Move]) -> float:
        """The estimated focus share of the session with `moves` beside its breaths, at the middle of the ranges."""
        return focus_share(self.request, self.timed(moves, 0.5))


def _priority(request: Request, moves: list[Move], rng: random.Random, avoid: frozenset[str]) -> list[Move]:
    """The moves in the order they are offered: a seeded shuffle in which the moves of recent sessions
    come last and moves using the equipment asked for come a little earlier; then kinds take turns,
    so that a session with a roller and a ball rolls, presses, strengthens and stretches."""
    def key(m: Move) -> float:
        return rng.random() + (2.0 if m.id in avoid else 0.0) - (0.4 if set(m.equipment) & set(request.equipment) else 0.0)

    keyed = {m.id: key(m) for m in moves}
    queues = {k: sorted((m for m in moves if m.kind == k), key=lambda m: keyed[m.id]) for k in KINDS}
    turns = [k for k in KIND_ORDER if queues[k]] + [k for k in KINDS if k not in KIND_ORDER and queues[k]]
    out: list[Move] = []
    while any(queues[k] for k in turns):
        for k in turns:
            if queues[k]:
                out.append(queues[k].pop(0))
    return out


def choose(
    request: Request,
    pool: tuple[Move, ...],
    estimate: Estimate,
    *,
    rng: random.Random,
    avoid: frozenset[str] = frozenset(),
) -> Selection:
    """The seed's choice of moves whose range of lengths holds the target with the focus share kept: the
    main moves around the first cool-down, in the seed's order, that allows both (the one that fills the
    length alone may leave no room for the focus beside it); ComposeError when none can."""
    target = request.seconds
    low_cap = target * (1 - MARGIN)
    ends = sorted(
        cooldowns(pool),
        key=lambda m: (not serves(m, request), estimate.total([m], 1.0) < target, m.id in avoid, rng.random()),
    )
    fitting = [m for m in ends if estimate.total([m], 0.0) <= low_cap]
    if not fitting:
        shortest = min(estimate.total([m], 0.0) for m in ends)
        raise ComposeError(
            f"{minutes_text(request.minutes)} is too short for a session of these moves: the shortest, opening breaths, "
            f"a cool-down and closing breaths, lasts about {shortest / 60:.1f} minutes"
        )
    candidates = main_pool(request, pool)
    focus = [m for m in candidates if serves(m, request)]
    others = [m for m in candidates if not serves(m, request)]
    offered = _priority(request, focus, rng, avoid) + _priority(request, others, rng, avoid)
    for cooldown in fitting:
        chosen = _around(estimate, cooldown, offered)
        if estimate.total(chosen, 1.0) >= target * (1 - TOLERANCE) and estimate.share(chosen) >= FOCUS_SHARE:
            return Selection(main=tuple(chosen[1:]), cooldown=cooldown)
    if capacity(request, estimate, pool) < target:
        raise ComposeError(_too_long(request, estimate, pool))
    raise ComposeError(_too_short(request, estimate, pool))


def _around(estimate: Estimate, cooldown: Move, offered: list[Move]) -> list[Move]:
    """The cool-down and the offered moves taken in turn: first to the middle of the moves' ranges with
    room to spare in the share; then, near what the library can fill, on to the top of the ranges with
    the share at its bare minimum."""
    request = estimate.request
    target = request.seconds
    low_cap, high_floor = target * (1 - MARGIN), target * (1 + MARGIN)
    chosen: list[Move] = [cooldown]
    for fraction, goal, least in ((0.5, target, FOCUS_SHARE + 0.05), (1.0, high_floor, FOCUS_SHARE + 0.01)):
        for move in offered:
            if estimate.total(chosen, fraction) >= goal:
                break
            if move in chosen or estimate.total(chosen + [move], 0.0) > low_cap:
                continue
            if not serves(move, request) and estimate.share(chosen + [move]) < least:
                continue
            chosen.append(move)
    return chosen


def capacity(request: Request, estimate: Estimate, pool: tuple[Move, ...]) -> float:
    """About the longest session the pool fills with the focus share kept: every move of the focus at its
    longest, and other moves up to the share the focus leaves them, the opening and closing breaths first."""
    timed = estimate.timed(list(main_pool(request, pool)), 1.0)
    focus = sum(s for m, s in timed if serves(m, request))
    others = sum(s for m, s in timed if not serves(m, request))
    ritual = sum(s for m, s in estimate.timed([], 1.0) if not serves(m, request))
    return estimate.around(1.0) + focus + max(ritual, min(others, focus * (1 - FOCUS_SHARE) / FOCUS_SHARE))


def _too_long(request: Request, estimate: Estimate, pool: tuple[Move, ...]) -> str:
    tools = ", ".join(request.equipment) if request.equipment else "the floor alone"
    focus = f" and {FOCUS_SHARE:.0%} of it on {', '.join(request.named_focus)}" if request.focus else ""
    return (
        f"{minutes_text(request.minutes)} is more than the moves can fill with {tools} at the {request.level} "
        f"level{focus}: at most about {capacity(request, estimate, pool) / 60:.0f} minutes, each move used once; "
        "ask for less time, or add equipment or areas"
    )


def _too_short(request: Request, estimate: Estimate, pool: tuple[Move, ...]) -> str:
    """The focus needs more room than the length leaves beside the opening, the cool-down and the closing."""
    longer = next(
        (m for m in range(int(request.minutes) + 1, int(capacity(request, estimate, pool) / 60) + 1)
         if _fits(estimate.lengthened(replace(request, minutes=float(m))), pool)),
        None,
    )
    tools = ", ".join(request.equipment) if request.equipment else "the floor alone"
    hint = f"; {longer} minutes would do" if longer else ""
    return (
        f"{minutes_text(request.minutes)} is too short to spend {FOCUS_SHARE:.0%} of a session on "
        f"{', '.join(request.named_focus) or 'the moves'} with {tools} at the {request.level} level, beside the "
        f"opening breaths, a cool-down and the closing breaths{hint}"
    )


def _fits(estimate: Estimate, pool: tuple[Move, ...]) -> bool:
    """Whether the estimate's length can be chosen with the margin to spare below the target as above it:
    a length named as one that would do must compose once measured, not only just reach the tolerance."""
    try:
        selection = choose(estimate.request, pool, estimate, rng=random.Random(estimate.request.seed))
    except ComposeError:
        return False
    longest = estimate.total([*selection.main, selection.cooldown], 1.0)
    return longest >= estimate.request.seconds * (1 - TOLERANCE + MARGIN)
