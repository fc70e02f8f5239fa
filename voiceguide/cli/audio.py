"""Commands that make sound: render (files), play (live), voices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ScriptError, VoiceguideError
from .app import app
from .options import (
    AmbientOpt, BreathOpt, CuesOpt, EngineOpt, GuidanceOpt, HoldScaleOpt, PaceOpt, PresetOpt, RateOpt, VoiceOpt,
    _console, _display, choose,
)

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
    from ..sink import FORMATS

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    ov = choose(pace, hold_scale, breath, rate, voice, guidance, ambient, engine, preset, cues)
    out, err = _console(), _console(stderr=True)
    failed = 0
    for path in scripts:
        try:
            render_file(path, ov, out_dir, fmt, bitrate, out, err)
        except ScriptError as exc:
            failed += 1
            for d in exc.diagnostics:
                err.print(str(d), markup=False)
    if failed:
        raise typer.Exit(1)


def render_file(path: Path, ov, out_dir: Path, fmt: str = "mp3", bitrate: int = 64, out=None, err=None) -> None:
    """Render one routine file and print its line: what `render` does for each file, and `compose --render`."""
    from ..progress import Progress
    from ..render import export, session
    from ..text import format_clock

    out, err = out or _console(), err or _console(stderr=True)
    with Progress(err, _display(path)) as bar:
        sess = session(path, ov, ov.engine or "auto", display=_display(path), progress=bar.speech)
        result = export(sess, out_dir, fmt, bitrate, progress=bar.audio)
    size = result.size / 1_000_000
    out.print(
        f"{_display(result.path)}  {format_clock(result.duration)}  {size:.1f} MB  "
        f"{len(sess.timeline.chapters)} chapters  ({sess.voice.describe()})",
        markup=False,
    )


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

    from ..voice import get_engine, voice_samples
    from ..voice.piper import neural_voices

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

    started = time.monotonic()
    ov = choose(pace, hold_scale, breath, rate, voice, guidance, ambient, engine, preset, cues)
    play_file(script, ov, start_at, backend, started)


def play_file(script: Path, ov, start_at: str | None = None, backend: str | None = None,
              started: float | None = None) -> None:
    """Play one routine file live: what `play` does, and `compose --play`."""
    import time

    from ..live import MiniaudioOutput, prepare_live
    from ..liveview import play_session

    started = time.monotonic() if started is None else started
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
