"""Commands around the sessions: serve them, check the machine, show and change settings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .entry import Terminated, _interrupted
from .options import PresetOpt, _console, _display, choose, complete_routine, routine_paths

@app.command()
def serve(
    folder: Annotated[Path, typer.Argument(help="The folder of rendered sessions.")] = Path("output"),
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on: 0.0.0.0 is the local network, 127.0.0.1 this machine only.")
    ] = "0.0.0.0",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free port).")] = 8765,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not log each request.")] = False,
) -> None:
    """Serve the rendered sessions on the local network: a podcast feed, the MP3s, and a page to play them.

    Read-only, and only the files of the folder. Anyone on your network can listen while it runs;
    --host 127.0.0.1 keeps it on this machine. Ctrl-C stops it."""
    from ..web.serve import banner, make_server

    def log(message: str) -> None:
        if not quiet:
            print(message, file=sys.stderr, flush=True)

    server = make_server(folder, host, port, log=log)
    print(banner(server, _display(folder), ansi=sys.stdout.isatty()), flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, Terminated):
        _interrupted.clear()
        print("voiceguide: server stopped", file=sys.stderr)
    finally:
        server.server_close()


@app.command()
def doctor(
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="The output folder to check.")] = Path("output"),
) -> None:
    """Check the speech engines, ffmpeg, the audio output, and the cache and output folders."""
    from .doctor import findings

    console = _console()
    failed = False
    for f in findings(out_dir):
        mark = "ok " if f.ok else ("FIX" if f.needed else "-- ")
        console.print(f"{mark} {f.what:<22} {f.detail}", markup=False)
        if not f.ok and f.fix:
            console.print(f"    {'':<22} fix: {f.fix}", markup=False)
        failed |= f.needed and not f.ok
    if failed:
        raise typer.Exit(1)


config_app = typer.Typer(help="Show or change your settings (a TOML file in your config folder).", no_args_is_help=False)
app.add_typer(config_app, name="config")


@config_app.callback(invoke_without_command=True)
def config_show(
    ctx: typer.Context,
    script: Annotated[
        Optional[str], typer.Option("--routine", "-r", help="Show the settings as they apply to this routine (a name or a file).",
                                    autocompletion=complete_routine)
    ] = None,
    preset: PresetOpt = None,
) -> None:
    """Print every effective setting and where it came from (command line, preset, config, routine, default)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table
    from rich.text import Text

    from ..routine import load_routine
    from .config import config_path
    from ..routine.settings import explain

    ov = choose(preset=preset)
    path = routine_paths([script])[0] if script is not None else None
    routine = load_routine(path, _display(path)) if path is not None else None
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("setting", "value", "from"):
        table.add_column(col)
    for key, value, source in explain(routine, ov):
        table.add_row(Text(key), Text(value), Text(source))
    console = _console()
    console.print(table)
    console.print(f"config file: {config_path()}", markup=False)


@config_app.command("set")
def config_set(
    key: Annotated[str, typer.Argument(help="A setting (pace, hold_scale, breath, rate, voice, guidance, ambient, engine, cues) or presets.NAME.SETTING.")],
    value: Annotated[str, typer.Argument(help="Its value, e.g. gentle, 1.5, 4-7-8, en-us+f3.")],
) -> None:
    """Write a setting to your config file."""
    from .config import set_config_value

    path = set_config_value(key, value)
    _console().print(f"{key} = {value}  ({_display(path)})", markup=False)
