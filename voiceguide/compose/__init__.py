"""Compose: a fresh routine from the library of moves for the length, focus and equipment of today.

Composing sits before the script: it writes routine text and lets the planner say how long it
lasts. The parts: `request` (what was asked, checked), `select` (which moves, by the seed),
`order` (in what order), `fit` (how long each hold), `write` (the YAML), `history` (the moves of
the last sessions, for variety) and `build` (all of it, measured with the real voice)."""

from .build import Composed, compose, estimated, voiced
from .request import FOCUS_SHARE, TOLERANCE, ComposeError, Request, parse_request, today_seed
from .select import focus_share

__all__ = [
    "FOCUS_SHARE", "TOLERANCE", "ComposeError", "Composed", "Request", "compose", "estimated", "focus_share",
    "parse_request", "today_seed", "voiced",
]
