"""The entry point: run the app, turn signals and expected failures into messages and exit codes."""

from __future__ import annotations

import contextlib
import os
import sys

import typer

from ..errors import ScriptError, VoiceguideError
from .app import app
from .headstart import argv_of, head_start, settle

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

    from ..voice.onnxsession import bound_heap_arenas

    bound_heap_arenas()  # before any thread is made, so that it holds for all (see voice.onnxsession)
    with contextlib.suppress(ValueError):  # not in the main thread (e.g. tests calling main): leave it
        signal.signal(signal.SIGTERM, _on_sigterm)
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        return _run(argv)
    finally:
        with contextlib.suppress(KeyboardInterrupt, Terminated):
            settle()


def _stopped(how: str, code: int) -> int:
    """Ctrl-C or SIGTERM: drop the speech still queued for a session nobody will hear, let a model
    that another thread is loading finish (or onnxruntime aborts the exit), and say so. A module not
    imported had nothing queued or loading."""
    sentences = sys.modules.get("voiceguide.voice.sentences")
    if sentences is not None:
        sentences.stop_speaking()
    sessions = sys.modules.get("voiceguide.voice.onnxsession")
    if sessions is not None:
        sessions.end_sessions()
    print(f"voiceguide: {how}; nothing half-written was left behind", file=sys.stderr)
    return code


def _run(argv: list[str] | None) -> int:
    try:
        head_start(argv_of(argv))
        result = app(args=argv, prog_name="voiceguide", standalone_mode=False)
        if _interrupted:
            return _stopped("interrupted", 130)
        return result if isinstance(result, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return _stopped("interrupted", 130)
    except Terminated:
        return _stopped("terminated", 143)
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
