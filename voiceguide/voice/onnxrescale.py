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
"""

from __future__ import annotations

import numpy as np

from .onnxgraph import FLOAT, GraphIndex, GraphNode, attributes, float_scalar, fuse_each, opset_imports
from .onnxpatch import ModelPieces
from .protowire import int_attribute, ints_attribute, node, tensor

PREFIX = "voiceguide_rescale"
DOMAIN = "com.microsoft"


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


def rescaling_fused(model: ModelPieces) -> tuple[ModelPieces, int]:
    """The model with each int8 product's bias, cast and scale computed by the product itself (see
    the module's docstring), and how many; the model unchanged, and 0, where nothing matches or the
    model does not import onnxruntime's operators."""
    if DOMAIN not in opset_imports(model):
        return model, 0
    return fuse_each(model, PREFIX, _fused)


def _fused(product: GraphNode, graph: GraphIndex, p: str) -> tuple[list[bytes], set[int]] | None:
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
        fields_.append(node("Transpose", [y], [out], f"{p}/Transpose", (ints_attribute("perm", [0, 2, 1]),)))
        gone = [transpose, *gone]
    return fields_, {n.at for n in gone}
