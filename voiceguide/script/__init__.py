"""The routine script: parse and validate a YAML routine into small frozen dataclasses.

Every problem is collected with its position, so a file's mistakes are all reported in one run.
Nothing here depends on timing; that is `plan`'s job. The parts: `model` (the dataclasses),
`values` (one value from its node, and the limits), `reader` (the routine's structure) and `load`
(files and text in, a routine or its problems out). This module gathers their names.
"""

from ..shipped import cue_keys, schema, shipped_scripts_dir, sounds_dir, step_keys, top_keys
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
