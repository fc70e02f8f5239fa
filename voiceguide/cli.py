"""The command line: parse options, call the library, print results. Nothing else lives here."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__
from .errors import ScriptError, VoiceguideError
from .settings import Overrides

app = typer.Typer(
    name="voiceguide",
    help="Turn a written routine into a voice-guided audio session.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# ------------------------------------------------------------------ shared options


PaceOpt = Annotated[
    Optional[str],
    typer.Option("--pace", help="gentle, normal, brisk or a number from 0.5 to 2.0 (speech, gaps, breaths, ranges)."),
]
HoldScaleOpt = Annotated[
    Optional[float],
    typer.Option("--hold-scale", min=0.25, max=4.0, help="Lengthen (>1) or shorten (<1) every hold by this factor."),
]
BreathOpt = Annotated[
    Optional[str], typer.Option("--breath", help="Breath pattern in seconds at pace 1.0: in-out (4-6) or in-hold-out (4-7-8).")
]
RateOpt = Annotated[
    Optional[float], typer.Option("--rate", min=60, max=400, help="Speech rate in words per minute at pace 1.0.")
]
VoiceOpt = Annotated[Optional[str], typer.Option("--voice", help="Voice id, name or language (e.g. en-us, en-us+f3).")]


def choose(pace=None, hold_scale=None, breath=None, rate=None, voice=None, guidance=None, ambient=None,
           engine=None, preset=None, cues=None) -> Overrides:
    """The command line's choices over the chosen preset over the user's config file."""
    from .settings import load_config, merge, parse_value

    given = {"pace": pace, "hold_scale": hold_scale, "breath": breath, "rate": rate, "voice": voice,
             "guidance": guidance, "ambient": ambient, "engine": engine, "cues": cues}
    parsed = {}
    for key, value in given.items():
        if value is None:
            continue
        try:
            parsed[key] = parse_value(key, value, Path.cwd())
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint=f"--{key.replace('_', '-')}") from None
    try:
        return merge(Overrides(**parsed), load_config(), preset)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--preset") from None


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=not sys.stdout.isatty())


def _display(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


EngineOpt = Annotated[
    Optional[str],
    typer.Option("--engine", help="Speech engine: auto, espeak, pyttsx3 or piper (neural: pip install 'voiceguide[neural]')."),
]
CuesOpt = Annotated[
    Optional[str],
    typer.Option("--cues", help="A folder of your own recordings of phrases ('switch sides.wav'): they replace the voice for those phrases."),
]
GuidanceOpt = Annotated[
    Optional[str],
    typer.Option("--guidance", help="full (all narration), brief (short forms), minimal (titles, cues, countdowns)."),
]
AmbientOpt = Annotated[
    Optional[str], typer.Option("--ambient", help="A background bed under the session: a built-in name or a sound file.")
]
PresetOpt = Annotated[Optional[str], typer.Option("--preset", help="A named preset from your config file.")]
EstimateOpt = Annotated[
    bool, typer.Option("--estimate", help="Estimate speech lengths from word counts instead of rendering speech.")
]


def _plan_file(path: Path, ov: Overrides, estimate: bool = False, progress=None):
    """The routine and its timeline; speech lengths measured from real clips unless estimating.

    A file with problems is still planned from its valid parts, so that the planner's own
    findings (a cue after the end of its hold, ...) are reported together with the rest."""
    from .script import load_partial

    routine, problems = load_partial(path, _display(path))
    if problems:
        raise ScriptError(problems + _plan_problems(routine, ov))
    if estimate:
        from .plan import plan
        from .settings import resolve

        return routine, plan(routine, resolve(routine, ov))
    from .render import voiced_session

    return routine, voiced_session(routine, ov, ov.engine or "auto", progress=progress).timeline


def _plan_problems(routine, ov: Overrides) -> list:
    """What the planner finds in a partly valid routine, leaving out what depends on speech lengths
    (those are only known from the real clips of a valid routine)."""
    from .plan import plan
    from .settings import resolve

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


# ------------------------------------------------------------------ commands


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
    estimate: EstimateOpt = False,
) -> None:
    """Validate routines: every problem with FILE:LINE:COLUMN; safety notes and total length when fine."""
    from .text import format_length

    ov = choose(pace, hold_scale, breath, rate, voice, guidance, ambient, engine, preset, cues)
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
    estimate: EstimateOpt = False,
) -> None:
    """Show the timeline: every event with its clock time, and the total."""
    from .report import plan_table

    ov = choose(pace, hold_scale, breath, rate, voice, guidance, ambient, engine, preset, cues)
    routine, timeline = _plan_file(script, ov, estimate)
    if svg is not None:
        from .svg import write_svg

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

    from .plan import plan
    from .settings import PACES
    from .text import format_length

    parts = []
    for name, value in PACES.items():
        try:
            total = plan(routine, replace(settings, pace=value)).duration
            parts.append(f"{name} {format_length(total)}")
        except ScriptError:
            parts.append(f"{name} (does not fit)")
    return "at other paces (speech estimated): " + ", ".join(parts)


@app.command()
def render(
    scripts: Annotated[list[Path], typer.Argument(help="Routine files to render.", show_default=False)],
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="Folder for the rendered files.")] = Path("output"),
    voice: VoiceOpt = None,
    rate: RateOpt = None,
    pace: PaceOpt = None,
    hold_scale: HoldScaleOpt = None,
    breath: BreathOpt = None,
    engine: EngineOpt = None,
    guidance: GuidanceOpt = None,
    ambient: AmbientOpt = None,
    preset: PresetOpt = None,
    cues: CuesOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="mp3 (tagged, with chapters) or wav.")] = "mp3",
    bitrate: Annotated[int, typer.Option("--bitrate", min=32, max=320, help="MP3 bitrate in kbit/s.")] = 64,
) -> None:
    """Render routines to MP3 (or WAV) with chapters, tags and a synced transcript (.srt, .lrc)."""
    from .progress import Progress
    from .render import export, session
    from .sink import FORMATS
    from .text import format_clock

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    ov = choose(pace, hold_scale, breath, rate, voice, guidance, ambient, engine, preset, cues)
    out, err = _console(), _console(stderr=True)
    failed = 0
    for path in scripts:
        try:
            with Progress(err, _display(path)) as bar:
                sess = session(path, ov, ov.engine or "auto", display=_display(path), progress=bar.speech)
                result = export(sess, out_dir, fmt, bitrate, progress=bar.audio)
        except ScriptError as exc:
            failed += 1
            for d in exc.diagnostics:
                err.print(str(d), markup=False)
            continue
        size = result.size / 1_000_000
        out.print(
            f"{_display(result.path)}  {format_clock(result.duration)}  {size:.1f} MB  "
            f"{len(sess.timeline.chapters)} chapters  ({sess.voice.describe()})",
            markup=False,
        )
    if failed:
        raise typer.Exit(1)


@app.command()
def voices(
    language: Annotated[Optional[str], typer.Option("--language", "-l", help="Only voices for this language (e.g. en).")] = None,
    engine: EngineOpt = "auto",
    sample: Annotated[
        Optional[str], typer.Option("--sample", help="Render this text with each listed voice, to choose by ear.")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="Folder for the samples.")] = Path("output/voices"),
    rate: RateOpt = None,
) -> None:
    """List the voices of the speech engine; with --sample, render a short sample per voice."""
    from rich.table import Table
    from rich.text import Text

    from .voice import get_engine, voice_samples
    from .voice.piper import neural_voices

    eng = get_engine(engine or "auto")
    found = [v for v in eng.voices() if not language or v.language.lower().startswith(language.lower())]
    neural = neural_voices(language) if (engine or "auto") == "auto" else []  # beside the system voices
    if not found and not neural:
        raise VoiceguideError(f"no {eng.name} voices for language {language!r}")
    if sample:
        for name, voices_of in ((eng.name, found), ("piper", neural)):
            if voices_of:
                for v, path in voice_samples(eng if name == eng.name else get_engine(name), voices_of, sample, out_dir,
                                             rate or 150.0):
                    _console().print(f"{v.id:<24} {_display(path)}", markup=False)
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("voice", "name", "language", "gender") + (("engine",) if neural else ()):
        table.add_column(col)
    for v in found + neural:
        table.add_row(Text(v.id), Text(v.name), Text(v.language), Text(v.gender), *((Text(v.engine),) if neural else ()))
    _console().print(table)
    note = f" and {len(neural)} neural (piper; --voice ID uses it)" if neural else ""
    variants = "; espeak voices also take variants: en-us+f3" if eng.name == "espeak" else ""
    _console().print(f"{len(found)} voices ({eng.name}, {eng.version()}){note}{variants}", markup=False)


@app.command()
def play(
    script: Annotated[Path, typer.Argument(help="The routine to play.", show_default=False)],
    start_at: Annotated[
        Optional[str], typer.Option("--from", help="Start at a step: its number (1 = first step) or its title.")
    ] = None,
    voice: VoiceOpt = None,
    rate: RateOpt = None,
    pace: PaceOpt = None,
    hold_scale: HoldScaleOpt = None,
    breath: BreathOpt = None,
    engine: EngineOpt = None,
    guidance: GuidanceOpt = None,
    ambient: AmbientOpt = None,
    preset: PresetOpt = None,
    cues: CuesOpt = None,
    backend: Annotated[
        Optional[str], typer.Option("--audio-backend", help="miniaudio backend, e.g. pulseaudio, alsa, null.", hidden=True)
    ] = None,
) -> None:
    """Play a routine live, hands-free: speech and sounds through the speakers, the step and countdown on screen.

    Keys (in a terminal): space pauses and resumes, n skips to the next step, b goes back to the
    start of the step, q quits; a `wait` step waits for any key. Without a terminal it runs unattended."""
    import time

    from .live import MiniaudioOutput, prepare_live
    from .liveview import play_session

    started = time.monotonic()
    ov = choose(pace, hold_scale, breath, rate, voice, guidance, ambient, engine, preset, cues)
    ahead = prepare_live(script, ov, ov.engine or "auto", display=_display(script))
    console = _console()
    if not console.is_terminal:
        console = _plain_console()
    play_session(ahead, MiniaudioOutput(backend=backend), console, start_at, started=started)


def _plain_console():
    from rich.console import Console

    class Flushing(Console):
        def print(self, *args, **kw):
            super().print(*args, **kw)
            self.file.flush()

    return Flushing(highlight=False, soft_wrap=True)


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
    from .serve import banner, make_server

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


@app.command("list")
def list_cmd(
    folder: Annotated[Optional[Path], typer.Argument(help="Folder of routines (default: ./scripts, else the shipped ones).")] = None,
) -> None:
    """List routines with their title, summary and length."""
    from .report import routine_rows, routines_table
    from .script import shipped_scripts_dir

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
    from .starter import write_starter

    path = write_starter(Path(name))
    _console().print(f"wrote {_display(path)}; edit it, then: voiceguide check {_display(path)}", markup=False)


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
        Optional[Path], typer.Option("--routine", "-r", help="Show the settings as they apply to this routine.")
    ] = None,
    preset: PresetOpt = None,
) -> None:
    """Print every effective setting and where it came from (command line, preset, config, routine, default)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table
    from rich.text import Text

    from .script import load_routine
    from .settings import config_path, explain

    ov = choose(preset=preset)
    routine = load_routine(script, _display(script)) if script is not None else None
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
    from .settings import set_config_value

    path = set_config_value(key, value)
    _console().print(f"{key} = {value}  ({_display(path)})", markup=False)


@app.command()
def schema() -> None:
    """Print the routine format's JSON Schema (for editors' YAML language server)."""
    from .script import schema as load_schema

    sys.stdout.write(json.dumps(load_schema(), indent=2) + "\n")


def _version(value: bool) -> None:
    if value:
        print(f"voiceguide {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = None,
) -> None:
    """Turn a written routine into a voice-guided audio session."""


# ------------------------------------------------------------------ entry point


class Terminated(BaseException):
    """SIGTERM, turned into an exception so that every clean-up (temporary files, the encoder,
    the audio device, the terminal) runs exactly as for Ctrl-C."""


def _on_sigterm(signum, frame):
    raise Terminated()


_interrupted: list[int] = []


def _on_sigint(signum, frame):
    _interrupted.append(signum)  # typer turns Ctrl-C into a plain exit code 130; remember it was one
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; expected failures print a message (no traceback) and exit non-zero."""
    import signal

    with contextlib.suppress(ValueError):  # not in the main thread (e.g. tests calling main): leave it
        signal.signal(signal.SIGTERM, _on_sigterm)
        signal.signal(signal.SIGINT, _on_sigint)
    interrupted = "voiceguide: interrupted; nothing half-written was left behind"
    try:
        result = app(args=argv, prog_name="voiceguide", standalone_mode=False)
        if _interrupted:
            print(interrupted, file=sys.stderr)
            return 130
        return result if isinstance(result, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        print(interrupted, file=sys.stderr)
        return 130
    except Terminated:
        print("voiceguide: terminated; nothing half-written was left behind", file=sys.stderr)
        return 143
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except ScriptError as exc:
        for d in exc.diagnostics:
            print(str(d), file=sys.stderr)
        return 1
    except VoiceguideError as exc:
        print(f"voiceguide: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")
        return 1
    except Exception as exc:
        if hasattr(exc, "show") and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()  # a usage error from the option parser (typer/click): it prints its own message
            return exc.exit_code
        # a bug: say so briefly, keep the traceback for those who ask
        if os.environ.get("VOICEGUIDE_DEBUG"):
            raise
        print(
            f"voiceguide: internal error: {type(exc).__name__}: {exc}\n"
            "  (this is a bug; run again with VOICEGUIDE_DEBUG=1 for details and report it)",
            file=sys.stderr,
        )
        return 70


