"""Loading the natural voice's model early, on a thread of its own, while the rest of a live session
starts (the imports, the plan, the audio device): a cold `play` then waits for the model for less
time. Models are loaded once per process, so the session's own voice finds it loaded or loading.

It sits beside render and live, not in the voice package: it plans a routine (render's front half)
before it asks the voice for its model, and the voice layer never imports the layers above it."""

from __future__ import annotations

import threading
from pathlib import Path


def preload_voice(path: Path, overrides, engine: str = "auto") -> threading.Event:
    """Start loading the model that will speak the routine at `path`, if its engine has one.

    The event is set once the thread is past its Python-heavy part (the imports, the routine, the
    voice's choice): loading the model itself mostly runs outside the interpreter's lock (reading the
    file, onnxruntime's session). A caller that waits for it before importing the rest of the player
    keeps the two from taking turns on one lock, so the model starts loading ~0.25 s sooner."""
    begun = threading.Event()

    def work() -> None:
        try:
            from ..session.build import utterances, voiced
            from ..routine import load_routine

            routine = load_routine(path)
            settings, voice = voiced(routine, overrides, engine)
            first = utterances(routine, settings)[:1]
            if not voice.engine.loads_a_model or all(voice.cache.path(voice.key(t, voice.delivery(r))).exists() for t, r in first):
                return  # nothing to synthesise before the first words: a warm start needs no model
            begun.set()
            voice.engine.load(voice.voice_id, live=True)
        except Exception:  # noqa: BLE001 - only a head start: the session's own start reports any problem
            pass
        finally:
            begun.set()

    thread = threading.Thread(target=work, name="preload-voice", daemon=True)
    thread.start()
    _STARTED.append(thread)
    return begun


_STARTED: list[threading.Thread] = []


def settle_preloads(timeout: float = 5.0) -> None:
    """Wait (a while) for models still loading: a process that leaves while onnxruntime is building
    a session in another thread is aborted by the C++ runtime ("terminate called...", exit -6), as
    when the command line turns out to be wrong after the head start began."""
    for thread in _STARTED:
        thread.join(timeout)
