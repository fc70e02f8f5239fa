"""Deterministic Piper: its models draw random noise (two RandomNormalLike nodes) on every call, so
the same text never gave the same clip twice. This patches the ONNX model in memory to read a
fixed noise vector instead (same statistics, standard normal), so the same text, voice and rate
give the same samples, as the clip cache and byte-identical renders expect.

Only the two protobuf levels that matter are parsed (ModelProto -> GraphProto -> NodeProto); the
weights are copied as opaque bytes. Field numbers are those of onnx.proto.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .protowire import fields, node, tensor, varint


# the fixed noise that makes synthesis deterministic: a standard normal vector from a fixed seed
# (numpy's legacy RandomState, whose stream is guaranteed stable), tiled when an utterance needs more.
# PCG64 makes it in 13 ms instead of 40-80 ms, but another noise is another voice to `--listen`,
# whose thresholds were tuned on this one: with PCG64 noise, "Now the next step." was obeyed as "next".
NOISE_SEED = 7
NOISE_LEN = 1 << 20
NOISE_TAG = f"fixed-noise-{NOISE_SEED}-{NOISE_LEN}"


def fixed_noise() -> np.ndarray:
    return np.random.RandomState(NOISE_SEED).standard_normal(NOISE_LEN).astype(np.float32)


def _random_node(b: bytes) -> tuple[str, str] | None:
    """(input, output) of a plain RandomNormalLike node (float, mean 0, scale 1), else None."""
    op, inputs, outputs, ok = "", [], [], True
    for f, wt, v, _, _ in fields(b):
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
            name = next((attr[a[0] : a[1]].decode() for af, awt, a, _, _ in fields(attr) if af == 1), "")
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
    for f, wt, v, a, b in fields(graph, begin, end):
        if f == 1 and wt == 2 and graph.find(b"RandomNormalLike", v[0], v[1]) != -1:
            found = _random_node(graph[v[0] : v[1]])
            if found is not None:
                x, y = found
                if not x:
                    raise ValueError("an unusual RandomNormalLike node")
                p = f"{pre}/{patched}"
                # y = reshape(tile(noise, numel(x) // N + 1)[:numel(x)], shape(x))
                parts += [
                    node("Shape", [x], [f"{p}/shape"], f"{p}/Shape"),
                    node("ReduceProd", [f"{p}/shape"], [f"{p}/numel"], f"{p}/ReduceProd"),
                    node("Div", [f"{p}/numel", f"{pre}/len"], [f"{p}/q"], f"{p}/Div"),
                    node("Add", [f"{p}/q", f"{pre}/one"], [f"{p}/reps"], f"{p}/Add"),
                    node("Tile", [f"{pre}/noise", f"{p}/reps"], [f"{p}/tiled"], f"{p}/Tile"),
                    node("Slice", [f"{p}/tiled", f"{pre}/zero", f"{p}/numel"], [f"{p}/flat"], f"{p}/Slice"),
                    node("Reshape", [f"{p}/flat", f"{p}/shape"], [y], f"{p}/Reshape"),
                ]
                patched += 1
                continue
        parts.append(view[a:b])
    if patched:
        parts += [
            tensor(f"{pre}/noise", fixed_noise()),
            tensor(f"{pre}/len", np.array([NOISE_LEN], np.int64)),
            tensor(f"{pre}/one", np.array([1], np.int64)),
            tensor(f"{pre}/zero", np.array([0], np.int64)),
        ]
    return parts, patched


def deterministic_model(data: bytes) -> tuple[bytes, int]:
    """The ONNX model with its random noise replaced by the fixed noise; (model, nodes patched)."""
    parts, patched = deterministic_parts(data)
    return b"".join(parts), patched


@dataclass(frozen=True)
class ModelPieces:
    """A model as byte pieces, its graph's fields one piece each (so the graph can be rearranged, see
    `onnxsplit`): mostly views into the file's bytes."""

    before: list  # the ModelProto's fields before its graph
    graph: list  # the GraphProto's fields, each whole (key, length and payload)
    after: list
    patched: int  # RandomNormalLike nodes replaced by the fixed noise

    def parts(self, graph: list | None = None) -> list:
        """The model's bytes in order, with `graph`'s fields in place of its own if given."""
        graph = self.graph if graph is None else graph
        return [*self.before, varint(7 << 3 | 2), varint(sum(len(g) for g in graph)), *graph, *self.after]


def deterministic_pieces(data) -> ModelPieces:
    """The model with its random noise replaced by the fixed noise, as pieces."""
    before, graph, after, patched = [], None, [], 0
    view = memoryview(data)
    for f, wt, v, a, b in fields(data):
        if f == 7 and wt == 2 and graph is None:  # ModelProto.graph
            graph, patched = _patch_graph(data, v[0], v[1])
        else:
            (before if graph is None else after).append(view[a:b])
    if graph is None:
        raise ValueError("no graph in this model")
    return ModelPieces(before, graph, after, patched)


def deterministic_parts(data) -> tuple[list, int]:
    """The patched model as the byte pieces that make it in order, mostly views into `data` (so it can
    be written out without a copy of the whole model in memory); (pieces, nodes patched)."""
    pieces = deterministic_pieces(data)
    return pieces.parts(), pieces.patched
