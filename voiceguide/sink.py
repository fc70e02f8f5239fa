"""Sinks at the end of the pipeline: an MP3 or WAV file (atomic), its tags and chapters, transcripts.

The encoder is ffmpeg reading raw PCM on stdin and writing to a seekable file,
so it can write the LAME/Xing header that lets decoders drop the encoder delay:
decoded audio then lines up with the timeline to the sample.
"""

from __future__ import annotations

import contextlib
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from . import dsp
from .audiofile import ffmpeg_binary
from .errors import VoiceguideError
from .timeline import Timeline
from .text import normalise_space

FORMATS = ("mp3", "wav")
DEFAULT_BITRATE = 64  # kbit/s: ample for mono speech
# The MP3's sample rate. Readers such as ffprobe report an MP3's duration as whole frames including the
# encoder's delay (1105 samples) and padding: at 22.05 kHz that is 50-76 ms longer than the audio, at
# 48 kHz 23-47 ms. So the session (mixed at dsp.RATE) is resampled by ffmpeg to 48 kHz on the way in.
MP3_RATE = 48000


def encoder_loss_db(fmt: str, bitrate: int) -> float:
    """How much quieter speech comes back from our MP3 than went in (libmp3lame at 48 kHz plus decoding):
    0.45-0.65 dB, measured on the shipped routines at 64 kbit/s. The session gain adds it back so the file,
    as decoded, sits on the target."""
    return 0.5 if fmt == "mp3" else 0.0


@dataclass(frozen=True)
class Tags:
    title: str
    artist: str
    album: str
    comment: str | None = None
    language: str | None = None


class Mp3Encoder:
    """Stream float32 blocks into ffmpeg/libmp3lame, writing `path` (which the caller makes atomic)."""

    def __init__(self, path: Path, bitrate: int = DEFAULT_BITRATE):
        self.path = path
        args = [
            ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "s16le", "-ar", str(dsp.RATE), "-ac", "1", "-i", "pipe:0",
            "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
            "-ar", str(MP3_RATE), "-c:a", "libmp3lame", "-b:a", f"{int(bitrate)}k",
            "-write_xing", "1", "-write_id3v2", "0",
            "-f", "mp3", str(path),
        ]
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise VoiceguideError(f"cannot start ffmpeg: {exc.strerror or exc}") from None

    def write(self, block: np.ndarray) -> None:
        try:
            self.proc.stdin.write(dsp.to_int16(block).tobytes())
        except BrokenPipeError:
            self._fail()

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()
        if self.proc.wait() != 0:
            self._fail()

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.close()
        self.proc.wait()

    def _fail(self):
        self.proc.kill()
        err = self.proc.stderr.read().decode("utf-8", "replace").strip() if self.proc.stderr else ""
        self.proc.wait()
        if "No space left" in err:
            raise VoiceguideError(f"{self.path.parent}: no space left on the device")
        raise VoiceguideError(f"ffmpeg could not encode the MP3: {err[-400:] or 'it stopped unexpectedly'}")


class WavEncoder:
    def __init__(self, path: Path):
        self.path = path
        self.w = wave.open(str(path), "wb")
        self.w.setnchannels(1)
        self.w.setsampwidth(2)
        self.w.setframerate(dsp.RATE)

    def write(self, block: np.ndarray) -> None:
        self.w.writeframes(dsp.to_int16(block).tobytes())

    def close(self) -> None:
        self.w.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.w.close()


def encoder(fmt: str, path: Path, bitrate: int = DEFAULT_BITRATE):
    if fmt == "mp3":
        return Mp3Encoder(path, bitrate)
    if fmt == "wav":
        return WavEncoder(path)
    raise VoiceguideError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def write_stream(enc, blocks: Iterable[np.ndarray], progress=None) -> None:
    """Mix (this thread) and write (a writer thread) at the same time, so the encoder never waits for
    the mixer; numpy and the pipe both release the interpreter lock, so the two share the cores."""
    import queue
    import threading

    pending: queue.Queue = queue.Queue(maxsize=4)
    failure: list[BaseException] = []

    def writer():
        while True:
            block = pending.get()
            if block is None:
                return
            try:
                enc.write(block)
            except BaseException as exc:  # reported to the mixing thread
                failure.append(exc)
                while pending.get() is not None:  # drain so the producer never blocks forever
                    pass
                return

    thread = threading.Thread(target=writer, name="encoder-feed", daemon=True)
    thread.start()
    try:
        for block in blocks:
            if failure:
                break
            pending.put(block)
            if progress:
                progress(block.size)
        pending.put(None)
        thread.join()
        if failure:
            raise failure[0]
        enc.close()
    except BaseException:
        if thread.is_alive():
            with contextlib.suppress(Exception):
                while True:
                    pending.get_nowait()
            pending.put(None)
        enc.abort()
        thread.join(timeout=5)
        raise


def id3_tag(timeline: Timeline, tags: Tags) -> bytes:
    """An ID3v2.3 tag: title, artist, album, genre, language, comment, and a chapter (CHAP) per
    chapter under a top-level table of contents (CTOC). Frames are written in chapter order
    (mutagen's own save sorts frames by size, which scrambles chapters for some readers)."""
    from mutagen.id3 import CHAP, COMM, CTOC, TALB, TCON, TIT2, TLAN, TPE1, CTOCFlags
    from mutagen.id3._tags import save_frame
    from mutagen.id3._util import BitPaddedInt, ID3SaveConfig

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
    ids = [f"ch{i:04d}" for i in range(len(timeline.chapters))]
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
    for cid, ch in zip(ids, timeline.chapters):
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


# ------------------------------------------------------------------ transcripts


def _srt_time(t: float) -> str:
    ms = int(round(t * 1000))
    h, ms = divmod(ms, 3600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def srt(timeline: Timeline) -> str:
    """SubRip: one cue per utterance, timed exactly as spoken."""
    lines = []
    for i, ev in enumerate(timeline.speech(), 1):
        lines += [str(i), f"{_srt_time(ev.start)} --> {_srt_time(ev.end)}", normalise_space(ev.text), ""]
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
