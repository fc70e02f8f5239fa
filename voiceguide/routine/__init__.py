"""The routine: a YAML file in, small frozen dataclasses out, and where routines are found.

Every problem is collected with its position, so a file's mistakes are all reported in one run.
Nothing here depends on timing; that is `plan`'s job. The parts: `source` (YAML nodes that keep
their positions), `model` (the dataclasses), `values` (one value from its node, and the limits),
`reader` (the routine's structure) and `load` (files and text in, a routine or its problems out);
`settings` (what shapes a session: pace, breath, voice; and their precedence) and `delivery` (how
each role is spoken); `shipped` (the routines, sounds and JSON Schema that ship), `lookup`
(routines by name) and `starter` (a new routine to edit). This module gathers the routine's names.
"""

from .shipped import cue_keys, schema, shipped_scripts_dir, sounds_dir, step_keys, top_keys
from .load import from_source, load_partial, load_routine, parse_routine, validate
from .model import (
    BreathHold,
    Countdown,
    Cue,
    CueTime,
    Every,
    Hold,
    Narration,
    PlaySound,
    Repeat,
    Rest,
    Routine,
    SayCue,
    SoundCue,
    SoundRef,
    Span,
    Spoken,
    Step,
    Wait,
    iter_steps,
)
from .reader import KIND_KEYS, count_instances
from .values import (
    BUILTIN_SOUNDS,
    MAX_BREATHS,
    MAX_HOLD,
    MAX_INSTANCES,
    MAX_REPEAT,
    MAX_ROUTINE,
    MAX_TEXT,
    MIN_EVERY,
    MIN_HOLD,
    SOUND_SUFFIXES,
)

__all__ = [
    "BUILTIN_SOUNDS", "KIND_KEYS", "MAX_BREATHS", "MAX_HOLD", "MAX_INSTANCES", "MAX_REPEAT", "MAX_ROUTINE",
    "MAX_TEXT", "MIN_EVERY", "MIN_HOLD", "SOUND_SUFFIXES",
    "BreathHold", "Countdown", "Cue", "CueTime", "Every", "Hold", "Narration", "PlaySound", "Repeat", "Rest",
    "Routine", "SayCue", "SoundCue", "SoundRef", "Span", "Spoken", "Step", "Wait",
    "count_instances", "cue_keys", "from_source", "iter_steps", "load_partial", "load_routine", "parse_routine",
    "schema", "shipped_scripts_dir", "sounds_dir", "step_keys", "top_keys", "validate",
]
