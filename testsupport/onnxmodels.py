"""Small ONNX models written byte by byte with protowire, for the tests of the model rewrites
(onnxconv, onnxnorm, onnxrescale): run by onnxruntime before and after a rewrite."""

from __future__ import annotations

from voiceguide.voice.protowire import TENSOR_TYPES, length_delimited, string, varint


def value_info(name: str, dtype: str) -> bytes:
    """A ValueInfoProto of a tensor of `dtype` and any shape (a graph's input or output)."""
    tensor_type = varint(1 << 3) + varint(TENSOR_TYPES[dtype])  # TypeProto.Tensor.elem_type
    return string(1, name) + length_delimited(2, length_delimited(1, tensor_type))


def model_bytes(graph_fields: list[bytes], *, inputs: dict[str, str], outputs: dict[str, str], opset: int = 20,
                contrib: bool = False) -> bytes:
    """A ModelProto (IR version 9) of these graph fields (nodes and initializers) with these inputs and
    outputs (name: dtype), importing ONNX's opset and, with `contrib`, onnxruntime's com.microsoft."""
    graph = b"".join([*graph_fields, string(2, "test")])
    graph += b"".join(length_delimited(11, value_info(n, t)) for n, t in inputs.items())
    graph += b"".join(length_delimited(12, value_info(n, t)) for n, t in outputs.items())
    imports = length_delimited(8, string(1, "") + varint(2 << 3) + varint(opset))
    if contrib:
        imports += length_delimited(8, string(1, "com.microsoft") + varint(2 << 3) + varint(1))
    return varint(1 << 3) + varint(9) + imports + length_delimited(7, graph)
