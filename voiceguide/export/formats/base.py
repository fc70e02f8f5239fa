"""What every output format shares: the metadata a file carries, the plugin interface, the ffmpeg pipe
that encodes a stream of blocks, and the ffmetadata text that hands ffmpeg tags and chapters."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ... import dsp
from ...audiofile import ffmpeg_binary
from ...errors import VoiceguideError
from ...plan.timeline import Chapter

DEFAULT_BITRATE = 64  # kbit/s: ample for mono speech


@dataclass(frozen=True)
class Tags:
    title: str
    artist: str
    album: str
    comment: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class FileMeta:
    """Everything a file says about itself besides the audio: tags, chapters (seconds), a cover picture."""

    tags: Tags
    chapters: tuple[Chapter, ...] = ()
    duration: float = 0.0
    cover: Path | None = None  # a JPEG or PNG, embedded where the format can carry one
    genre: str = "Speech"


class OutputFormat(ABC):
    """One kind of output file. `write` encodes `blocks` (float32 at dsp.RATE) with `meta` into `path`,
    which the caller has made a temporary name (renamed into place only when `write` returns)."""

    name: str
    suffix: str
    mime: str
    describe: str

    def loss_db(self, bitrate: int) -> float:
        """How much quieter speech comes back from the decoded file than went in; the session gain adds it."""
        return 0.0

    @abstractmethod
    def write(self, path: Path, blocks: Iterable[np.ndarray], meta: FileMeta, bitrate: int,
              progress: Callable[[int], None] | None = None) -> None: ...


class FfmpegPipe:
    """ffmpeg reading raw 16-bit mono PCM at dsp.RATE on stdin (plus `inputs`, e.g. metadata and a
    cover) and writing `path` with `output_args`. Its failures become one-line errors."""

    def __init__(self, path: Path, output_args: list[str], inputs: list[str] = (), what: str = "the audio"):
        self.path, self.what = path, what
        args = [
            ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "s16le", "-ar", str(dsp.RATE), "-ac", "1", "-i", "pipe:0", *inputs,
            "-fflags", "+bitexact", "-flags:a", "+bitexact", *output_args, str(path),
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
        raise VoiceguideError(f"ffmpeg could not encode {self.what}: {err[-400:] or 'it stopped unexpectedly'}")


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


def _escape(value: str) -> str:
    """ffmetadata's escaping: '=', ';', '#', '\\' and line breaks take a backslash."""
    out = []
    for ch in " ".join(str(value).split()):
        if ch in "=;#\\":
            out.append("\\")
        out.append(ch)
    return "".join(out)


def ffmetadata(meta: FileMeta, keys: dict[str, str | None]) -> str:
    """An ffmetadata document: global `keys` (empty values left out) and a chapter per chapter, in ms."""
    lines = [";FFMETADATA1"]
    lines += [f"{k}={_escape(v)}" for k, v in keys.items() if v]
    for ch in meta.chapters:
        end = ch.end if ch.end > ch.start else meta.duration
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={int(round(ch.start * 1000))}",
                  f"END={int(round(max(end, ch.start) * 1000))}", f"title={_escape(ch.title)}"]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def temporary_text(text: str, suffix: str):
    """A private temporary file holding `text`, removed however the block ends."""
    fd, name = tempfile.mkstemp(prefix="voiceguide-", suffix=suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def cover_kind(path: Path | None) -> str | None:
    """'jpeg' or 'png' when `path` is a readable picture of that kind (by its first bytes), else None."""
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return None
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None
