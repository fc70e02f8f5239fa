"""A head start for `play NAME`: the natural voice's model starts loading before the options are parsed.

A cold live start is a chain of work on one interpreter lock: the option parser (typer brings in
pydantic: about 0.15 s), the imports and the routine (about 0.25 s), then the model, whose loading
mostly runs outside the lock (reading the file, onnxruntime's session: about 0.3 s). Started first,
the model loads while the options are parsed and the player is imported, instead of after them.

It loads only what the session itself would: the routine named first, with the voice and engine of
the command line (`--engine`, `--voice`) over the config file's, and only when no other option
picks the voice (a preset: then the session's own preload does it, after the parser). Anything
that goes wrong here is left for the command itself to find and report."""

from __future__ import annotations

import sys

# options after which the head start cannot know the voice (or should not load one)
PICKS_THE_VOICE = {"--preset", "--help", "--install-completion", "--show-completion"}
READ_AHEAD = ("engine", "voice")  # the options it reads itself, as `--engine kokoro` or `--engine=kokoro`
WAIT = 1.0  # seconds at most the parser waits for the model's loading to begin


def head_start(argv: list[str]) -> None:
    """For `play NAME [options]`: begin loading NAME's voice model, and return once it has begun."""
    if len(argv) < 2 or argv[0] != "play" or argv[1].startswith("-"):
        return
    if any(arg.split("=", 1)[0] in PICKS_THE_VOICE for arg in argv[2:]):
        return
    try:
        from ..live.preload import preload_voice
        from ..routine.lookup import find_routine
        from .options import choose

        chosen = choose(**options_given(argv[2:], READ_AHEAD))
        begun = preload_voice(find_routine(argv[1]), chosen, chosen.engine or "auto")
    except Exception:  # noqa: BLE001 - the command reports any problem with its own arguments
        return
    begun.wait(WAIT)  # the parser would only take turns with it on the interpreter's lock


def options_given(args: list[str], names: tuple[str, ...]) -> dict[str, str]:
    """The values of the options `names` on a command line (the last one given wins, as in the parser)."""
    given: dict[str, str] = {}
    for i, arg in enumerate(args):
        option, eq, value = arg.partition("=")
        name = option[2:] if option.startswith("--") else ""
        if name in names:
            if eq:
                given[name] = value
            elif i + 1 < len(args):
                given[name] = args[i + 1]
    return given


def settle() -> None:
    """Before the process leaves: let a model that is still loading finish (see preload)."""
    preload = sys.modules.get("voiceguide.live.preload")
    if preload is not None:
        preload.settle_preloads()


def argv_of(argv: list[str] | None) -> list[str]:
    return list(sys.argv[1:] if argv is None else argv)
