"""Export: one session mixed and encoded to a file, with its transcripts, atomically.

The session itself (routine, settings, voice, timeline) comes from `session.build`, the front half
export shares with live playback; this module is the back half: mix -> loudness -> format -> file.
"""

from __future__ import annotations

import errno
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import dsp
from ..errors import VoiceguideError
from ..fsutil import atomic_path, atomic_write_text
from ..mix.mixer import CEILING_DBTP, TARGET_LUFS, Mixer
from ..routine import Routine
from ..session.build import Session
from ..voice import ClipCache
from .transcripts import DEFAULT_BITRATE, FileMeta, Tags, get_format, lrc, srt, vtt


def output_name(path: Path) -> str:
    """A safe file stem from the routine's file name (never from its title)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip(".-") or "routine"
    return stem[:100]


@dataclass(frozen=True)
class RenderResult:
    path: Path
    duration: float
    size: int
    gain_db: float
    extras: tuple[Path, ...] = field(default=())


def _gain_key(sess: Session, fmt: str, bitrate: int, ceiling_dbtp: float) -> str:
    """What the session's loudness depends on: the timeline, the clips' engine and format, the sounds'
    files, the limiter's ceiling."""
    import hashlib

    from ..voice.cache import CLIP_FORMAT

    sounds = sorted({str(e.path) for e in sess.timeline.events if e.path is not None})
    stamp = []
    for path in sounds:
        try:
            st = os.stat(path)
            stamp.append((path, st.st_size, st.st_mtime_ns))
        except OSError:
            stamp.append((path, -1, -1))
    cues = sess.voice.cues.fingerprint() if sess.voice.cues is not None else None  # the recordings in use
    digest = hashlib.sha256()
    head = [sess.voice.engine.name, sess.voice.engine.version(), sess.voice.voice_id, sess.voice.wpm, CLIP_FORMAT,
            stamp, fmt, bitrate, TARGET_LUFS, cues, sess.timeline.duration, ceiling_dbtp]
    digest.update(json.dumps(head, sort_keys=True).encode("utf-8"))
    for e in sess.timeline.events:  # event by event: no copy of a long timeline is built
        digest.update(repr((round(e.start, 6), round(e.end, 6), str(e.kind), e.text, e.sound, e.role)).encode("utf-8"))
    return digest.hexdigest()


def _cached_gain(cache: ClipCache, key: str) -> float | None:
    """The loudness correction measured for exactly this session before (a warm render skips the pass)."""
    try:
        value = json.loads((cache.root.parent / "gains" / f"{key}.json").read_text())["gain_db"]
        return float(value) if isinstance(value, (int, float)) and abs(value) <= 30 else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store_gain(cache: ClipCache, key: str, gain_db: float) -> None:
    path = cache.root.parent / "gains" / f"{key}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"gain_db": gain_db}))
    except OSError:
        pass  # only a speed-up: a render never fails for want of it


def tags_for(routine: Routine) -> Tags:
    comment = routine.summary
    return Tags(
        title=routine.title,
        artist=routine.author or "voiceguide",
        album=routine.album or routine.title,
        comment=comment,
        language=routine.language,
    )


def cover_for(routine_path: Path, out_dir: Path, stem: str) -> Path | None:
    """The session's cover picture, when there is one: NAME.jpg, .jpeg or .png beside the routine, else in the
    output folder (where `serve` looks for it too). Only a real JPEG or PNG counts."""
    from .formats.base import cover_kind

    for folder in (routine_path.parent, out_dir):
        for ext in ("jpg", "jpeg", "png"):
            candidate = folder / f"{stem}.{ext}"
            if candidate.is_file() and cover_kind(candidate):
                return candidate
    return None


def export(
    sess: Session,
    out_dir: Path,
    fmt: str = "mp3",
    bitrate: int = DEFAULT_BITRATE,
    progress: Callable[[str, int, int], None] | None = None,
) -> RenderResult:
    """Mix and encode a session into `out_dir`; the file and its transcripts appear whole or not at all."""
    kind = get_format(fmt)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VoiceguideError(f"{out_dir}: cannot be used as the output folder ({exc.strerror or exc})") from None
    if not os.access(out_dir, os.W_OK):
        raise VoiceguideError(f"{out_dir}: the output folder is not writable")
    stem = output_name(sess.routine.path)
    target = out_dir / f"{stem}.{kind.suffix}"
    ceiling_dbtp = CEILING_DBTP - sess.voice.engine.peak_headroom_db  # lower for a voice that asks for headroom
    mixer = Mixer(sess.timeline, sess.voice.clip, ceiling_dbtp=ceiling_dbtp)
    total = mixer.length
    known = _gain_key(sess, f"{kind.name}{kind.loss_db(bitrate):+.2f}", bitrate, ceiling_dbtp)
    gain_db = _cached_gain(sess.voice.cache, known)
    if gain_db is None:
        gain_db = mixer.normalise(
            TARGET_LUFS + kind.loss_db(bitrate),
            progress=(lambda n: progress("measure", n, total)) if progress else None,
        )
        _store_gain(sess.voice.cache, known, gain_db)
    else:
        mixer.gain = dsp.db_to_gain(gain_db)
    tags = tags_for(sess.routine)
    meta = FileMeta(tags, tuple(sess.timeline.chapters), sess.timeline.duration,
                    cover_for(sess.routine.path, out_dir, stem))
    written = [0]

    def advance(n: int) -> None:
        written[0] += n
        if progress:
            progress("encode", written[0], total)

    extras = []
    try:
        with atomic_path(target, suffix=f".{kind.suffix}.part") as tmp:
            kind.write(tmp, mixer.blocks(), meta, bitrate, advance)
            timeline = json.dumps(sess.timeline.to_json(), indent=2, ensure_ascii=False) + "\n"  # as `plan --json`
            texts = ((".srt", srt(sess.timeline)), (".vtt", vtt(sess.timeline)), (".lrc", lrc(sess.timeline, tags)),
                     (".json", timeline))
            for suffix, text in texts:
                atomic_write_text(out_dir / f"{stem}{suffix}", text)
                extras.append(out_dir / f"{stem}{suffix}")
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise VoiceguideError(f"{out_dir}: no space left on the device; nothing was written") from None
        raise VoiceguideError(f"{target}: cannot write ({exc.strerror or exc}); nothing was written") from None
    return RenderResult(target, sess.timeline.duration, target.stat().st_size, gain_db, tuple(extras))
