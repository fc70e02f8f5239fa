"""A read-only index of an ONNX graph's nodes, and the one way the fusions that use it put their
new fields in place of a pattern's nodes (`fuse_each`).

Why: a fusion (onnxnorm, onnxrescale) must know which nodes read a value before it may drop the
nodes that make it; this parses each node's type, inputs and outputs once (about 40 ms for Kokoro's
3,600 nodes) and leaves the weights where they lie, as views into the model's bytes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .onnxpatch import ModelPieces
from .protowire import fields, packed_ints, strings, strings_by_field

FLOAT = 1  # TensorProto.DataType


@dataclass(frozen=True)
class GraphNode:
    """A node's type, inputs and outputs, and where it lies in the graph's list of fields."""

    at: int
    op: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    body: memoryview

    def other_input(self, one: str) -> str:
        """A two-input node's input that is not `one`."""
        a, b = self.inputs
        return b if a == one else a


@dataclass(frozen=True)
class GraphIndex:
    """The graph's nodes in order, its initializers by name, the nodes reading each value, how many
    readers each has (the graph's outputs counted), and the node making it."""

    nodes: list[GraphNode]
    initializers: dict[str, memoryview]
    readers: dict[str, list[GraphNode]] = field(default_factory=dict)
    reads: Counter = field(default_factory=Counter)
    maker: dict[str, GraphNode] = field(default_factory=dict)

    def sole_reader(self, value: str, op: str) -> GraphNode | None:
        """The node reading `value`, if it is an `op` and nothing else reads it."""
        readers = self.readers.get(value, [])
        return readers[0] if self.reads[value] == 1 and readers[0].op == op else None


def opset_imports(model: ModelPieces) -> dict[str, int]:
    """The model's operator sets by domain ("" for ONNX's own) and version (ModelProto.opset_import:
    domain 1, version 2)."""
    out = {}
    for piece in model.before + model.after:
        f, wt, v, _, _ = next(fields(piece))
        if f == 8 and wt == 2:
            body = memoryview(piece)[v[0] : v[1]]
            domain = strings(body, 1)
            out[domain[0] if domain else ""] = next((x for vf, _, x, _, _ in fields(body) if vf == 2), 0)
    return out


def index_graph(model: ModelPieces) -> GraphIndex:
    nodes, initializers, outputs = [], {}, []
    for at, piece in enumerate(model.graph):
        f, wt, v, _, _ = next(fields(piece))
        if wt != 2:
            continue
        body = memoryview(piece)[v[0] : v[1]]
        if f == 1:  # NodeProto: input 1, output 2, op_type 4
            node = strings_by_field(body, (1, 2, 4))
            nodes.append(GraphNode(at, node[4][0] if node[4] else "", tuple(node[1]), tuple(node[2]), body))
        elif f == 5:
            initializers[strings(body, 8)[0]] = body
        elif f == 12:  # the graph's outputs: read by whoever runs it
            outputs += strings(body, 1)
    index = GraphIndex(nodes, initializers, reads=Counter(outputs))
    for n in nodes:
        for x in set(n.inputs):
            index.readers.setdefault(x, []).append(n)
            index.reads[x] += 1
        for y in n.outputs:
            index.maker[y] = n
    return index


def attributes(body) -> dict[str, list]:
    """A node's attributes by name: their ints (i, ints) or their string (s), as a list."""
    out = {}
    for f, wt, v, _, _ in fields(body):
        if f == 5 and wt == 2:  # NodeProto.attribute; AttributeProto: name 1, i 3, s 4, ints 8
            attr = body[v[0] : v[1]]
            values = [x for af, _, av, _, _ in fields(attr) if af in (3, 8) for x in packed_ints(attr, av)]
            out[strings(attr, 1)[0]] = values + strings(attr, 4)
    return out


def int64s(body: memoryview | None) -> list[int] | None:
    """An int64 initializer's values (raw data or int64_data), else None."""
    if body is None:
        return None
    raw = next((bytes(body[v[0] : v[1]]) for f, wt, v, _, _ in fields(body) if f == 9 and wt == 2), None)
    if raw is not None:
        return [int(x) for x in np.frombuffer(raw, "<i8")] if len(raw) % 8 == 0 else None
    return [x for f, _, v, _, _ in fields(body) if f == 7 for x in packed_ints(body, v)]


def float_scalar(body: memoryview | None) -> float | None:
    """A one-element float initializer's value, else None."""
    if body is None:
        return None
    dtype, raw = 0, b""
    for f, wt, v, _, _ in fields(body):
        if f == 2 and wt == 0:
            dtype = v
        elif f in (4, 9) and wt == 2:  # float_data (packed) or raw_data: both little-endian float32s
            raw = bytes(body[v[0] : v[1]])
    return float(np.frombuffer(raw, "<f4")[0]) if dtype == FLOAT and len(raw) == 4 else None


# A fusion at one node: (node, graph, a name prefix of its own) -> (the fields that replace the node,
# the places of the nodes they make redundant), or None where the node does not begin its pattern.
Fusion = Callable[[GraphNode, GraphIndex, str], "tuple[list[bytes], set[int]] | None"]


def fuse_each(model: ModelPieces, prefix: str, fuse: Fusion) -> tuple[ModelPieces, int]:
    """The model with `fuse` applied wherever its pattern begins (the new fields named PREFIX/0,
    PREFIX/1, ...), and how many; the model unchanged, and 0, where it matches nothing."""
    graph = index_graph(model)
    made: dict[int, list[bytes]] = {}
    dropped: set[int] = set()
    for n in graph.nodes:
        found = fuse(n, graph, f"{prefix}/{len(made)}")
        if found is not None:
            made[n.at], gone = found
            dropped |= gone
    if not made:
        return model, 0
    kept = [piece for at, field_ in enumerate(model.graph) if at not in dropped for piece in made.get(at, [field_])]
    return ModelPieces(model.before, kept, model.after, model.patched), len(made)
