"""What the listening tests share: the voices that speak the commands, a clip at the recogniser's
rate, and feeding it as the microphone does. Its fixtures are a pytest plugin (tests/conftest.py:
`pytest_plugins`)."""

from __future__ import annotations

import numpy as np
import pytest

from voiceguide import dsp

RATE = dsp.RATE


@pytest.fixture(scope="module")
def listen_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("listen-session-clips")


@pytest.fixture(scope="module")
def natural(tmp_path_factory):
    """The bundled natural voice (Piper) at 120 wpm, a deliberate command voice: how the commands are
    spoken to the live sessions here."""
    from voiceguide.voice import ClipCache, Voice

    return Voice.create("piper", None, "en", 120, ClipCache(tmp_path_factory.mktemp("listen-clips")))


@pytest.fixture(scope="module")
def session_voice(listen_cache):
    """The voice the sessions speak with (the bundled one at its default rate), for finding its words."""
    from voiceguide.voice import ClipCache, Voice

    return Voice.create("piper", None, "en", 150, ClipCache(listen_cache))


@pytest.fixture(scope="module")
def recognizer(listen_cache):
    from voiceguide.live.listen.model import load_models
    from voiceguide.live.listen.recognizer import Recognizer

    return Recognizer(load_models(listen_cache))


def at_16k(clip: np.ndarray, before: float = 0.6, after: float = 0.6) -> bytes:
    from voiceguide.live.listen.vad import RATE as MODEL_RATE

    x = dsp.resample(dsp.from_int16(clip), RATE, MODEL_RATE)
    pad = lambda s: np.zeros(int(s * MODEL_RATE), np.float32)  # noqa: E731
    return dsp.to_int16(np.concatenate([pad(before), x, pad(after)])).astype("<i2").tobytes()


def feed(recognizer, pcm: bytes, quiet=lambda i: True) -> list:
    """Fed in the microphone's 30 ms blocks, as the listener does."""
    block, heard = 960, []
    for i in range(0, len(pcm), block):
        heard += recognizer.feed(pcm[i : i + block], quiet(i))
    return heard


