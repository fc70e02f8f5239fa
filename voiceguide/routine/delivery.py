"""How each kind of utterance is spoken: a guide does not read a breath prompt, a countdown and an
instruction in the same flat voice.

A `Delivery` is a tempo (against the chosen speaking rate) and a level (against narration). The
engines apply the tempo where they can (Piper's length_scale, espeak-ng's words per minute);
the level is applied after each clip is levelled, because levelling would undo an engine's own
volume. Both are part of the clip cache key, so changing a role's delivery re-renders exactly
the clips of that role.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Delivery:
    tempo: float = 1.0  # > 1 is faster, < 1 slower than the chosen rate
    gain_db: float = 0.0  # against narration's level

    def describe(self) -> str:
        return f"{self.tempo:.0%} speed, {self.gain_db:+.0f} dB"


NEUTRAL = Delivery()

# The roles the planner gives speech events, and how the calm style speaks them.
CALM: dict[str, Delivery] = {
    "narration": NEUTRAL,  # instructions, intro and outro: the chosen rate, full level
    "safety": NEUTRAL,
    "transition": Delivery(0.95, -1.0),  # "Switch sides."
    "cue": Delivery(0.95, -2.0),  # "Halfway.", reminders during a hold
    "breath": Delivery(0.8, -5.0),  # "Breathe in.": slower and softer, like an exhale
    "countdown": Delivery(1.15, -1.0),  # "3, 2, 1": short and crisp
}



def delivery_for(style: str, role: str) -> Delivery:
    """The delivery of one role in a style; `flat` speaks everything like narration."""
    if style == "flat":
        return NEUTRAL
    return CALM.get(role, NEUTRAL)
