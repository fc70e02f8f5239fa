"""Composing a session: choose, order, fit, write, and measure until the written routine lasts the
length asked for with the voice that will speak it.

Choosing and ordering use estimated speech (fast enough to try a dozen selections for one request);
the routine written from them is then planned the way `check` plans it, and since holds are exact the
measured total is corrected by setting the holds again. Only a routine text comes out: composing
never builds a timeline of its own, it asks the planner."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .library import Move, load_moves
from ..plan.planner import plan
from ..plan.timeline import ChapterKind, EventKind, Timeline
from ..routine import Routine, parse_routine
from ..routine.settings import Overrides, Settings, resolve
from ..text import format_clock
from .fit import Span, fit, reach
from .order import arrange, position_changes
from .request import FOCUS_SHARE, TOLERANCE, ComposeError, Request
from .select import ARRIVAL, MARGIN, Estimate, Selection, choose, closings, eligible, focus_share, hold_ranges
from .select import main_pool, openings
from .write import Placed, focus_words, routine_text

Measure = Callable[[Routine], Timeline]
ATTEMPTS = 6  # selections tried for the fewest changes of position
MORE_ATTEMPTS = 30  # selections tried at most while the best still climbs more than `allowed_extra`
CORRECTIONS = 6  # measured plans at most, to settle the holds
CLOSE = 0.004  # of the target: good enough to stop correcting


@dataclass(frozen=True)
class Composed:
    """A composed routine: its text, its moves with their holds, and the measured lengths."""

    request: Request
    text: str
    placed: tuple[Placed, ...]
    seconds: tuple[float, ...]  # each move's planned length, all its sides, from its start to the next
    duration: float

    @property
    def moves(self) -> tuple[Move, ...]:
        return tuple(p.move for p in self.placed)

    def to_json(self, file: str) -> dict:
        return {
            "file": file,
            "duration": round(self.duration, 3),
            "seed": self.request.seed,
            "moves": [
                {"id": m.id, "title": m.title, "areas": list(m.areas), "equipment": list(m.equipment),
                 "position": m.position, "seconds": round(s, 3)}
                for m, s in zip(self.moves, self.seconds)
            ],
        }


def estimated(overrides: Overrides = Overrides()) -> Measure:
    """Planning with speech estimated from word counts (what `check --estimate` does)."""
    return lambda routine: plan(routine, resolve(routine, overrides))


def voiced(overrides: Overrides = Overrides(), engine: str = "auto") -> Measure:
    """Planning with the clips of the real voice (what `check` does)."""
    from ..session.build import voiced_session

    return lambda routine: voiced_session(routine, overrides, engine).timeline


def _check_focus(request: Request, pool: tuple[Move, ...]) -> None:
    for area in request.focus:
        if not any(area in m.areas for m in main_pool(request, pool)):
            tools = ", ".join(request.equipment) if request.equipment else "the floor alone"
            raise ComposeError(
                f"no move for {area} can be done with {tools} at the {request.level} level; "
                "add equipment or choose other areas (voiceguide moves --area " + area + " lists them)"
            )


def allowed_extra(minutes: float) -> int:
    """Changes of position beyond one per position that a session of `minutes` may make: a longer one
    works more areas, and their order (rolling before pressure before stretching) can ask for a
    second visit to a position. "About once per position" (docs: compose). Over 45 minutes, one more:
    hip flexors for 55 to 69 minutes, near what their moves fill, use nearly all of them, in six
    positions, and rolling before pressure before stretching takes the session to prone and
    side-lying three times each (10 changes over 6 positions; no selection of 30 did better)."""
    return 2 if minutes <= 20 else 3 if minutes <= 45 else 5


def _extra(session: tuple[Move, ...]) -> int:
    """Changes of position beyond the fewest the positions used could need."""
    return position_changes(session) - (len({m.position for m in session}) - 1)


def _sequence(request: Request, pool: tuple[Move, ...], estimate: Estimate, rng: random.Random,
              avoid: frozenset[str]) -> tuple[Move, ...]:
    """The seed's session with the fewest changes of position over a few selections, then with a
    main move left out where that saves a change and the others' holds can still fill the length."""
    best: tuple[int, Selection, tuple[Move, ...]] | None = None
    for attempt in range(MORE_ATTEMPTS):
        selection = choose(request, pool, estimate, rng=rng, avoid=avoid)
        session = arrange(selection, openings(pool), closings(pool), rng, avoid)
        if best is None or _extra(session) < best[0]:
            best = (_extra(session), selection, session)
        if best[0] == 0 or attempt + 1 >= ATTEMPTS and best[0] <= allowed_extra(request.minutes):
            break
    assert best is not None
    extra, selection, session = best
    improved = True
    while extra > 0 and improved:
        improved = False
        for move in selection.main:
            fewer = Selection(tuple(m for m in selection.main if m is not move), selection.cooldown)
            kept = list(fewer.main) + [fewer.cooldown]
            if estimate.total(kept, 1.0) < request.seconds * (1 + MARGIN) or estimate.share(kept) < FOCUS_SHARE + 0.02:
                continue
            trial = arrange(fewer, openings(pool), closings(pool), rng, avoid)
            if _extra(trial) < extra:
                extra, selection, session, improved = _extra(trial), fewer, trial, True
                break
    return session


def _per_move(timeline: Timeline, moves: tuple[Move, ...]) -> tuple[list[float], list[float]]:
    """Each move's hold seconds and whole seconds in the timeline (a move has a chapter per side)."""
    chapters = list(timeline.chapters)
    index = 1 if chapters and chapters[0].kind is ChapterKind.INTRO else 0
    firsts = []
    for m in moves:
        firsts.append(index)
        index += 2 if m.sides else 1
    outro = [e.start for e in timeline.events if e.step == "outro"]
    starts = [chapters[i].start for i in firsts] + [min(outro) if outro else timeline.duration]
    holds = [0.0] * len(moves)
    owner = {c: i for i, first in enumerate(firsts) for c in range(first, first + (2 if moves[i].sides else 1))}
    for e in timeline.events:
        if e.kind is EventKind.HOLD and e.chapter in owner:
            holds[owner[e.chapter]] += e.length
    return holds, [b - a for a, b in zip(starts, starts[1:])]


def _land(request: Request, session: tuple[Move, ...], estimate: Estimate, measure: Measure, path: Path):
    """Holds (and the arrival pause, the first span) that make the measured plan last the target:
    (Composed or None, the measured shortest and longest, the measured over the estimated speech)."""
    target = request.seconds
    costs = [estimate.cost(m) for m in session]
    fixed_estimate = estimate.frame + estimate.notes(list(session)) + sum(c.fixed for c in costs)
    pause = Span(*ARRIVAL, 1.0)
    ranges = hold_ranges(request, session)
    spans = (pause,) + tuple(Span(low, high, c.per_unit) for (low, high), c in zip(ranges, costs))
    amounts = fit(target, fixed_estimate, spans)
    for _ in range(CORRECTIONS):
        placed = tuple(Placed(m, a) for m, a in zip(session, amounts[1:]))
        text = routine_text(request, placed, amounts[0])
        timeline = measure(parse_routine(text, path=path, name=path.name))
        holds, seconds = _per_move(timeline, session)
        fixed = timeline.duration - sum(holds) - amounts[0]
        spans = (pause,) + tuple(Span(low, high, h / a) for (low, high), h, a in zip(ranges, holds, amounts[1:]))
        if abs(timeline.duration - target) <= CLOSE * target:
            break
        again = fit(target, fixed, spans)
        if again == amounts:
            break
        amounts = again
    reached = reach(fixed, spans)
    if abs(timeline.duration - target) > TOLERANCE * target or focus_share(request, zip(session, seconds)) < FOCUS_SHARE:
        return None, reached, fixed / fixed_estimate
    planned = f"{format_clock(timeline.duration)} with the voice {timeline.settings.voice or 'default'}"
    text = routine_text(request, placed, amounts[0], planned)
    return Composed(request, text, placed, tuple(seconds), timeline.duration), reached, 1.0


def compose(
    request: Request,
    measure: Measure,
    path: Path,
    *,
    moves: tuple[Move, ...] | None = None,
    avoid: frozenset[str] = frozenset(),
    settings: Settings = Settings(),
) -> Composed:
    """The routine for the request, the same for the same seed and `avoid`; ComposeError when it cannot be."""
    pool = eligible(request, moves if moves is not None else load_moves())
    _check_focus(request, pool)
    rng = random.Random(request.seed)
    scale = 1.0
    reached = (0.0, 0.0)
    for _ in range(3):
        estimate = Estimate(request, pool, settings, scale)
        session = _sequence(request, pool, estimate, rng, avoid)
        composed, reached, measured = _land(request, session, estimate, measure, path)
        if composed is not None:
            return composed
        scale *= measured
    low, high = reached
    raise ComposeError(
        f"could not fit {request.minutes:g} minutes for {focus_words(request)} with these moves: "
        f"the closest session spans {low / 60:.1f} to {high / 60:.1f} minutes with the voice"
    )
