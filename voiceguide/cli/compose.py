"""Commands that make routines from the library of moves: compose (a session for today), moves (the library)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .options import EngineOpt, _console, _display, choose


@app.command()
def compose(
    minutes: Annotated[float, typer.Option("--minutes", "-m", help="How long the session lasts, in minutes (5 to 90 work).", show_default=False)],
    focus: Annotated[Optional[str], typer.Option("--focus", help="Areas to spend most of the time on, e.g. glutes,hamstrings or hips (default: the whole body).")] = None,
    equipment: Annotated[Optional[str], typer.Option("--equipment", help="What you have at hand, e.g. roller,ball; none: the floor alone (the default).")] = None,
    level: Annotated[Optional[str], typer.Option("--level", help="beginner (the default) or intermediate (adds stronger moves).")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Another seed, another session (default: today's date).")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="The routine file to write (default: compose-YYYY-MM-DD.yaml).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the file, its length and its moves as JSON.")] = False,
    render_it: Annotated[bool, typer.Option("--render", help="Go on to render the session to output/.")] = False,
    play_it: Annotated[bool, typer.Option("--play", help="Go on to play the session live.")] = False,
    no_history: Annotated[bool, typer.Option("--no-history", help="Neither avoid the moves of recent sessions nor remember this one.")] = False,
    engine: EngineOpt = None,
    backend: Annotated[Optional[str], typer.Option("--audio-backend", help="miniaudio backend for --play.", hidden=True)] = None,
) -> None:
    """Compose a fresh routine of the length, focus and equipment you have today, timed with the real voice.

    The same seed gives the same session; the default seed is today's date, and a new day's session
    avoids the moves of your last few sessions where it can."""
    from ..compose import compose as make, parse_request, voiced
    from ..compose.history import avoid, read_history, remember, write_history
    from ..fsutil import atomic_write_text
    from ..routine.settings import resolve_defaults

    if render_it and play_it:
        raise typer.BadParameter("choose one of --render and --play", param_hint="--render")
    today = date.today()
    request = parse_request(minutes, focus, equipment, level, seed, today)
    path = output if output is not None else Path(f"compose-{today.isoformat()}.yaml")
    ov = choose(engine=engine)
    history = () if no_history else read_history()
    composed = make(request, voiced(ov, ov.engine or "auto"), path,
                    avoid=avoid(history, request.seed), settings=resolve_defaults(ov))
    try:
        atomic_write_text(path, composed.text)
    except OSError as exc:
        from ..errors import VoiceguideError

        raise VoiceguideError(f"{_display(path)}: cannot write ({exc.strerror or exc})") from None
    if not no_history:
        write_history(remember(history, request.seed, tuple(m.id for m in composed.moves), today))
    if as_json:
        sys.stdout.write(json.dumps(composed.to_json(_display(path)), indent=2, ensure_ascii=False) + "\n")
    else:
        from ..text import format_clock

        _console().print(
            f"wrote {_display(path)}: {composed.text.split('title: ', 1)[1].splitlines()[0]}, "
            f"{format_clock(composed.duration)}, {len(composed.moves)} moves (seed {request.seed})",
            markup=False,
        )
    if render_it:
        from .audio import render_file

        render_file(path, ov, Path("output"), out=_console(stderr=as_json))
    elif play_it:
        from .audio import play_file

        play_file(path, ov, backend=backend)


@app.command()
def moves(
    area: Annotated[Optional[str], typer.Option("--area", help="Only moves that work this area (hips: glutes, piriformis, hip-flexors).")] = None,
    equipment: Annotated[Optional[str], typer.Option("--equipment", help="Only moves that can be done with this equipment (comma-separated; none: the floor alone).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the moves as a JSON list.")] = False,
) -> None:
    """List the library of moves that compose chooses from."""
    from ..compose.request import parse_request
    from ..compose.library import load_moves

    asked = parse_request(1, area, equipment)
    found = [m for m in load_moves()
             if (not asked.focus or set(m.areas) & set(asked.focus)) and (equipment is None or m.fits(asked.equipment))]
    if as_json:
        rows = [
            {"id": m.id, "title": m.title, "areas": list(m.areas), "position": m.position,
             "equipment": list(m.equipment), "sides": list(m.sides) if m.sides else None, "kind": m.kind,
             "level": m.level, "phases": list(m.phases), "hold": {"unit": m.hold.unit, "low": m.hold.low, "high": m.hold.high},
             "seeds": list(m.seeds)}
            for m in found
        ]
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("move", "areas", "position", "equipment", "kind", "level", "hold"):
        table.add_column(col)
    for m in found:
        unit = " breaths" if m.hold.unit == "breaths" else "s"
        table.add_row(Text(m.id), Text(", ".join(m.areas)), Text(m.position), Text(", ".join(m.equipment)),
                      Text(m.kind), Text(m.level), Text(f"{m.hold.low:g}-{m.hold.high:g}{unit}{' x2' if m.sides else ''}"))
    _console().print(table)
    _console().print(f"{len(found)} of {len(load_moves())} moves", markup=False)
