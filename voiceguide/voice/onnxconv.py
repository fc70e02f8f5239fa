"""Kokoro's int8 convolutions rewritten as int8 matrix products, for the same samples in half the time.

Why: Kokoro's int8 model quantizes its 87 convolutions as `ConvInteger` with unsigned weights, and
onnxruntime runs that as a generic im2col and an unsigned-by-unsigned product, its slowest integer
kernel: 66 % of the CPU time of a sentence. A `MatMulInteger` of unsigned activations by signed
weights runs on the processor's int8 dot-product instructions (VNNI, AMX) instead. So each
convolution becomes, in the graph:

    Transpose(x) -> Pad(with x's zero point) -> Gather(windows) -> MatMulInteger(·, W') -> Transpose

where the Gather takes, for every output step t, the k input steps t*stride + j*dilation (an im2col
in one pass), and W' is the weight reordered to [k*Cin, Cout] and shifted by 128 into int8, with its
zero point shifted alike, so every (w - zero point) and every int32 sum is what it was: the samples
are the original model's to the bit (tests/test_onnxconv.py). On one thread: 0.59 -> 0.30-0.33 s of CPU
per second of speech (performance.md).

Only where that holds: x86-64 processors with VNNI (without it onnxruntime's unsigned-by-signed
product saturates 16-bit pair sums, which would change the samples), one-dimensional convolutions in
one group with scalar zero points and raw weights, and a graph of opset 13 or later. Anything else is
left as it is.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .onnxgraph import attributes, opset_imports
from .onnxpatch import ModelPieces
from .protowire import fields, ints_attribute, int_attribute, node, packed_ints, strings, tensor

MIN_OPSET = 13  # Unsqueeze with its axes as an input, Range, Pad with its constant as an input
UINT8 = 2  # TensorProto.DataType
PREFIX = "voiceguide_im2col"


@lru_cache(maxsize=1)
def has_int8_dot_product() -> bool:
    """Whether this processor multiplies int8 by uint8 without saturating (x86-64 VNNI)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


@dataclass(frozen=True)
class _Conv:
    """A ConvInteger node this rewrite can take: its tensors' names and its one-dimensional geometry."""

    x: str
    weight: str
    x_zero: str
    w_zero: str
    y: str
    name: str
    dilation: int
    stride: int
    pads: tuple[int, int]


def _conv(body) -> _Conv | None:
    inputs, outputs, name, op = strings(body, 1), strings(body, 2), strings(body, 3), strings(body, 4)
    if op != ["ConvInteger"] or len(inputs) != 4 or len(outputs) != 1 or not all(inputs):
        return None
    attrs = attributes(body)
    if attrs.get("group", [1]) != [1] or attrs.get("auto_pad", ["NOTSET"]) != ["NOTSET"]:
        return None
    dilations, strides, pads = attrs.get("dilations", [1]), attrs.get("strides", [1]), attrs.get("pads", [0, 0])
    if len(dilations) != 1 or len(strides) != 1 or len(pads) != 2:
        return None
    return _Conv(*inputs, outputs[0], (name or ["conv"])[0], dilations[0], strides[0], (pads[0], pads[1]))


def _uint8_tensor(body) -> np.ndarray | None:
    """An initializer of uint8s as an array (raw data, or small ones as int32_data), else None."""
    dims, dtype, values = [], 0, None
    for f, wt, v, _, _ in fields(body):
        if f == 1:
            dims += packed_ints(body, v)
        elif f == 2 and wt == 0:
            dtype = v
        elif f == 9 and wt == 2:
            values = np.frombuffer(body[v[0] : v[1]], np.uint8)
        elif f == 5:  # int32_data, where ONNX keeps small 8-bit tensors
            values = np.array(packed_ints(body, v), np.uint8)
    if dtype != UINT8 or values is None or values.size != int(np.prod(dims)):
        return None
    return values.reshape(dims)


def _as_matmul(conv: _Conv, weight: np.ndarray, w_zero: int, index: int) -> list[bytes]:
    """The graph's fields that compute `conv` as Transpose, Pad, Gather, MatMulInteger, Transpose."""
    cout, cin, k = weight.shape
    p = f"{PREFIX}/{index}"
    reordered = (weight ^ 0x80).view(np.int8).transpose(2, 1, 0).reshape(k * cin, cout)  # w - 128, as int8
    out = [
        tensor(f"{p}/w", np.ascontiguousarray(reordered)),
        tensor(f"{p}/w_zero", np.array(w_zero - 128, np.int8)),
        node("Transpose", [conv.x], [f"{p}/xt"], f"{p}/Transpose", (ints_attribute("perm", [0, 2, 1]),)),
    ]
    x = f"{p}/xt"
    if any(conv.pads):
        out += [
            tensor(f"{p}/pads", np.array([0, conv.pads[0], 0, 0, conv.pads[1], 0], np.int64)),
            node("Pad", [x, f"{p}/pads", conv.x_zero], [f"{p}/xp"], f"{p}/Pad"),  # x's zero point is 0.0, as ConvInteger pads
        ]
        x = f"{p}/xp"
    if k > 1 or conv.stride > 1:  # window starts t*stride for t*stride + (k-1)*dilation < length
        out += [
            tensor(f"{p}/span", np.array((k - 1) * conv.dilation, np.int64)),
            tensor(f"{p}/one", np.array(1, np.int64)),
            tensor(f"{p}/zero", np.array(0, np.int64)),
            tensor(f"{p}/stride", np.array(conv.stride, np.int64)),
            tensor(f"{p}/axis", np.array([1], np.int64)),
            tensor(f"{p}/taps", (np.arange(k, dtype=np.int64) * conv.dilation)[None, :]),
            tensor(f"{p}/shape", np.array([0, -1, k * cin], np.int64)),
            node("Shape", [x], [f"{p}/xshape"], f"{p}/Shape"),
            node("Gather", [f"{p}/xshape", f"{p}/one"], [f"{p}/length"], f"{p}/Length", (int_attribute("axis", 0),)),
            node("Sub", [f"{p}/length", f"{p}/span"], [f"{p}/end"], f"{p}/End"),
            node("Range", [f"{p}/zero", f"{p}/end", f"{p}/stride"], [f"{p}/starts"], f"{p}/Range"),
            node("Unsqueeze", [f"{p}/starts", f"{p}/axis"], [f"{p}/column"], f"{p}/Unsqueeze"),
            node("Add", [f"{p}/column", f"{p}/taps"], [f"{p}/steps"], f"{p}/Steps"),
            node("Gather", [x, f"{p}/steps"], [f"{p}/windows"], f"{p}/Windows", (int_attribute("axis", 1),)),
            node("Reshape", [f"{p}/windows", f"{p}/shape"], [f"{p}/im2col"], f"{p}/Reshape"),
        ]
        x = f"{p}/im2col"
    return out + [
        node("MatMulInteger", [x, f"{p}/w", conv.x_zero, f"{p}/w_zero"], [f"{p}/yt"], f"{p}/MatMulInteger"),
        node("Transpose", [f"{p}/yt"], [conv.y], f"{p}/TransposeBack", (ints_attribute("perm", [0, 2, 1]),)),
    ]


def convolutions_as_matmuls(model: ModelPieces) -> tuple[ModelPieces, int]:
    """The model with every ConvInteger it can take rewritten (see the module's docstring), and how
    many; the model unchanged, and 0, where the rewrite would not give the same samples."""
    if not has_int8_dot_product() or opset_imports(model).get("", 0) < MIN_OPSET:
        return model, 0
    initializers, nodes = {}, []
    for i, piece in enumerate(model.graph):
        f, wt, v, _, _ = next(fields(piece))
        body = memoryview(piece)[v[0] : v[1]] if wt == 2 else None
        if f == 5:
            initializers[strings(body, 8)[0]] = (i, body)
        elif f == 1 and bytes(body).find(b"ConvInteger") != -1:  # the only nodes worth parsing
            nodes.append((i, body))
    graph, rewritten, weights = [[piece] for piece in model.graph], set(), set()
    for i, body in nodes:
        conv = _conv(body)
        if conv is None or conv.weight not in initializers or conv.w_zero not in initializers:
            continue
        weight, w_zero = _uint8_tensor(initializers[conv.weight][1]), _uint8_tensor(initializers[conv.w_zero][1])
        if weight is None or w_zero is None or weight.ndim != 3 or w_zero.size != 1:  # or a zero point per channel
            continue
        graph[i] = _as_matmul(conv, weight, int(w_zero.reshape(-1)[0]), len(rewritten))  # a field a piece
        rewritten.add(i)
        weights.add(conv.weight)
    skip = rewritten | {at for at, _ in initializers.values()}
    others = b"".join(bytes(piece) for i, piece in enumerate(model.graph) if i not in skip)
    unread = {initializers[name][0] for name in weights if name.encode() not in others}  # the unsigned weights
    kept = [piece for i, pieces in enumerate(graph) if i not in unread for piece in pieces]
    return ModelPieces(model.before, kept, model.after, model.patched), len(rewritten)
