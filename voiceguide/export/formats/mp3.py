"""MP3: libmp3lame through ffmpeg, then an ID3v2.3 tag with CHAP/CTOC chapters (and the cover, if any).

The encoder writes to a seekable file so it can write the LAME/Xing header that lets decoders drop the
encoder delay: decoded audio then lines up with the timeline to the sample.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from ...plan.timeline import Chapter
from .base import DEFAULT_BITRATE, FfmpegPipe, FileMeta, OutputFormat, Tags, cover_kind, write_stream

# The MP3's sample rate. Readers such as ffprobe report an MP3's duration as whole frames including the
# encoder's delay (1105 samples) and padding: at 22.05 kHz that is 50-76 ms longer than the audio, at
# 48 kHz 23-47 ms. So the session (mixed at dsp.RATE) is resampled by ffmpeg to 48 kHz on the way in.
MP3_RATE = 48000


class Mp3Encoder(FfmpegPipe):
    """Stream float32 blocks into ffmpeg/libmp3lame, writing a bare MP3 (no tag) to `path`."""

    def __init__(self, path: Path, bitrate: int = DEFAULT_BITRATE):
        super().__init__(path, [
            "-map_metadata", "-1", "-ar", str(MP3_RATE), "-c:a", "libmp3lame", "-b:a", f"{int(bitrate)}k",
            "-write_xing", "1", "-write_id3v2", "0", "-f", "mp3",
        ], what="the MP3")


def id3_tag(chapters: "tuple[Chapter, ...] | list[Chapter]", tags: Tags, cover: Path | None = None) -> bytes:
    """An ID3v2.3 tag: title, artist, album, genre, language, comment, the cover (APIC) when given, and a
    chapter (CHAP) per chapter under a top-level table of contents (CTOC). Frames are written in chapter
    order (mutagen's own save sorts frames by size, which scrambles chapters for some readers)."""
    from mutagen.id3 import APIC, CHAP, COMM, CTOC, TALB, TCON, TIT2, TLAN, TPE1, CTOCFlags
    from mutagen.id3._tags import save_frame
    from mutagen.id3._util import BitPaddedInt, ID3SaveConfig

    chapters = list(getattr(chapters, "chapters", chapters))
    frames = [
        TIT2(encoding=3, text=tags.title),
        TPE1(encoding=3, text=tags.artist),
        TALB(encoding=3, text=tags.album),
        TCON(encoding=3, text="Speech"),
    ]
    if tags.language:
        frames.append(TLAN(encoding=3, text=tags.language))
    if tags.comment:
        frames.append(COMM(encoding=3, lang="eng", desc="", text=tags.comment))
    kind = cover_kind(cover)
    if kind:
        frames.append(APIC(encoding=3, mime=f"image/{kind}", type=3, desc="Cover", data=cover.read_bytes()))
    ids = [f"ch{i:04d}" for i in range(len(chapters))]
    # A table of contents lists at most 255 entries (its count is one byte): longer sessions get a
    # top-level table of part tables, each listing up to 255 chapters.
    parts = [ids[i : i + 255] for i in range(0, len(ids), 255)] or [[]]
    if len(parts) == 1:
        frames.append(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                           child_element_ids=parts[0], sub_frames=[TIT2(encoding=3, text=tags.title)]))
    else:
        part_ids = [f"toc{n + 1}" for n in range(len(parts))]
        frames.append(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                           child_element_ids=part_ids, sub_frames=[TIT2(encoding=3, text=tags.title)]))
        for n, (pid, children) in enumerate(zip(part_ids, parts), 1):
            frames.append(CTOC(element_id=pid, flags=CTOCFlags.ORDERED, child_element_ids=children,
                               sub_frames=[TIT2(encoding=3, text=f"{tags.title}, part {n}")]))
    for cid, ch in zip(ids, chapters):
        frames.append(
            CHAP(
                element_id=cid,
                start_time=int(round(ch.start * 1000)),
                end_time=int(round(ch.end * 1000)),
                sub_frames=[TIT2(encoding=3, text=ch.title)],
            )
        )
    config = ID3SaveConfig(3, "/")
    body = b"".join(save_frame(f, config=config) for f in frames) + b"\x00" * 256  # a little padding
    return b"ID3" + bytes([3, 0, 0]) + BitPaddedInt.to_str(len(body), width=4) + body


def prepend_tag(path: Path, tag: bytes) -> None:
    """Put `tag` in front of the MP3 audio at `path` (which has no tag of its own), in place via a copy."""
    import shutil

    tmp = path.with_name(path.name + ".tag")
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            dst.write(tag)
            shutil.copyfileobj(src, dst, 1 << 20)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class Mp3Format(OutputFormat):
    name, suffix, mime = "mp3", "mp3", "audio/mpeg"
    describe = "MP3 with ID3 tags and chapters"

    def loss_db(self, bitrate: int) -> float:
        """libmp3lame at 48 kHz plus decoding: 0.45-0.65 dB quieter, measured on the shipped routines at 64 kbit/s."""
        return 0.5

    def write(self, path, blocks, meta: FileMeta, bitrate, progress=None) -> None:
        write_stream(Mp3Encoder(path, bitrate), blocks, progress)
        prepend_tag(path, id3_tag(meta.chapters, meta.tags, meta.cover))
