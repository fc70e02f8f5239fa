"""Output formats: each a plugin behind one small interface (`OutputFormat`), picked by name from a registry.

`get_format("m4a")` is what `render` asks for; `names()` is what `--format` accepts. A format writes the
mixed session (a stream of float32 blocks) and its metadata (tags, chapters, cover) to a path the caller
makes atomic. Adding a format is one module and one line in `_REGISTRY`.
"""

from __future__ import annotations

from ...errors import VoiceguideError
from .base import FileMeta, OutputFormat, Tags
from .mp3 import Mp3Format
from .mp4 import M4aFormat, M4bFormat
from .opus import OpusFormat
from .wav import WavFormat

_REGISTRY: dict[str, OutputFormat] = {f.name: f for f in (Mp3Format(), M4aFormat(), M4bFormat(), OpusFormat(), WavFormat())}


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get_format(name: str) -> OutputFormat:
    try:
        return _REGISTRY[name.lower()]
    except KeyError:
        raise VoiceguideError(f"unknown format {name!r}; choose one of {', '.join(_REGISTRY)}") from None


__all__ = ["FileMeta", "OutputFormat", "Tags", "get_format", "names"]
