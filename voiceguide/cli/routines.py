"""Commands that read routines without making audio: check, plan, list, new, schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ScriptError, VoiceguideError
from ..routine.settings import Overrides
from .app import app
from .options import (
    AmbientOpt, BreathOpt, CuesOpt, DeliveryOpt, EngineOpt, EstimateOpt, GuidanceOpt, HoldScaleOpt, PaceOpt, PresetOpt, RateOpt,
    VoiceOpt, _console, _display, choose, complete_routine, routine_paths, say_voice_note,
)

def _plan_file(path: Path, ov: Overrides, estimate: bool = False, progress=None):
    """The routine and its timeline; speech lengths measured from real clips unless estimating.

    A file with problems is still planned from its valid parts, so that the planner's own
    findings (a cue after the end of its hold, ...) are reported together with the rest."""
    from ..routine import load_partial

    routine, problems = load_partial(path, _display(path))
    if problems:
        raise ScriptError(problems + _plan_problems(routine, ov))
    if estimate:
        from ..plan.planner import plan
        from ..routine.settings import resolve

        return routine, plan(routine, resolve(routine, ov))
    from ..session.build import voiced_session

    sess = voiced_session(routine, ov, ov.engine or "auto", progress=progress)
    say_voice_note(sess.voice)
    return routine, sess.timeline


def _plan_problems(routine, ov: Overrides) -> list:
    """What the planner finds in a partly valid routine, leaving out what depends on speech lengths
    (those are only known from the real clips of a valid routine)."""
    from ..plan.planner import plan
    from ..routine.settings import resolve

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
    scripts: Annotated[
        list[str],
        typer.Argument(help="Routines to validate: names (daily-five) or files.", show_default=False,
                       autocompletion=complete_routine),
    ],
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
    from ..routine.lookup import UnknownRoutine, find_routine
    from ..text import format_length

    ov = choose(preset=preset, pace=pace, hold_scale=hold_scale, breath=breath, rate=rate, voice=voice, guidance=guidance,
                ambient=ambient, engine=engine, cues=cues, delivery=delivery)
    out, err = _console(), _console(stderr=True)
    failed = 0
    for arg in scripts:
        try:
            path = find_routine(arg)
            routine, timeline = _plan_file(path, ov, estimate)
        except ScriptError as exc:
            failed += 1
            for d in exc.diagnostics:
                err.print(str(d), markup=False)
            continue
        except UnknownRoutine as exc:
            failed += 1
            err.print(f"voiceguide: {exc}", markup=False)
            continue
        except VoiceguideError as exc:
            failed += 1
            err.print(f"{_display(path)}: {exc}", markup=False)
            continue
        out.print(
            f"{_display(path)}: ok: {routine.title!r}, {format_length(timeline.duration)}, "
            f"{timeline.chapter_count} chapters",
            markup=False,
        )
        for note in timeline.safety:
            out.print(f"  safety: {note}", markup=False)
    if failed:
        err.print(f"{failed} of {len(scripts)} routine(s) have problems", markup=False)
        raise typer.Exit(1)


@app.command("plan")
def plan_cmd(
    script: Annotated[
        str, typer.Argument(help="The routine: a name (daily-five) or a file.", show_default=False,
                            autocompletion=complete_routine),
    ],
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
    from .report import pace_line, pace_totals, plan_table

    ov = choose(preset=preset, pace=pace, hold_scale=hold_scale, breath=breath, rate=rate, voice=voice, guidance=guidance,
                ambient=ambient, engine=engine, cues=cues, delivery=delivery)
    routine, timeline = _plan_file(routine_paths([script])[0], ov, estimate)
    if svg is not None:
        from ..plan.svg import write_svg

        write_svg(timeline, svg)
        _console(stderr=as_json).print(f"wrote {_display(svg)}", markup=False)
    if as_json:
        sys.stdout.write(json.dumps(timeline.to_json(), indent=2, ensure_ascii=False) + "\n")
        return
    plan_table(timeline, _console())
    _console().print(pace_line(pace_totals(routine, timeline)), markup=False)


@app.command("list")
def list_cmd(
    folder: Annotated[
        Optional[Path], typer.Argument(help="List this folder's routine files instead of the routines by name.")
    ] = None,
) -> None:
    """List routines by name: where each comes from (here, yours, shipped), title, summary and length."""
    from .report import named_routine_rows, routine_rows, routines_table
    from ..routine.lookup import every_routine, user_routines_dir

    out = _console()
    if not out.is_terminal:
        out.width = 200  # piped: a row a line, nothing cut, for grep
    if folder is not None:
        if not folder.is_dir():
            raise VoiceguideError(f"{_display(folder)}: not a folder")
        rows = routine_rows(sorted(list(folder.glob("*.yaml")) + list(folder.glob("*.yml"))), _display)
        if not rows:
            out.print(f"no routines (*.yaml) in {_display(folder)}", markup=False)
            return
        routines_table(rows, out)
        return
    rows = named_routine_rows(every_routine(), _display)
    if rows:
        routines_table(rows, out, columns=("name", "from"))
    else:
        out.print("no routines here, in your routines folder or shipped", markup=False)
    out.print(f"play one by name: voiceguide play NAME; yours are in {_display(user_routines_dir())} "
              "(voiceguide new NAME --save)", markup=False)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Name of the new routine file (e.g. evening-stretch).", show_default=False)],
    save: Annotated[
        bool, typer.Option("--save", help="Write it into your routines folder, so that its name works from any folder.")
    ] = False,
) -> None:
    """Write a documented starter routine that passes `check`."""
    if not save:
        from ..routine.starter import write_starter

        path = write_starter(Path(name))
        _console().print(f"wrote {_display(path)}; edit it, then: voiceguide check {_display(path)}", markup=False)
        return
    from ..routine.starter import save_starter

    try:
        path, note = save_starter(name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="NAME") from None
    _console().print(f"wrote {_display(path)}; edit it, then: voiceguide check {path.stem}", markup=False)
    if note:
        _console().print(f"note: {note}", markup=False)


@app.command()
def schema() -> None:
    """Print the routine format's JSON Schema (for editors' YAML language server)."""
    from ..routine import schema as load_schema

    sys.stdout.write(json.dumps(load_schema(), indent=2) + "\n")
