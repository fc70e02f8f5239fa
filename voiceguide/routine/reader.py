"""Reading a whole routine: its top-level keys, steps, cues and narration, checked where they stand.

`RoutineReader` walks the YAML tree (`voiceguide.routine.source`), builds the model (`voiceguide.routine.model`)
from every valid part, and reports every problem with its position; single values are read by the
`ValueReader` it extends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

from ..errors import Pos
from .shipped import cue_keys, step_keys, top_keys
from .source import YMap, YNode, YScalar, YSeq
from ..text import Pause, Placeholder, parse_template
from .model import (
    BreathHold,
    Countdown,
    Cue,
    Every,
    Hold,
    Narration,
    PlaySound,
    Repeat,
    Rest,
    Routine,
    SayCue,
    SoundCue,
    Spoken,
    Step,
    Wait,
)
from .values import MAX_INSTANCES, MAX_REPEAT, MIN_EVERY, SOUND_SUFFIXES, ValueReader, kind_name

KIND_KEYS = ("for", "breaths", "rest", "sound", "wait", "repeat")


def count_instances(steps: tuple[Step, ...]) -> int:
    """How many steps will be heard once sides and repeats are expanded (stops counting past the limit)."""
    total = 0
    for step in steps:
        if isinstance(step, Repeat):
            total += step.times * count_instances(step.steps)
        else:
            total += 2 if step.sides else 1
        if total > MAX_INSTANCES:
            return total
    return total


@dataclass
class PlaceholderScope:
    """What placeholders a piece of text may use where it stands."""

    sides: bool = False
    in_repeat: bool = False
    has_duration: bool = False
    has_breaths: bool = False
    is_title: bool = False


class RoutineReader(ValueReader):
    def routine(self) -> Routine | None:
        root = self.src.root
        if root is None:
            self.err(Pos(), "the file is empty; a routine needs at least `title` and `steps`")
            return None
        if not isinstance(root, YMap):
            self.err(root.pos, f"a routine is a mapping with `title` and `steps`, not {kind_name(root)}")
            return None
        self.check_keys(root, top_keys(), "the routine")
        get = root.get
        values: dict = {}
        if get("sounds") is not None:
            self.read_sounds(get("sounds"))
        values["sounds"] = tuple(self.sounds.items())

        title = get("title")
        if title is None:
            self.err(root.pos, "the routine needs a `title`")
        else:
            values["title"] = self.string(title, "title")
        for key in ("summary", "author", "album", "voice"):
            if get(key) is not None:
                values[key] = self.string(get(key), key)
        if values.get("voice") and values["voice"].startswith("-"):
            self.err(get("voice").pos, "voice must be a voice name, not an option")
            values["voice"] = None
        if get("language") is not None:
            values["language"] = self.language(get("language"))
        if get("rate") is not None:
            values["rate"] = self.number(get("rate"), "rate (words per minute)", 60, 400)
        if get("pace") is not None:
            values["pace"] = self.pace(get("pace"))
        if get("breath") is not None:
            values["breath"] = self.breath(get("breath"))
        if get("wait_fallback") is not None:
            values["wait_fallback"] = self.duration(get("wait_fallback"), "wait_fallback")
        if get("ambient") is not None:
            values["ambient"] = self.sound(get("ambient"), "ambient")
        top = PlaceholderScope()
        if get("safety") is not None:
            values["safety"] = self.safety(get("safety"))
        for key in ("intro", "outro"):
            if get(key) is not None:
                values[key] = self.narration(get(key), key, top)

        steps = get("steps")
        if steps is None:
            self.err(root.pos, "the routine needs `steps`: a list of what to do")
        else:
            values["steps"] = self.steps(steps, "steps", PlaceholderScope())
            values["steps_pos"] = steps.pos
        if values.get("steps") and count_instances(values["steps"]) > MAX_INSTANCES:
            self.err(steps.pos, f"the steps expand (with sides and repeats) to more than {MAX_INSTANCES} steps")
            values["steps"] = ()
        if values.get("title") is None:
            if not self.p:
                return None
            values["title"] = "(untitled)"
        return Routine(path=self.src.path, name=self.src.name, **{k: v for k, v in values.items() if v is not None})

    def read_sounds(self, node: YNode) -> None:
        if not isinstance(node, YMap):
            self.err(node.pos, f"sounds must be a mapping of name: file, not {kind_name(node)}")
            return
        self.check_keys(node, tuple(k.text for k, _ in node.pairs), "sounds")
        for key, value in node.pairs:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", key.text):
                self.err(key.pos, f"sound name {key.text!r} must be a word (letters, digits, - and _)")
                continue
            file = self.string(value, f"sound '{key.text}'")
            if file is None:
                continue
            if Path(file).suffix.lower() not in SOUND_SUFFIXES:
                self.err(value.pos, f"sound '{key.text}': {file!r} is not a sound file ({', '.join(SOUND_SUFFIXES)})")
                continue
            path = self.sound_file(value, file, f"sound '{key.text}'")
            if path is not None:
                self.sounds[key.text] = path

    def safety(self, node: YNode) -> tuple[Narration, ...]:
        items = node.items if isinstance(node, YSeq) else (node,)
        notes = []
        for i, item in enumerate(items, 1):
            narr = self.narration(item, f"safety note {i}", PlaceholderScope())
            if narr is not None:
                notes.append(narr)
        return tuple(notes)

    def narration(self, node: YNode, what: str, ctx: PlaceholderScope | None, pauses: bool = True) -> Narration | None:
        text = self.string(node, what)
        if text is None:
            return None
        assert isinstance(node, YScalar)
        parts, problems = parse_template(text)
        for prob in problems:
            self.err(self.src.pos_in(node, prob.raw, text[: prob.offset].count(prob.raw)), f"{what}: {prob.message}")
        spots = []
        for part in parts:
            if isinstance(part, Placeholder):
                spots.append(self.src.pos_in(node, part.raw, text[: part.offset].count(part.raw)))
        narr = Narration(text, parts, node.pos, tuple(spots))
        if ctx is not None:
            self.check_placeholders(narr, what, ctx)
        if problems:
            return None
        if not pauses and any(isinstance(p, Pause) for p in parts):
            self.err(self.src.pos_in(node, "[pause"), f"{what} cannot hold a pause")
            return None
        return narr

    def check_placeholders(self, narr: Narration, what: str, ctx: PlaceholderScope) -> None:
        rules = {
            "side": (ctx.sides, "only in a step with `sides`"),
            "other": (ctx.sides, "only in a step with `sides`"),
            "round": (ctx.in_repeat, "only inside a `repeat`"),
            "rounds": (ctx.in_repeat, "only inside a `repeat`"),
            "duration": (ctx.has_duration, "only in a `for` or `rest` step"),
            "breaths": (ctx.has_breaths, "only in a `breaths` step"),
            "next": (not ctx.is_title, "in narration, not in a title"),
        }
        if ctx.is_title:
            rules["duration"] = rules["breaths"] = rules["next"]
        for part in narr.parts:
            if isinstance(part, Placeholder):
                allowed, where = rules.get(part.name, (True, ""))
                if not allowed:
                    self.err(narr.spot(part), f"{what}: {part.raw} can be used {where}")

    def steps(self, node: YNode, what: str, ctx: PlaceholderScope) -> tuple[Step, ...]:
        if not isinstance(node, YSeq):
            self.err(node.pos, f"{what} must be a list of steps (each starting with '- '), not {kind_name(node)}")
            return ()
        if not node.items:
            self.err(node.pos, f"{what} is empty; add at least one step")
            return ()
        out = []
        for item in node.items:
            step = self.step(item, ctx)
            if step is not None:
                out.append(step)
        return tuple(out)

    def step(self, node: YNode, outer: PlaceholderScope) -> Step | None:
        if not isinstance(node, YMap):
            if isinstance(node, YScalar) and not node.is_null:
                self.err(node.pos, f"a step must be a mapping such as `say: {node.text.strip()[:30]}`, not plain text")
            else:
                self.err(node.pos, f"a step must be a mapping (say:, for:, ...), not {kind_name(node)}")
            return None
        self.check_keys(node, step_keys(), "a step")
        kinds = [k for k in node.keys() if k in KIND_KEYS]
        if len(kinds) > 1:
            self.err(node.pos, f"a step has one kind, but this one has {' and '.join(repr(k) for k in kinds)}")
            return None
        kind = kinds[0] if kinds else "spoken"
        get = node.get
        if get("steps") is not None and kind != "repeat":
            self.err(node.get("steps").pos, "`steps` belongs to a `repeat` step")

        sides = None
        if get("sides") is not None:
            sides = self.sides(get("sides"))
            if kind in ("repeat", "sound", "wait"):
                self.err(get("sides").pos, f"`sides` cannot go on a `{kind}` step")
        ctx = PlaceholderScope(
            sides=get("sides") is not None,
            in_repeat=outer.in_repeat,
            has_duration=kind in ("for", "rest"),
            has_breaths=kind == "breaths",
        )
        common: dict = {"pos": node.pos, "sides": sides}
        if get("title") is not None:
            title_ctx = PlaceholderScope(sides=ctx.sides, in_repeat=ctx.in_repeat, is_title=True)
            common["title"] = self.narration(get("title"), "title", title_ctx, pauses=False)
        for key in ("say", "brief"):
            if get(key) is not None:
                common[key] = self.narration(get(key), key, ctx)
        if get("brief") is not None and get("say") is None:
            self.err(get("brief").pos, "`brief` is the short form of `say`; add the `say` it shortens")
        for key, kinds_ok in (("setup", ("for", "breaths")), ("cues", ("for",)), ("breath_cues", ("breaths",))):
            if get(key) is not None and kind not in kinds_ok:
                where = " or ".join(f"`{k}`" for k in kinds_ok)
                self.err(get(key).pos, f"`{key}` belongs to a {where} step, not a {'spoken' if kind == 'spoken' else f'`{kind}`'} step")

        if kind == "spoken":
            if get("say") is None:
                near = get_close_matches("say", [k for k in node.keys()], n=1, cutoff=0.5)
                self.err(node.pos, "a spoken step needs `say`" + ("" if near else " (or a kind: for, breaths, rest, sound, wait, repeat)"))
                return None
            return Spoken(**common) if common.get("say") is not None else None
        value = get(kind)
        if kind == "for":
            length = self.span(value, "for")
            setup = self.duration(get("setup"), "setup", 600) if get("setup") is not None else None
            cues = self.cues(get("cues"), ctx) if get("cues") is not None else ()
            if length is None:
                return None
            return Hold(length=length, setup=setup, cues=cues, **common)
        if kind == "breaths":
            breaths = self.breath_count(value)
            setup = self.duration(get("setup"), "setup", 600) if get("setup") is not None else None
            bc = self.breath_cues(get("breath_cues"))
            if breaths is None:
                return None
            return BreathHold(breaths=breaths, setup=setup, breath_cues=bc, **common)
        if kind == "rest":
            length = self.span(value, "rest")
            return Rest(length=length, **common) if length is not None else None
        if kind == "sound":
            ref = self.sound(value, "sound")
            return PlaySound(sound=ref, **common) if ref is not None else None
        if kind == "wait":
            s = self.scalar(value, "wait")
            if s is not None and not (s.tag == "bool" and s.text.lower() in ("true", "yes", "on")):
                self.err(s.pos, f"wait takes only `true`, not {s.text!r}")
            return Wait(**common)
        # repeat
        times = self.number(value, "repeat", 1, MAX_REPEAT, whole=True)
        if get("steps") is None:
            self.err(node.pos, "a `repeat` step needs `steps`: the steps to repeat")
            return None
        for key in ("title", "say", "brief"):
            if get(key) is not None:
                self.err(get(key).pos, f"`{key}` cannot go on a `repeat` step; put it on a step inside `steps`")
        inner = self.steps(get("steps"), "repeat steps", PlaceholderScope(in_repeat=True))
        if times is None or not inner:
            return None
        return Repeat(times=int(times), steps=inner, pos=node.pos)

    def cues(self, node: YNode, ctx: PlaceholderScope) -> tuple[Cue, ...]:
        if not isinstance(node, YSeq):
            self.err(node.pos, f"cues must be a list, not {kind_name(node)}")
            return ()
        out = []
        for item in node.items:
            cue = self.cue(item, ctx)
            if cue is not None:
                out.append(cue)
        return tuple(out)

    def cue(self, node: YNode, ctx: PlaceholderScope) -> Cue | None:
        if not isinstance(node, YMap):
            self.err(node.pos, f"a cue must be a mapping such as {{at: half, say: Halfway}}, not {kind_name(node)}")
            return None
        self.check_keys(node, cue_keys(), "a cue")
        keys = set(node.keys()) & set(cue_keys())
        get = node.get
        shapes = [{"at", "say"}, {"at", "sound"}, {"countdown"}, {"every", "sound"}]
        if keys not in shapes:
            self.err(
                node.pos,
                "a cue is one of {at: T, say: TEXT}, {at: T, sound: NAME}, {countdown: N} or {every: T, sound: NAME}",
            )
            return None
        if "countdown" in keys:
            n = self.number(get("countdown"), "countdown", 1, 60, whole=True)
            return Countdown(node.pos, int(n)) if n is not None else None
        if "every" in keys:
            interval = self.duration(get("every"), "every", least=MIN_EVERY)
            ref = self.sound(get("sound"), "sound")
            return Every(node.pos, interval, ref) if interval is not None and ref is not None else None
        at = self.cue_time(get("at"))
        if "say" in keys:
            text = self.narration(get("say"), "cue", ctx)
            return SayCue(node.pos, at, text) if at is not None and text is not None else None
        ref = self.sound(get("sound"), "sound")
        return SoundCue(node.pos, at, ref) if at is not None and ref is not None else None
