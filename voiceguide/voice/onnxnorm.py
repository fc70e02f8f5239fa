"""Kokoro's instance norms, written out in its graph as eight operators, run as one.

Why: Kokoro's decoder normalises its signal 62 times (AdaIN: each channel to zero mean and unit
variance over time, then scaled and shifted by the voice's style), and the exported graph spells
each one out as

    mean = ReduceMean(x); d = x - mean; var = ReduceMean(d * d)
    y = d / Sqrt(var + eps) * gamma + beta

eight passes over tensors of tens of MB that no cache holds, where ONNX's `InstanceNormalization`
computes the same in one operator: about 12 % less CPU per second of speech (performance.md).

The samples are not the same to the bit (the operator sums in its own order), so this is Kokoro's
model run a little differently: the engine's version names the fusion, so the clip cache keeps the
two apart, and `tests/test_onnxfuse.py` holds the fused model to the unfused one within the
differences that a change of one part in 100,000 in the voice's style already makes. Only this
exact pattern is fused: means over the last axis with kept dimensions, and intermediate results
that nothing else reads.
"""

from __future__ import annotations

import numpy as np

from .onnxgraph import GraphIndex, GraphNode, attributes, float_scalar, fuse_each, int64s
from .onnxpatch import ModelPieces
from .protowire import float_attribute, node, tensor

PREFIX = "voiceguide_instance_norm"


def _mean_over_time(reduce: GraphNode | None, graph: GraphIndex) -> bool:
    """Whether a ReduceMean averages over axis 2 (or -1) alone and keeps it (axes as an input or an
    attribute)."""
    if reduce is None or reduce.op != "ReduceMean" or len(reduce.outputs) != 1:
        return False
    attrs = attributes(reduce.body)
    axes = int64s(graph.initializers.get(reduce.inputs[1])) if len(reduce.inputs) == 2 else attrs.get("axes")
    return attrs.get("keepdims", [1]) == [1] and attrs.get("noop_with_empty_axes", [0]) == [0] and axes in ([2], [-1])


def _fusion(mean: GraphNode, graph: GraphIndex) -> tuple[list[GraphNode], float, str, str] | None:
    """(the eight nodes after `mean`, epsilon, gamma, beta) where `mean` begins the pattern, else None."""
    if not _mean_over_time(mean, graph):
        return None
    x = mean.inputs[0]
    sub = graph.sole_reader(mean.outputs[0], "Sub")
    if sub is None or sub.inputs != (x, mean.outputs[0]):
        return None
    d = sub.outputs[0]
    readers = graph.readers.get(d, [])
    square = next((n for n in readers if n.op == "Mul" and n.inputs == (d, d)), None)
    divide = next((n for n in readers if n.op == "Div" and n.inputs[0] == d), None)
    if graph.reads[d] != 2 or square is None or divide is None:
        return None
    var = graph.sole_reader(square.outputs[0], "ReduceMean")
    plus_eps = graph.sole_reader(var.outputs[0], "Add") if _mean_over_time(var, graph) else None
    eps = float_scalar(graph.initializers.get(plus_eps.other_input(var.outputs[0]))) if plus_eps else None
    root = graph.sole_reader(plus_eps.outputs[0], "Sqrt") if eps is not None else None
    if root is None or divide.inputs != (d, root.outputs[0]):
        return None
    scale = graph.sole_reader(divide.outputs[0], "Mul")
    shift = graph.sole_reader(scale.outputs[0], "Add") if scale is not None else None
    if shift is None:
        return None
    return ([sub, square, var, plus_eps, root, divide, scale, shift], eps,
            scale.other_input(divide.outputs[0]), shift.other_input(scale.outputs[0]))


def _fused(mean: GraphNode, graph: GraphIndex, p: str) -> tuple[list[bytes], set[int]] | None:
    """The InstanceNormalization that replaces the norm `mean` begins, and the nodes it replaces."""
    found = _fusion(mean, graph)
    if found is None:
        return None
    nodes, eps, gamma, beta = found
    # gamma and beta are the style's [1, C, 1]; the operator takes them as [C] (one voice at a time)
    return [
        tensor(f"{p}/axes", np.array([0, 2], np.int64)),
        node("Squeeze", [gamma, f"{p}/axes"], [f"{p}/scale"], f"{p}/SqueezeScale"),
        node("Squeeze", [beta, f"{p}/axes"], [f"{p}/bias"], f"{p}/SqueezeBias"),
        node("InstanceNormalization", [mean.inputs[0], f"{p}/scale", f"{p}/bias"], [nodes[-1].outputs[0]],
             f"{p}/Norm", (float_attribute("epsilon", eps),)),
    ], {n.at for n in nodes}


def instance_norms_fused(model: ModelPieces) -> tuple[ModelPieces, int]:
    """The model with every spelt-out instance norm (see the module's docstring) as one
    InstanceNormalization, and how many; the model unchanged, and 0, if it has none."""
    return fuse_each(model, PREFIX, _fused)
