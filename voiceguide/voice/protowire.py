"""The few pieces of protobuf's wire format that reading and rewriting an ONNX model needs.

Why by hand: the `onnx` package would parse the whole model (60-90 MB of weights) into objects to
change a handful of nodes; these functions walk the bytes where they lie and hand back positions, so
a rewritten model is made of views into the original plus the few fields that changed. Field numbers
are those of onnx.proto.
"""

from __future__ import annotations

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
    return [bytes(b[v[0] : v[1]]).decode("utf-8") for f, wt, v, _, _ in fields(b) if f == field and wt == 2]


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
