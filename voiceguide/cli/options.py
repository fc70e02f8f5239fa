"""The options every routine command shares, and how the command line's choices meet the config file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..routine.settings import Overrides


def complete_routine(incomplete: str) -> list[tuple[str, str]]:
    """Shell completion for SCRIPT: routine names with where each comes from (files when none match)."""
    from ..routine.lookup import routine_names

    return routine_names(incomplete)


def complete_voice(incomplete: str) -> list[str]:
    """Shell completion for --voice: installed Piper voices, the catalogue's keys, Kokoro's voices
    (shipped, downloadable), female and male."""
    from ..voice.kokorofiles import catalogue
    from ..voice.piperfiles import voice_words

    words = dict.fromkeys([*voice_words(), *catalogue()])
    return [w for w in words if w.startswith(incomplete)]


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
VoiceOpt = Annotated[
    Optional[str],
    typer.Option("--voice", help="Voice id, name or language (e.g. en-us, en-us+f3).", autocompletion=complete_voice),
]



def choose(*, preset: str | None = None, **given) -> Overrides:
    """The command line's choices (`given`: any of the choosable settings, as typed) over the chosen
    preset over the user's config file."""
    from .config import load_config
    from ..routine.settings import CHOOSABLE, merge, parse_value

    unknown = sorted(set(given) - set(CHOOSABLE))
    if unknown:
        raise TypeError(f"choose() got settings that cannot be chosen: {', '.join(unknown)}")
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


_said: set[str] = set()


def say_voice_note(voice) -> None:
    """Once per run, on stderr: how to get the natural voice when the system voice speaks instead."""
    if voice.note and voice.note not in _said:
        _said.add(voice.note)
        print(f"voiceguide: {voice.note}", file=sys.stderr, flush=True)


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=not sys.stdout.isatty())


def _display(path: Path) -> str:
    """A path as the user would read it: relative to the working directory when inside it; a shipped
    routine or one of yours by a short name (see routine.lookup.display_name)."""
    from ..routine.lookup import display_name

    return display_name(path)


def routine_paths(args: list[str]) -> list[Path]:
    """SCRIPT arguments as files: each a path, or a routine's name (here, yours, shipped). An unknown
    name stops the command before any work, with the closest names."""
    from ..routine.lookup import find_routine

    return [find_routine(arg) for arg in args]


EngineOpt = Annotated[
    Optional[str],
    typer.Option("--engine", help="Speech engine: auto, espeak, pyttsx3, piper or kokoro (neural: pip install 'voiceguide[neural]')."),
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
DeliveryOpt = Annotated[
    Optional[str],
    typer.Option("--delivery", help="calm (breath cues slower and softer, countdowns crisp) or flat (all like narration)."),
]
PresetOpt = Annotated[Optional[str], typer.Option("--preset", help="A named preset from your config file.")]
EstimateOpt = Annotated[
    bool, typer.Option("--estimate", help="Estimate speech lengths from word counts instead of rendering speech.")
]
RemoteOpt = Annotated[
    bool, typer.Option("--remote", help="Follow and steer the session from a phone on the local network (prints a QR code).")
]
RemoteHostOpt = Annotated[
    Optional[str],
    typer.Option("--host", help="With --remote: address to listen on; 0.0.0.0 (default) is the local network, 127.0.0.1 this machine only."),
]
RemotePortOpt = Annotated[
    Optional[int], typer.Option("--port", min=0, max=65535, help="With --remote: port to listen on (default 8766; 0: any free port).")
]


def remote_address(remote: bool, host: str | None, port: int | None) -> tuple[str, int] | None:
    """--remote's (host, port), or None; --host and --port alone are a mistake worth saying."""
    if not remote:
        if host is not None or port is not None:
            raise typer.BadParameter("--host and --port go with --remote", param_hint="--host/--port")
        return None
    from ..web.remote import DEFAULT_HOST, DEFAULT_PORT  # only then: the web package costs a live start 0.15 s

    return (DEFAULT_HOST if host is None else host, DEFAULT_PORT if port is None else port)
ListenOpt = Annotated[
    bool, typer.Option("--listen", help="Obey spoken commands (pause, continue, next, back, repeat, stop) from the microphone.")
]
ListenSensitivityOpt = Annotated[
    Optional[float],
    typer.Option("--listen-sensitivity", min=0.0, max=1.0,
                 help="How readily --listen obeys: 0 (strictest; at 0.25 or below a stricter rule too) to 1 (most eager); default 0.5."),
]
