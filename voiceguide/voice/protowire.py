"""The few pieces of protobuf's wire format that reading and rewriting an ONNX model needs.

Why by hand: the `onnx` package would parse the whole model (60-90 MB of weights) into objects to
change a handful of nodes; these functions walk the bytes where they lie and hand back positions, so
a rewritten model is made of views into the original plus the few fields that changed. Field numbers
are those of onnx.proto.
"""

from __future__ import annotations

import struct
from typing import Iterator


def read_varint(b, i: int) -> tuple[int, int]:
    """The varint at b[i]: (value, position after it)."""
    r = shift = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return r, i


def fields(b, i: int = 0, n: int | None = None) -> Iterator[tuple[int, int, object, int, int]]:
    """(field, wire type, value, start, end) of the message in b[i:n]: value is an int, or (start, end)
    of a length-delimited payload; positions are in `b`, so nothing is copied."""
    n = len(b) if n is None else n
    while i < n:
        start = i
        key, i = read_varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(b, i)
        elif wt == 1:
            v, i = None, i + 8
        elif wt == 2:
            ln, i = read_varint(b, i)
            v, i = (i, i + ln), i + ln
        elif wt == 5:
            v, i = None, i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wt}")
        if i > n:
            raise ValueError("truncated protobuf")
        yield f, wt, v, start, i


def strings(b, field: int) -> list[str]:
    """Every string of field number `field` in the message b (a node's inputs, a tensor's name)."""
    return strings_by_field(b, (field,))[field]


def strings_by_field(b, wanted: tuple[int, ...]) -> dict[int, list[str]]:
    """The strings of each field number in `wanted`, in one walk over the message (a node's inputs,
    outputs and type: a third of the walks when a whole graph is indexed)."""
    out: dict[int, list[str]] = {f: [] for f in wanted}
    for f, wt, v, _, _ in fields(b):
        if wt == 2 and f in out:
            out[f].append(bytes(b[v[0] : v[1]]).decode("utf-8"))
    return out


def varint(v: int) -> bytes:
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


def length_delimited(field: int, payload: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def string(field: int, text: str) -> bytes:
    return length_delimited(field, text.encode("utf-8"))


def signed(v: int) -> int:
    """A varint's value read back as the int64 it encodes (negative numbers take ten bytes)."""
    return v - (1 << 64) if v >= 1 << 63 else v


def packed_ints(b, v) -> list[int]:
    """The int64s of a repeated field's occurrence: `v` is a varint, or the (start, end) of a packed run."""
    if isinstance(v, int):
        return [signed(v)]
    out, i = [], v[0]
    while i < v[1]:
        x, i = read_varint(b, i)
        out.append(signed(x))
    return out


# ONNX's own pieces: a node, an attribute and a tensor (onnx.proto's field numbers)
ATTRIBUTE_FLOAT, ATTRIBUTE_INT, ATTRIBUTE_INTS = 1, 2, 7  # AttributeProto.AttributeType
TENSOR_TYPES = {"float32": 1, "uint8": 2, "int8": 3, "int32": 6, "int64": 7}  # TensorProto.DataType


def int_attribute(name: str, value: int) -> bytes:
    return string(1, name) + varint(3 << 3) + varint(value & (1 << 64) - 1) + varint(20 << 3) + varint(ATTRIBUTE_INT)


def float_attribute(name: str, value: float) -> bytes:
    return string(1, name) + varint(2 << 3 | 5) + struct.pack("<f", value) + varint(20 << 3) + varint(ATTRIBUTE_FLOAT)


def ints_attribute(name: str, values: list[int]) -> bytes:
    body = b"".join(varint(8 << 3) + varint(x & (1 << 64) - 1) for x in values)
    return string(1, name) + body + varint(20 << 3) + varint(ATTRIBUTE_INTS)


def node(op: str, inputs: list[str], outputs: list[str], name: str, attributes: tuple[bytes, ...] = (),
         domain: str = "") -> bytes:
    """A GraphProto.node field: the node with its inputs, outputs, name, type, attributes and the
    domain of its operator (ONNX's own by default)."""
    body = b"".join(string(1, x) for x in inputs) + b"".join(string(2, x) for x in outputs)
    body += string(3, name) + string(4, op) + b"".join(length_delimited(5, a) for a in attributes)
    return length_delimited(1, body + (string(7, domain) if domain else b""))


def tensor(name: str, array) -> bytes:
    """A GraphProto.initializer field holding `array` (a numpy array) as little-endian raw data."""
    body = b"".join(varint(1 << 3) + varint(d) for d in array.shape)  # dims
    body += varint(2 << 3) + varint(TENSOR_TYPES[array.dtype.name])  # data_type
    body += string(8, name) + length_delimited(9, array.astype(array.dtype.newbyteorder("<")).tobytes())  # raw_data
    return length_delimited(5, body)
