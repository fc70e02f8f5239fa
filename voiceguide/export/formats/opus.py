"""Ogg Opus: libopus through ffmpeg; tags, chapters and the cover as Vorbis comments, written by mutagen.

Chapters follow the Vorbis chapter extension: CHAPTER001=HH:MM:SS.mmm and CHAPTER001NAME=title. They are
written here rather than by ffmpeg because ffmpeg 5.1's Ogg muxer wrote some starts a whole second late
(00:00:10.814 for 9.814 s, seen on daily-five). The cover is a METADATA_BLOCK_PICTURE. Ogg's granule
positions give the exact length and the pre-skip hides the encoder's delay, so decoded audio lines up
with the timeline.
"""

from __future__ import annotations

import base64

from ...text import timestamp
from .base import FfmpegPipe, FileMeta, OutputFormat, cover_kind, write_stream

OPUS_RATE = 48000


def vorbis_comments(meta: FileMeta) -> list[tuple[str, str]]:
    """The comments, in a fixed order: tags, then a CHAPTERnnn/CHAPTERnnnNAME pair per chapter (from 001)."""
    t = meta.tags
    pairs = [("TITLE", t.title), ("ARTIST", t.artist), ("ALBUM", t.album), ("COMMENT", t.comment),
             ("GENRE", meta.genre), ("LANGUAGE", t.language)]
    out = [(k, " ".join(str(v).split())) for k, v in pairs if v]
    for n, ch in enumerate(meta.chapters, 1):
        out += [(f"CHAPTER{n:03d}", timestamp(ch.start)), (f"CHAPTER{n:03d}NAME", " ".join(ch.title.split()))]
    return out


class OpusFormat(OutputFormat):
    name, suffix, mime = "opus", "opus", "audio/ogg"
    describe = "Ogg Opus with chapters as Vorbis comments"

    def loss_db(self, bitrate: int) -> float:
        """libopus at 64 kbit/s, as decoded, measured 0.1 dB under the WAV of the same session."""
        return 0.1

    def write(self, path, blocks, meta: FileMeta, bitrate, progress=None) -> None:
        out = ["-map", "0:a", "-map_metadata", "-1", "-ar", str(OPUS_RATE), "-c:a", "libopus",
               "-b:a", f"{int(bitrate)}k", "-f", "ogg"]
        write_stream(FfmpegPipe(path, out, what="the Opus file"), blocks, progress)
        self.tag(path, meta)

    @staticmethod
    def tag(path, meta: FileMeta) -> None:
        from mutagen.flac import Picture
        from mutagen.oggopus import OggOpus

        audio = OggOpus(path)
        audio.tags.clear()
        audio.tags.extend(vorbis_comments(meta))
        kind = cover_kind(meta.cover)
        if kind:
            pic = Picture()
            pic.type, pic.mime, pic.desc, pic.data = 3, f"image/{kind}", "Cover", meta.cover.read_bytes()
            audio.tags.append(("METADATA_BLOCK_PICTURE", base64.b64encode(pic.write()).decode("ascii")))
        audio.save()
