"""Deterministic Piper: its models draw random noise (two RandomNormalLike nodes) on every call, so
the same text never gave the same clip twice. This patches the ONNX model in memory to read a
fixed noise vector instead (same statistics, standard normal), so the same text, voice and rate
give the same samples, as the clip cache and byte-identical renders expect.

Only the two protobuf levels that matter are parsed (ModelProto -> GraphProto -> NodeProto); the
weights are copied as opaque bytes. Field numbers are those of onnx.proto.
"""

from __future__ import annotations

import numpy as np


# the fixed noise that makes synthesis deterministic: a standard normal vector from a fixed seed
# (numpy's legacy RandomState, whose stream is guaranteed stable), tiled when an utterance needs more.
# PCG64 makes it in 13 ms instead of 40-80 ms, but another noise is another voice to `--listen`,
# whose thresholds were tuned on this one: with PCG64 noise, "Now the next step." was obeyed as "next".
NOISE_SEED = 7
NOISE_LEN = 1 << 20
NOISE_TAG = f"fixed-noise-{NOISE_SEED}-{NOISE_LEN}"


def _varint(b: bytes, i: int) -> tuple[int, int]:
    r = shift = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return r, i


def _fields(b: bytes, i: int = 0, n: int | None = None):
    """(field, wire type, value, start, end) of the message in b[i:n]: value is an int, or (start, end)
    of a length-delimited payload; positions are in `b`, so nothing is copied."""
    n = len(b) if n is None else n
    while i < n:
        start = i
        key, i = _varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 1:
            v, i = None, i + 8
        elif wt == 2:
            ln, i = _varint(b, i)
            v, i = (i, i + ln), i + ln
        elif wt == 5:
            v, i = None, i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wt}")
        if i > n:
            raise ValueError("truncated protobuf")
        yield f, wt, v, start, i


def _enc_varint(v: int) -> bytes:
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


def _ld(field: int, payload: bytes) -> bytes:
    return _enc_varint(field << 3 | 2) + _enc_varint(len(payload)) + payload


def _str(field: int, text: str) -> bytes:
    return _ld(field, text.encode("utf-8"))


def _node(op: str, inputs: list[str], outputs: list[str], name: str) -> bytes:
    body = b"".join(_str(1, x) for x in inputs) + b"".join(_str(2, x) for x in outputs)
    return _ld(1, body + _str(3, name) + _str(4, op))  # GraphProto.node = 1


def _tensor(name: str, array: np.ndarray) -> bytes:
    dtype = {np.dtype("float32"): 1, np.dtype("int64"): 7}[array.dtype]
    body = b"".join(_enc_varint(8) + _enc_varint(d) for d in array.shape)  # dims = 1 (varint)
    body += _enc_varint(2 << 3) + _enc_varint(dtype)  # data_type = 2
    body += _str(8, name) + _ld(9, array.astype(array.dtype.newbyteorder("<")).tobytes())  # name, raw_data
    return _ld(5, body)  # GraphProto.initializer = 5


def fixed_noise() -> np.ndarray:
    return np.random.RandomState(NOISE_SEED).standard_normal(NOISE_LEN).astype(np.float32)


def _random_node(b: bytes) -> tuple[str, str] | None:
    """(input, output) of a plain RandomNormalLike node (float, mean 0, scale 1), else None."""
    op, inputs, outputs, ok = "", [], [], True
    for f, wt, v, _, _ in _fields(b):
        if f == 4 and wt == 2:
            op = b[v[0] : v[1]].decode("utf-8", "replace")
        elif f == 1 and wt == 2:
            inputs.append(b[v[0] : v[1]].decode("utf-8"))
        elif f == 2 and wt == 2:
            outputs.append(b[v[0] : v[1]].decode("utf-8"))
        elif f == 7 and wt == 2 and v[1] > v[0]:
            ok = False  # a custom domain
        elif f == 5 and wt == 2:
            attr = b[v[0] : v[1]]
            name = next((attr[a[0] : a[1]].decode() for af, awt, a, _, _ in _fields(attr) if af == 1), "")
            if name in ("mean", "scale"):
                ok = False  # not the standard normal this patch provides
    if op != "RandomNormalLike":
        return None
    return (inputs[0], outputs[0]) if ok and len(inputs) == 1 and len(outputs) == 1 else ("", "")


def _patch_graph(graph: bytes, begin: int, end: int) -> tuple[list, int]:
    """The graph's fields with its RandomNormalLike nodes replaced: a list of byte pieces (views into
    `graph` where unchanged, so the 60 MB of weights are copied once, by the final join). The graph is
    graph[begin:end]."""
    parts, patched = [], 0
    pre = "voiceguide_noise"
    view = memoryview(graph)
    for f, wt, v, a, b in _fields(graph, begin, end):
        if f == 1 and wt == 2 and graph.find(b"RandomNormalLike", v[0], v[1]) != -1:
            node = _random_node(graph[v[0] : v[1]])
            if node is not None:
                x, y = node
                if not x:
                    raise ValueError("an unusual RandomNormalLike node")
                p = f"{pre}/{patched}"
                # y = reshape(tile(noise, numel(x) // N + 1)[:numel(x)], shape(x))
                parts += [
                    _node("Shape", [x], [f"{p}/shape"], f"{p}/Shape"),
                    _node("ReduceProd", [f"{p}/shape"], [f"{p}/numel"], f"{p}/ReduceProd"),
                    _node("Div", [f"{p}/numel", f"{pre}/len"], [f"{p}/q"], f"{p}/Div"),
                    _node("Add", [f"{p}/q", f"{pre}/one"], [f"{p}/reps"], f"{p}/Add"),
                    _node("Tile", [f"{pre}/noise", f"{p}/reps"], [f"{p}/tiled"], f"{p}/Tile"),
                    _node("Slice", [f"{p}/tiled", f"{pre}/zero", f"{p}/numel"], [f"{p}/flat"], f"{p}/Slice"),
                    _node("Reshape", [f"{p}/flat", f"{p}/shape"], [y], f"{p}/Reshape"),
                ]
                patched += 1
                continue
        parts.append(view[a:b])
    if patched:
        parts += [
            _tensor(f"{pre}/noise", fixed_noise()),
            _tensor(f"{pre}/len", np.array([NOISE_LEN], np.int64)),
            _tensor(f"{pre}/one", np.array([1], np.int64)),
            _tensor(f"{pre}/zero", np.array([0], np.int64)),
        ]
    return parts, patched


def deterministic_model(data: bytes) -> tuple[bytes, int]:
    """The ONNX model with its random noise replaced by the fixed noise; (model, nodes patched)."""
    parts, patched = deterministic_parts(data)
    return b"".join(parts), patched


def deterministic_parts(data: bytes) -> tuple[list, int]:
    """The patched model as the byte pieces that make it in order, mostly views into `data` (so it can
    be written out without a copy of the whole model in memory); (pieces, nodes patched)."""
    parts, patched = [], 0
    view = memoryview(data)
    for f, wt, v, a, b in _fields(data):
        if f == 7 and wt == 2:  # ModelProto.graph
            graph, patched = _patch_graph(data, v[0], v[1])
            parts += [_enc_varint(7 << 3 | 2), _enc_varint(sum(len(g) for g in graph)), *graph]
        else:
            parts.append(view[a:b])
    return parts, patched
