"""Kokoro's int8 products and the three operators that scale their result, run as one.

Why: every int8 convolution and matrix product of Kokoro's model hands its int32 sums to three more
operators, one full pass over tens of MB each: add the bias (int32), cast to float, multiply by the
product of the two inputs' scales. onnxruntime's `MatMulIntegerToFloat` (its own operator, in the
com.microsoft domain the model already imports) applies the scale and the bias as it writes the
product out, so the three passes go: 5-7 % less CPU per second of speech on top of the instance
norms (performance.md). It takes any int8 product whose scale is one number; in Kokoro's model
those are the products that `onnxconv` made of the convolutions (whose result is transposed back to
channels first: the transpose then moves floats instead of int32s). The model's own matrix products
scale each column by its own weight scale, and are left as they are.

The bias is scaled before it is added (sum * s + bias * s, where the model computed (sum + bias) *
s), so the samples differ in the last bits of a float, as with `onnxnorm`: the engine's version names
the fusion, and `tests/test_onnxfuse.py` holds the result to the unfused model's.

For a session that runs each sentence on one thread (a render), the transpose back to channels
first is done in TRANSPOSE_BLOCKS pieces along time, concatenated: onnxruntime transposes a [time,
channel] tensor that outgrows the processor's cache at a third of the speed of one that fits (1.8 ms
for 7,921 x 128 floats whole, 1.1 ms in four pieces with the split and the join), and these
transposes were 16-18 % of a sentence on a processor with AMX. The same floats move, so the samples
are the same to the bit. On two threads a sentence (a live session's first words) the pieces are
too small to share out and cost more than they save (0.35 -> 0.39 s for the first sentence), so
that session keeps one transpose.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .onnxgraph import FLOAT, GraphIndex, GraphNode, attributes, float_scalar, fuse_each, opset_imports
from .onnxpatch import ModelPieces
from .protowire import int_attribute, ints_attribute, node, tensor

PREFIX = "voiceguide_rescale"
DOMAIN = "com.microsoft"
# Pieces of each transpose back (see the module's docstring). Kokoro's CPU per second of speech, four
# sentences on one thread: whole 0.241-0.250 s; 4 pieces 0.250; 8: 0.227-0.231; 16: 0.220-0.229;
# 32: 0.221-0.226; 48: 0.222 (Xeon with AMX, onnxruntime 1.32).
TRANSPOSE_BLOCKS = 16
MIN_OPSET = 13  # Split with its sizes as an input


def _scalar_scale(value: str, graph: GraphIndex) -> bool:
    """Whether `value` is the product of a dynamically quantized input's scale and a one-element
    weight scale: a scalar, as MatMulIntegerToFloat's input scale must be."""
    mul = graph.maker.get(value)
    if mul is None or mul.op != "Mul" or len(mul.inputs) != 2:
        return False
    weight = [x for x in mul.inputs if float_scalar(graph.initializers.get(x)) is not None]
    quantized = [x for x in mul.inputs
                 if x in graph.maker and graph.maker[x].op == "DynamicQuantizeLinear" and graph.maker[x].outputs[1] == x]
    return len(weight) == 1 and len(quantized) == 1


def _chain(product: GraphNode, graph: GraphIndex) -> tuple[GraphNode | None, str | None, list[GraphNode], str] | None:
    """(the transpose after the product or None, the int32 bias or None, the nodes that go, the
    scale) where `product` begins the pattern, else None."""
    if product.op != "MatMulInteger" or len(product.inputs) != 4 or not all(product.inputs):
        return None
    value, gone = product.outputs[0], []
    transpose = graph.sole_reader(value, "Transpose")
    if transpose is not None:
        if attributes(transpose.body).get("perm") != [0, 2, 1]:
            return None
        value = transpose.outputs[0]
    bias = None
    add = graph.sole_reader(value, "Add")
    if add is not None:
        reshape = graph.maker.get(add.other_input(value))  # the bias, [C] int32, made [1, C, 1] to add it along time
        if reshape is None or reshape.op != "Reshape" or transpose is None:
            return None
        bias, gone, value = reshape.inputs[0], [add], add.outputs[0]
    cast = graph.sole_reader(value, "Cast")
    if cast is None or attributes(cast.body).get("to") != [FLOAT]:
        return None
    mul = graph.sole_reader(cast.outputs[0], "Mul")
    if mul is None or not _scalar_scale(mul.other_input(cast.outputs[0]), graph):
        return None
    return transpose, bias, [*gone, cast, mul], mul.other_input(cast.outputs[0])


def rescaling_fused(model: ModelPieces, *, transpose_blocks: int = TRANSPOSE_BLOCKS) -> tuple[ModelPieces, int]:
    """The model with each int8 product's bias, cast and scale computed by the product itself, its
    transpose back in `transpose_blocks` pieces (see the module's docstring), and how many; the model
    unchanged, and 0, where nothing matches or the model does not import onnxruntime's operators (or
    is older than opset 13)."""
    imports = opset_imports(model)
    if DOMAIN not in imports or imports.get("", 0) < MIN_OPSET:
        return model, 0
    return fuse_each(model, PREFIX, partial(_fused, blocks=transpose_blocks))


def _fused(product: GraphNode, graph: GraphIndex, p: str, *, blocks: int) -> tuple[list[bytes], set[int]] | None:
    """The MatMulIntegerToFloat (and transpose) that replace the chain `product` begins, and the
    nodes they replace."""
    found = _chain(product, graph)
    if found is None:
        return None
    transpose, bias, gone, scale = found
    out = gone[-1].outputs[0]
    inputs = [product.inputs[0], product.inputs[1], scale, f"{p}/one", product.inputs[2], product.inputs[3]]
    fields_ = [tensor(f"{p}/one", np.array(1.0, np.float32))]
    if bias is not None:
        fields_ += [
            tensor(f"{p}/flat", np.array([-1], np.int64)),
            node("Reshape", [bias, f"{p}/flat"], [f"{p}/bias_q"], f"{p}/BiasFlat"),
            node("Cast", [f"{p}/bias_q"], [f"{p}/bias_f"], f"{p}/BiasCast", (int_attribute("to", FLOAT),)),
            node("Mul", [f"{p}/bias_f", scale], [f"{p}/bias"], f"{p}/BiasScale"),
        ]
        inputs.append(f"{p}/bias")
    y = f"{p}/y" if transpose is not None else out
    fields_.append(node("MatMulIntegerToFloat", inputs, [y], f"{p}/MatMulIntegerToFloat", domain=DOMAIN))
    if transpose is not None:
        fields_ += (transposed_in_blocks(y, out, f"{p}/back", blocks) if blocks > 1 else
                    [node("Transpose", [y], [out], f"{p}/Transpose", (ints_attribute("perm", [0, 2, 1]),))])
        gone = [transpose, *gone]
    return fields_, {n.at for n in gone}


def transposed_in_blocks(y: str, out: str, p: str, blocks: int = TRANSPOSE_BLOCKS) -> list[bytes]:
    """The fields that make `out`, `y` [1, T, C] transposed to [1, C, T], as `blocks` transposes of
    T // blocks steps each (the last takes the rest; a short T leaves the first ones empty), joined
    along time again."""
    parts = [f"{p}/part{i}" for i in range(blocks)]
    return [
        tensor(f"{p}/time_axis", np.array([1], np.int64)),
        tensor(f"{p}/blocks", np.array(blocks, np.int64)),
        tensor(f"{p}/all_but_one", np.array([blocks - 1], np.int64)),
        node("Shape", [y], [f"{p}/shape"], f"{p}/Shape"),
        node("Gather", [f"{p}/shape", f"{p}/time_axis"], [f"{p}/steps"], f"{p}/Steps", (int_attribute("axis", 0),)),
        node("Div", [f"{p}/steps", f"{p}/blocks"], [f"{p}/block"], f"{p}/Block"),
        node("Expand", [f"{p}/block", f"{p}/all_but_one"], [f"{p}/firsts"], f"{p}/Firsts"),
        node("Mul", [f"{p}/block", f"{p}/all_but_one"], [f"{p}/taken"], f"{p}/Taken"),
        node("Sub", [f"{p}/steps", f"{p}/taken"], [f"{p}/last"], f"{p}/Last"),
        node("Concat", [f"{p}/firsts", f"{p}/last"], [f"{p}/sizes"], f"{p}/Sizes", (int_attribute("axis", 0),)),
        node("Split", [y, f"{p}/sizes"], parts, f"{p}/Split", (int_attribute("axis", 1),)),
        *(node("Transpose", [part], [f"{part}t"], f"{part}/Transpose", (ints_attribute("perm", [0, 2, 1]),))
          for part in parts),
        node("Concat", [f"{part}t" for part in parts], [out], f"{p}/Join", (int_attribute("axis", 2),)),
    ]
