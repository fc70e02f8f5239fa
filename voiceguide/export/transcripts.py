"""The file sink at the end of the pipeline: the audio file (a plugin from `formats`, picked by name) and
the transcripts written beside it (SubRip, WebVTT, LRC), all timed from the one timeline.

The encoders, tags and chapters of each format live in `voiceguide.export.formats`; the names below that come
from there are kept here for the callers (and benchmarks) that know them from this module.
"""

from __future__ import annotations

from .formats import FileMeta, Tags, get_format, names
from .formats.base import DEFAULT_BITRATE, write_stream
from .formats.mp3 import MP3_RATE, Mp3Encoder, id3_tag, prepend_tag
from .formats.wav import WavEncoder
from ..text import normalise_space, timestamp
from ..plan.timeline import Timeline

FORMATS = names()

__all__ = ["DEFAULT_BITRATE", "FORMATS", "MP3_RATE", "FileMeta", "Mp3Encoder", "Tags", "WavEncoder",
           "encoder_loss_db", "get_format", "id3_tag", "lrc", "prepend_tag", "srt", "vtt", "write_stream"]


def encoder_loss_db(fmt: str, bitrate: int) -> float:
    """How much quieter speech comes back from the decoded file than went in (see each format's loss_db)."""
    return get_format(fmt).loss_db(bitrate)


# ------------------------------------------------------------------ transcripts


def srt(timeline: Timeline) -> str:
    """SubRip: one cue per utterance, timed exactly as spoken."""
    lines = []
    for i, ev in enumerate(timeline.speech(), 1):
        lines += [str(i), f"{timestamp(ev.start, ',')} --> {timestamp(ev.end, ',')}", normalise_space(ev.text), ""]
    return "\n".join(lines)


def _vtt_text(text: str) -> str:
    """Cue text as WebVTT wants it: '&', '<' and '>' as character references (so '-->' cannot occur)."""
    return normalise_space(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt(timeline: Timeline) -> str:
    """WebVTT for browsers and video players: the SRT's cues (same numbers and times), with its header,
    '.' before the milliseconds and the cue text escaped."""
    lines = ["WEBVTT", ""]
    for i, ev in enumerate(timeline.speech(), 1):
        lines += [str(i), f"{timestamp(ev.start, '.')} --> {timestamp(ev.end, '.')}", _vtt_text(ev.text), ""]
    return "\n".join(lines)


def _lrc_time(t: float) -> str:
    cs = int(round(t * 100))
    m, cs = divmod(cs, 6000)
    s, cs = divmod(cs, 100)
    return f"[{m:02d}:{s:02d}.{cs:02d}]"


def lrc(timeline: Timeline, tags: Tags) -> str:
    """LRC lyrics for music players: a line per utterance, plus the title and length."""
    total = int(round(timeline.duration))
    head = [f"[ti:{tags.title}]", f"[ar:{tags.artist}]", f"[al:{tags.album}]", f"[length:{total // 60:02d}:{total % 60:02d}]"]
    body = [f"{_lrc_time(ev.start)}{normalise_space(ev.text)}" for ev in timeline.speech()]
    return "\n".join(head + body) + "\n"
