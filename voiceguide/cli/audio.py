"""Commands that make sound: render (files), play (live), voices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ScriptError, VoiceguideError
from .app import app
from .options import (
    AmbientOpt, BreathOpt, CuesOpt, DeliveryOpt, EngineOpt, GuidanceOpt, HoldScaleOpt, PaceOpt, PresetOpt, RateOpt, VoiceOpt,
    ListenOpt, ListenSensitivityOpt, _console, _display, choose, complete_routine, routine_paths, say_voice_note,
)
from .options import RemoteHostOpt, RemoteOpt, RemotePortOpt, remote_address

@app.command()
def render(
    scripts: Annotated[list[str], typer.Argument(help="Routines to render: names (daily-five) or files.", show_default=False, autocompletion=complete_routine)],
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
    delivery: DeliveryOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", help="mp3 (ID3 tags, chapters), m4a (AAC, chapters), m4b (audiobook), opus or wav.")
    ] = "mp3",
    bitrate: Annotated[int, typer.Option("--bitrate", min=32, max=320, help="Bitrate in kbit/s (mp3, m4a, m4b, opus).")] = 64,
    jobs: Annotated[
        Optional[int], typer.Option("--jobs", "-j", min=1, help="Render this many routines at once (default: the number of cores).")
    ] = None,
) -> None:
    """Render routines to MP3, M4A/M4B, Opus or WAV with chapters, tags and synced transcripts (.srt, .vtt, .lrc).

    Several routines render in parallel, a line each; one that fails does not stop the others."""
    from ..export.formats import names

    fmt = fmt.lower()
    if fmt not in names():
        raise typer.BadParameter(f"choose one of {', '.join(names())}", param_hint="--format")
    ov = choose(preset=preset, pace=pace, hold_scale=hold_scale, breath=breath, rate=rate, voice=voice, guidance=guidance,
                ambient=ambient, engine=engine, cues=cues, delivery=delivery)
    out, err = _console(), _console(stderr=True)
    scripts = routine_paths(scripts)  # names (here, yours, shipped) and files, as files; an unknown name stops here
    if len(scripts) > 1:
        from .batchview import render_many

        if render_many(scripts, ov, out_dir, fmt, bitrate, jobs, out, err):
            raise typer.Exit(1)
        return
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
    from .progress import Progress
    from ..export.render import export
    from ..session.build import session
    from ..text import format_clock

    out, err = out or _console(), err or _console(stderr=True)
    with Progress(err, _display(path)) as bar:
        sess = session(path, ov, ov.engine or "auto", display=_display(path), progress=bar.speech)
        say_voice_note(sess.voice)
        result = export(sess, out_dir, fmt, bitrate, progress=bar.audio)
    size = result.size / 1_000_000
    out.print(
        f"{_display(result.path)}  {format_clock(result.duration)}  {size:.1f} MB  "
        f"{sess.timeline.chapter_count} chapters  ({sess.voice.describe()})",
        markup=False,
    )


@app.command()
def voices(
    more: Annotated[
        Optional[list[str]],
        typer.Argument(metavar="KEY", help="More voice keys for --get (--get KEY KEY...).", show_default=False),
    ] = None,
    language: Annotated[Optional[str], typer.Option("--language", "-l", help="Only voices for this language (e.g. en).")] = None,
    engine: EngineOpt = "auto",
    sample: Annotated[
        Optional[str], typer.Option("--sample", help="Render this text with each listed voice, to choose by ear.")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="Folder for the samples.")] = Path("output/voices"),
    rate: RateOpt = None,
    available: Annotated[
        bool, typer.Option("--available", help="List the Piper voices (--engine kokoro: Kokoro's) you can download (works offline), with licences.")
    ] = False,
    get: Annotated[
        Optional[list[str]],
        typer.Option("--get", metavar="KEY", help="Download these Piper or Kokoro voices by key (repeat, or give several) into the voices folder."),
    ] = None,
) -> None:
    """List the voices of the speech engine; with --sample, render a short sample per voice;
    with --available, the downloadable Piper voices; with --get KEY, install one."""
    if more and not get:
        raise typer.BadParameter(f"unexpected {more[0]!r}; voice keys follow --get", param_hint="KEY")
    if available and get:
        raise typer.BadParameter("give either --available or --get", param_hint="--get")
    if (available or get) and sample:
        raise typer.BadParameter("--sample lists installed voices; leave out --available and --get", param_hint="--sample")
    if get:
        _get_voices([*get, *(more or [])])
        return
    if available:
        _available(language, engine or "auto")
        return
    from rich.table import Table
    from rich.text import Text

    from ..voice import get_engine, voice_samples
    from ..voice.kokorofiles import kokoro_voices
    from ..voice.listing import voice_licence
    from ..voice.piper import neural_voices

    eng = get_engine(engine or "auto")
    found = [v for v in eng.voices() if not language or v.language.lower().startswith(language.lower())]
    neural = (neural_voices(language) + kokoro_voices(language)) if (engine or "auto") == "auto" else []  # beside the system voices
    if not found and not neural:
        raise VoiceguideError(f"no {eng.name} voices for language {language!r}")
    if sample:
        groups = [(eng.name, found)] + [(name, [v for v in neural if v.engine == name]) for name in ("piper", "kokoro")]
        for name, voices_of in groups:
            if voices_of:
                for v, path in voice_samples(eng if name == eng.name else get_engine(name), voices_of, sample, out_dir,
                                             rate or 150.0):
                    _console().print(f"{v.id:<24} {_display(path)}", markup=False)
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    licensed = bool(neural) or eng.name in ("piper", "kokoro")
    for col in ("voice", "name", "language", "gender") + (("engine", "licence") if licensed else ()):
        table.add_column(col, no_wrap=col == "voice")  # an id is typed after --voice: never cut
    for v in found + neural:
        table.add_row(Text(v.id), Text(v.name), Text(v.language), Text(v.gender),
                      *((Text(v.engine), Text(voice_licence(v))) if licensed else ()))
    out = _table_console()
    out.print(table)
    kokoro = sum(1 for v in neural if v.engine == "kokoro")
    note = f" and {len(neural) - kokoro} neural (piper; --voice ID uses it)" if len(neural) > kokoro else ""
    note += f" and {kokoro} Kokoro (--engine kokoro --voice ID)" if kokoro else ""
    variants = "; espeak voices also take variants: en-us+f3" if eng.name == "espeak" else ""
    _console().print(f"{len(found)} voices ({eng.name}, {eng.version()}){note}{variants}", markup=False)
    _console().print("more natural voices: voiceguide voices --available", markup=False)


def _table_console():
    """stdout for a table; piped, it is wide, so that each row is one line, nothing cut, for grep."""
    out = _console()
    if not out.is_terminal:
        out.width = 200
    return out


def _available(language: str | None, engine: str) -> None:
    from rich.table import Table
    from rich.text import Text

    from ..voice.listing import GET_HINT, available_summary, available_voices, kokoro_rows

    rows = kokoro_rows(language) if engine == "kokoro" else available_voices(language)
    if not rows:
        raise VoiceguideError(f"Kokoro has no voice for language {language!r} that voiceguide can speak")
    out = _table_console()
    table = Table(box=None, header_style="bold", pad_edge=False, collapse_padding=out.width < 120)  # fit 80 columns
    table.add_column("key", no_wrap=True, min_width=max(len(r.key) for r in rows))  # a key is typed: never cut
    for col in ("language", "quality", "gender", "MB", "licence", "installed"):
        table.add_column(col, justify="right" if col == "MB" else "left", no_wrap=col != "licence")  # licence wraps
    for r in rows:
        licence = Text(r.licence)
        if r.non_commercial:
            licence.append("  NON-COMMERCIAL", style="bold red")
        table.add_row(Text(r.key), Text(r.language), Text(r.quality), Text(r.gender or "-"), Text(r.size_mb),
                      licence, Text(r.installed_label, style="green" if r.installed else ""))
    out.print(table)
    if engine == "kokoro":
        here = sum(1 for r in rows if r.installed)
        out.print(f"{len(rows)} Kokoro voices, {here} here; get one with: {GET_HINT}", markup=False)
        return
    for line in available_summary(rows, language):
        out.print(line, markup=False)


def _get_voices(keys: list[str]) -> None:
    """Each key in turn; a failure is one line and the others still run; exit 1 if any failed."""
    from ..voice.catalogue import CatalogueError
    from ..voice.download import DownloadError, get_voice
    from ..voice.kokorofiles import LICENCE, downloaded_folder
    from ..voice.kokorovoices import get_kokoro_voice, is_kokoro_key
    from ..voice.listing import licence_label, licence_of_key
    from ..voice.piperfiles import voices_dir

    out, err = _console(), _console(stderr=True)
    failed = 0
    for key in keys:
        notes: list[str] = []  # get_voice's "already installed": then that is the one line to print
        kokoro = is_kokoro_key(key)
        folder = downloaded_folder() if kokoro else voices_dir()
        try:
            with _FetchBar(err, key, folder, out) as bar:
                get = get_kokoro_voice if kokoro else get_voice
                path = get(key, folder, progress=bar.update, note=notes.append)
        except (DownloadError, CatalogueError) as exc:
            failed += 1
            err.print(f"voiceguide: {exc}", markup=False, soft_wrap=True)
            continue
        licence = LICENCE if kokoro else (licence_label(licence_of_key(path.stem)) or "see its MODEL_CARD")
        use = f"--engine kokoro --voice {path.stem}" if kokoro else f"--voice {path.stem}"
        done = notes[0] if notes else f"installed {path.stem}: {path} (licence {licence}; use it with {use})"
        out.print(done, markup=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


class _FetchBar:
    """The download's progress on stderr: a bar with bytes and speed in a terminal, else a plain line
    per quarter. Its first call (0 of TOTAL, once the live catalogue named the files) says what is fetched."""

    def __init__(self, console, key: str, folder: Path, out):
        self.console, self.key, self.folder, self.out = console, key, folder, out
        self.bar = self.task = None
        self.started, self.quarter = False, 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()

    def update(self, done: int, total: int) -> None:
        if not self.started:
            self.started = True
            self.out.print(f"fetching {self.key} ({total / 1e6:.1f} MB) into {self.folder}", markup=False, soft_wrap=True)
            if self.console.is_terminal:
                from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                                           TransferSpeedColumn)

                self.bar = Progress(TextColumn(self.key), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                                    TimeRemainingColumn(), console=self.console, transient=True)
                self.bar.start()
                self.task = self.bar.add_task(self.key, total=total)
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total)
            return
        while total and self.quarter < 4 and done * 4 >= (self.quarter + 1) * total:
            self.quarter += 1
            self.console.print(f"{self.key}: {self.quarter * 25}% ({done / 1e6:.1f} of {total / 1e6:.1f} MB)",
                               markup=False)


@app.command()
def play(
    script: Annotated[str, typer.Argument(help="The routine to play: a name (daily-five) or a file.", show_default=False, autocompletion=complete_routine)],
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
    delivery: DeliveryOpt = None,
    backend: Annotated[
        Optional[str], typer.Option("--audio-backend", help="miniaudio backend, e.g. pulseaudio, alsa, null.", hidden=True)
    ] = None,
    remote: RemoteOpt = False,
    host: RemoteHostOpt = None,
    port: RemotePortOpt = None,
    listen: ListenOpt = False,
    listen_sensitivity: ListenSensitivityOpt = None,
) -> None:
    """Play a routine live, hands-free: speech and sounds through the speakers, the step and countdown on screen.

    Keys (in a terminal): space pauses and resumes, n skips to the next step, b goes back (to the
    step before in a step's first 3 s), r repeats the step, q quits; a `wait` step waits for any
    key. Without a terminal it runs unattended. With --remote, a phone on the local network follows
    and steers it (scan the printed QR code). With --listen, say "pause", "continue", "next",
    "back", "repeat" or "stop" while the session is silent."""
    import time

    started = time.monotonic()
    ov = choose(preset=preset, pace=pace, hold_scale=hold_scale, breath=breath, rate=rate, voice=voice, guidance=guidance,
                ambient=ambient, engine=engine, cues=cues, delivery=delivery, listen_sensitivity=listen_sensitivity)
    play_file(routine_paths([script])[0], ov, start_at, backend, started, remote=remote_address(remote, host, port),
              listen=listen)


def play_file(script: Path, ov, start_at: str | None = None, backend: str | None = None,
              started: float | None = None, remote: tuple[str, int] | None = None, listen: bool = False) -> None:
    """Play one routine file live: what `play` does, and `compose --play`. `remote`: (host, port)
    of a phone remote, bound and printed before the sound starts, closed however the session ends.
    In a terminal the session then waits for the phone (or a key), since the floor view covers the QR code.
    `listen`: obey spoken commands from the default microphone."""
    import sys
    import time

    from ..live.preload import preload_voice

    phone = listener = None
    try:
        preload_voice(script, ov, ov.engine or "auto").wait(2.0)  # the player is imported while it loads
        from ..live.ahead import prepare_live
        from ..live.output import MiniaudioOutput
        from ..live.view import play_session, wait_to_begin

        started = time.monotonic() if started is None else started
        ahead = prepare_live(script, ov, ov.engine or "auto", display=_display(script))
        say_voice_note(ahead.voice)
        if listen:
            from ..live.listen.controller import Listener
            from ..live.listen.vad import DEFAULT_SENSITIVITY

            sensitivity = DEFAULT_SENSITIVITY if ov.listen_sensitivity is None else ov.listen_sensitivity
            listener = Listener(sensitivity, backend)
            listener.load(ahead.settings.language)  # while the first words are synthesised
        phone = _open_remote(script, *remote) if remote else None  # once the routine is known to be good
        console = _console()
        if not console.is_terminal:
            console = _plain_console()
        elif phone and sys.stdin.isatty():  # the floor view would cover the QR code: let them scan it first
            if not wait_to_begin(phone.opened, console, "The session begins when your phone opens the page "
                                 "(or press any key to begin now; q to quit)."):
                return
            started = time.monotonic()
        controllers: list = [c for c in (phone, listener) if c is not None]
        play_session(ahead, MiniaudioOutput(backend=backend), console, start_at, started=started,
                     controllers=controllers)
    finally:
        if phone:
            phone.close()
        if listener:  # closed by the session once started; before that, its models may still be loading
            listener.close()


def _open_remote(script: Path, host: str, port: int):
    """The phone remote, serving, its address and QR code printed (the floor view covers the screen later)."""
    import sys

    from ..web.remote import Remote

    phone = Remote(host, port).open()
    print(phone.banner(f"voiceguide play {_display(script)} --remote", ansi=sys.stdout.isatty()), flush=True)
    return phone


def _plain_console():
    from rich.console import Console

    class Flushing(Console):
        def print(self, *args, **kw):
            super().print(*args, **kw)
            self.file.flush()

    return Flushing(highlight=False, soft_wrap=True)
