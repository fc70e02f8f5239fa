"""Commands that read routines without making audio: check, plan, list, new, schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ScriptError, VoiceguideError
from ..settings import Overrides
from .app import app
from .options import (
    AmbientOpt, BreathOpt, CuesOpt, DeliveryOpt, EngineOpt, EstimateOpt, GuidanceOpt, HoldScaleOpt, PaceOpt, PresetOpt, RateOpt,
    VoiceOpt, _console, _display, choose, say_voice_note,
)

def _plan_file(path: Path, ov: Overrides, estimate: bool = False, progress=None):
    """The routine and its timeline; speech lengths measured from real clips unless estimating.

    A file with problems is still planned from its valid parts, so that the planner's own
    findings (a cue after the end of its hold, ...) are reported together with the rest."""
    from ..script import load_partial

    routine, problems = load_partial(path, _display(path))
    if problems:
        raise ScriptError(problems + _plan_problems(routine, ov))
    if estimate:
        from ..plan import plan
        from ..settings import resolve

        return routine, plan(routine, resolve(routine, ov))
    from ..render import voiced_session

    sess = voiced_session(routine, ov, ov.engine or "auto", progress=progress)
    say_voice_note(sess.voice)
    return routine, sess.timeline


def _plan_problems(routine, ov: Overrides) -> list:
    """What the planner finds in a partly valid routine, leaving out what depends on speech lengths
    (those are only known from the real clips of a valid routine)."""
    from ..plan import plan
    from ..settings import resolve

    if routine is None or not routine.steps:
        return []
    try:
        plan(routine, resolve(routine, ov))
    except ScriptError as exc:
        length_bound = ("overlaps", "overflows", "takes")
        return [d for d in exc.diagnostics if not any(w in d.message for w in length_bound)]
    except VoiceguideError:
        return []
    return []



@app.command()
def check(
    scripts: Annotated[list[Path], typer.Argument(help="Routine files to validate.", show_default=False)],
    pace: PaceOpt = None,
    hold_scale: HoldScaleOpt = None,
    breath: BreathOpt = None,
    rate: RateOpt = None,
    voice: VoiceOpt = None,
    engine: EngineOpt = None,
    guidance: GuidanceOpt = None,
    ambient: AmbientOpt = None,
    preset: PresetOpt = None,
    cues: CuesOpt = None,
    delivery: DeliveryOpt = None,
    estimate: EstimateOpt = False,
) -> None:
    """Validate routines: every problem with FILE:LINE:COLUMN; safety notes and total length when fine."""
    from ..text import format_length

    ov = choose(pace, hold_scale, breath, rate, voice, guidance, ambient, engine, preset, cues, delivery)
    out, err = _console(), _console(stderr=True)
    failed = 0
    for path in scripts:
        try:
            routine, timeline = _plan_file(path, ov, estimate)
        except ScriptError as exc:
            failed += 1
            for d in exc.diagnostics:
                err.print(str(d), markup=False)
            continue
        except VoiceguideError as exc:
            failed += 1
            err.print(f"{_display(path)}: {exc}", markup=False)
            continue
        steps = len(timeline.chapters) - (1 if timeline.chapters and timeline.chapters[0].title == "Introduction" else 0)
        out.print(
            f"{_display(path)}: ok: {routine.title!r}, {format_length(timeline.duration)}, {steps} chapters",
            markup=False,
        )
        for note in timeline.safety:
            out.print(f"  safety: {note}", markup=False)
    if failed:
        err.print(f"{failed} of {len(scripts)} routine(s) have problems", markup=False)
        raise typer.Exit(1)


@app.command("plan")
def plan_cmd(
    script: Annotated[Path, typer.Argument(help="The routine file.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON (the format's timeline section).")] = False,
    svg: Annotated[
        Optional[Path], typer.Option("--svg", help="Also draw the timeline to this file (SVG): a strip per step, to scale.")
    ] = None,
    pace: PaceOpt = None,
    hold_scale: HoldScaleOpt = None,
    breath: BreathOpt = None,
    rate: RateOpt = None,
    voice: VoiceOpt = None,
    engine: EngineOpt = None,
    guidance: GuidanceOpt = None,
    ambient: AmbientOpt = None,
    preset: PresetOpt = None,
    cues: CuesOpt = None,
    delivery: DeliveryOpt = None,
    estimate: EstimateOpt = False,
) -> None:
    """Show the timeline: every event with its clock time, and the total."""
    from ..report import plan_table

    ov = choose(pace, hold_scale, breath, rate, voice, guidance, ambient, engine, preset, cues, delivery)
    routine, timeline = _plan_file(script, ov, estimate)
    if svg is not None:
        from ..svg import write_svg

        write_svg(timeline, svg)
        _console(stderr=as_json).print(f"wrote {_display(svg)}", markup=False)
    if as_json:
        sys.stdout.write(json.dumps(timeline.to_json(), indent=2, ensure_ascii=False) + "\n")
        return
    plan_table(timeline, _console())
    _console().print(_pace_totals(routine, timeline.settings), markup=False)


def _pace_totals(routine, settings) -> str:
    """The same routine at each named pace (speech estimated), to show what pace does."""
    from dataclasses import replace

    from ..plan import plan
    from ..settings import PACES
    from ..text import format_length

    parts = []
    for name, value in PACES.items():
        try:
            total = plan(routine, replace(settings, pace=value)).duration
            parts.append(f"{name} {format_length(total)}")
        except ScriptError:
            parts.append(f"{name} (does not fit)")
    return "at other paces (speech estimated): " + ", ".join(parts)


@app.command("list")
def list_cmd(
    folder: Annotated[Optional[Path], typer.Argument(help="Folder of routines (default: ./scripts, else the shipped ones).")] = None,
) -> None:
    """List routines with their title, summary and length."""
    from ..report import routine_rows, routines_table
    from ..script import shipped_scripts_dir

    if folder is None:
        folder = Path("scripts") if Path("scripts").is_dir() else shipped_scripts_dir()
    if not folder.is_dir():
        raise VoiceguideError(f"{_display(folder)}: not a folder")
    rows = routine_rows(sorted(list(folder.glob("*.yaml")) + list(folder.glob("*.yml"))), _display)
    if not rows:
        _console().print(f"no routines (*.yaml) in {_display(folder)}", markup=False)
        return
    routines_table(rows, _console())


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Name of the new routine file (e.g. evening-stretch).", show_default=False)],
) -> None:
    """Write a documented starter routine that passes `check`."""
    from ..starter import write_starter

    path = write_starter(Path(name))
    _console().print(f"wrote {_display(path)}; edit it, then: voiceguide check {_display(path)}", markup=False)


@app.command()
def schema() -> None:
    """Print the routine format's JSON Schema (for editors' YAML language server)."""
    from ..script import schema as load_schema

    sys.stdout.write(json.dumps(load_schema(), indent=2) + "\n")
