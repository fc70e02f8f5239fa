"""Covers for podcast apps, made here as PNG: a session's steps as bars to scale, in a colour of its own."""

from __future__ import annotations

import colorsys
import hashlib
import struct
import zlib

from .style import GROUND_RGB


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    """An 8-bit RGB PNG from `height` rows of `width * 3` bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _hue_rgb(seed: str, lightness: float = 0.62, saturation: float = 0.55) -> tuple[int, int, int]:
    hue = int(hashlib.sha256(seed.encode("utf-8")).hexdigest()[:6], 16) / 0xFFFFFF
    r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
    return int(r * 255), int(g * 255), int(b * 255)


def cover_png(lengths: list[float], seed: str, size: int = 1400) -> bytes:
    """A square cover: the session's steps as bars to scale (the longest spans the width), in a
    colour of its own, on the page's dark ground. Podcast apps want 1400 to 3000 pixels, JPEG or PNG."""
    bg = bytes(GROUND_RGB)
    accent = _hue_rgb(seed)
    light = _hue_rgb(seed, 0.78, 0.45)
    margin = size // 10
    lengths = [max(0.0, x) for x in lengths][:40] or [1.0]
    longest = max(lengths) or 1.0
    area_top, area_bottom = margin + size // 8, size - margin
    n = len(lengths)
    pitch = (area_bottom - area_top) / n
    bar_h = max(2, int(min(pitch * 0.78, size / 9)))
    usable = size - 2 * margin
    background = bg * size
    rows = [background] * size
    band = bg * margin + bytes(accent) * (size - 2 * margin) + bg * margin
    for y in range(margin, margin + max(4, size // 35)):
        rows[y] = band
    for i, length in enumerate(lengths):
        w = max(bar_h, int(usable * length / longest))
        colour = bytes(accent if i % 2 == 0 else light)
        row = bg * margin + colour * w + bg * (size - margin - w)
        y0 = int(area_top + i * pitch + (pitch - bar_h) / 2)
        for y in range(y0, min(size, y0 + bar_h)):
            rows[y] = row
    return _png(size, size, rows)
