"""What the tests of the neural voice (Piper) share: folders of their own for the calibration file
and the voices, the engine and its bundled voice as fixtures (a pytest plugin: tests/conftest.py
loads it; each module that asks gets its own, module-scoped), and a session of a routine spoken by
a given voice."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest


@contextmanager
def private_voice_dirs(tmp_path_factory):
    """Keep the calibration file and the voices folder out of the user's own folders."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VOICEGUIDE_CACHE_DIR", str(tmp_path_factory.mktemp("neural-cache")))
        mp.setenv("VOICEGUIDE_VOICES_DIR", str(tmp_path_factory.mktemp("no-user-voices")))
        yield


@pytest.fixture(scope="module")
def private_dirs(tmp_path_factory):
    """Keep the calibration file and the voices folder out of the user's own folders (a module asks
    for it with `pytestmark = pytest.mark.usefixtures("private_dirs")`)."""
    with private_voice_dirs(tmp_path_factory):
        yield


@pytest.fixture(scope="module")
def engine(private_dirs):
    from voiceguide.voice.piper import Piper

    return Piper()


@pytest.fixture(scope="module")
def joe(engine):
    """The bundled English voice's id."""
    return engine.resolve_voice(None, "en")


def neural_session(path: Path, voice):
    """The routine at `path` planned with `voice` (a voiceguide.voice.Voice), its clips prepared."""
    from voiceguide.plan.planner import plan
    from voiceguide.routine import load_routine
    from voiceguide.routine.settings import resolve
    from voiceguide.session.build import Session, utterances

    routine = load_routine(path)
    settings = replace(resolve(routine), voice=voice.voice_id)
    voice.prepare(utterances(routine, settings))
    return Session(routine, settings, voice, plan(routine, settings, voice))
