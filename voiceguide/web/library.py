"""The rendered sessions in a folder, as `voiceguide serve` lists them.

A session is `NAME.mp3` directly inside the folder (or, when there is no MP3 of that name, `NAME.m4a`,
`.m4b` or `.opus`). Its details come from `NAME.json` (the timeline,
`Timeline.to_json()`) when it is there and matches the MP3; otherwise from the MP3's own ID3 tags
(title, artist, album, comment, CHAP chapters) and its length, read with mutagen. Files are found by
name only (`safe_file`): never a sub-folder, a hidden file, or a link that leads out. The folder is
re-read on each call (cached by file size and time), so a render that finishes shows up at once.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..plan.timeline import Chapter

# The audio a session can be, in order of preference when several share a name, with their MIME types.
AUDIO_TYPES = {"mp3": "audio/mpeg", "m4a": "audio/mp4", "m4b": "audio/mp4", "opus": "audio/ogg"}
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}"  # what render.output_name() makes, and nothing hidden
_NAME_RE = re.compile(rf"^{NAME_PATTERN}$")


@dataclass(frozen=True)
class SessionInfo:
    name: str  # the file stem: NAME.mp3
    title: str
    summary: str | None
    author: str
    album: str
    language: str
    duration: float
    size: int
    mtime: float
    digest: str  # of the MP3's bytes: the feed's guid changes when (and only when) the audio does
    chapters: tuple[Chapter, ...]
    timeline: dict | None = field(default=None, compare=False)  # NAME.json, when present and current
    transcript: bool = False  # NAME.srt is there
    lyrics: bool = False  # NAME.lrc is there
    cover_file: str | None = None  # NAME.jpg or NAME.png beside the MP3, if the user put one there
    captions: bool = False  # NAME.vtt is there
    audio_file: str | None = None  # the audio's file name when it is not NAME.mp3

    @property
    def audio_name(self) -> str:
        return self.audio_file or f"{self.name}.mp3"

    @property
    def audio_type(self) -> str:
        return AUDIO_TYPES[self.audio_name.rsplit(".", 1)[1]]

    @property
    def detailed(self) -> bool:
        return self.timeline is not None

    def timeline_json(self) -> dict:
        """The timeline, or as much of it as the MP3's tags tell (chapters, no events)."""
        if self.timeline is not None:
            return self.timeline
        return {
            "title": self.title,
            "duration": round(self.duration, 3),
            "chapters": [{"start": round(c.start, 3), "end": round(c.end, 3), "title": c.title} for c in self.chapters],
            "events": [],
            "summary": self.summary,
        }


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:20]


def _text(tags, frame_id: str) -> str | None:
    frames = tags.getall(frame_id) if tags is not None else []
    for frame in frames:
        text = " ".join(str(t) for t in getattr(frame, "text", []) if str(t).strip())
        if text.strip():
            return text.strip()
    return None


def id3_chapters(tags, duration: float) -> tuple[Chapter, ...]:
    """Chapters from ID3 CHAP frames, in the order of the top-level CTOC (else by start time)."""
    if tags is None:
        return ()
    chaps = {f.element_id: f for f in tags.getall("CHAP")}
    order: list[str] = []
    for toc in tags.getall("CTOC"):
        if toc.flags & 0x01:  # top level
            order = [cid for cid in toc.child_element_ids if cid in chaps]
            break
    if not order:
        order = sorted(chaps, key=lambda cid: chaps[cid].start_time)
    out = []
    for cid in order:
        f = chaps[cid]
        title_frames = [s for s in f.sub_frames.values() if s.FrameID == "TIT2"]
        title = str(title_frames[0].text[0]) if title_frames and title_frames[0].text else cid
        start = f.start_time / 1000.0
        end = f.end_time / 1000.0 if f.end_time and f.end_time != 0xFFFFFFFF else duration
        out.append(Chapter(start=start, end=min(end, duration) if duration else end, title=title))
    return tuple(out)


def _other_tags(path: Path) -> tuple[float, dict[str, str]]:
    """Length and plain tags (title, artist, album, comment, language) of an M4A, M4B or Opus file."""
    import mutagen

    audio = mutagen.File(path)
    if audio is None:
        raise ValueError("not an audio file mutagen reads")
    names = {"title": ("\xa9nam", "title"), "artist": ("\xa9ART", "artist"), "album": ("\xa9alb", "album"),
             "comment": ("\xa9cmt", "comment", "description"), "language": ("language",)}
    found = {}
    for key, candidates in names.items():
        for c in candidates:
            try:
                values = audio.tags.get(c) if audio.tags is not None else None
            except ValueError:  # a key this kind of tag cannot hold (Vorbis comments are ASCII)
                values = None
            if values:
                found[key] = str(values[0]).strip()
                break
    return float(audio.info.length), found


def read_session(mp3: Path, name: str | None = None, folder: Path | None = None, ext: str | None = None) -> SessionInfo:
    """A session's details from NAME.mp3 (or its M4A, M4B or Opus) and, when present and current,
    NAME.json (in the same folder)."""
    st = mp3.stat()
    name = name or mp3.stem
    ext = ext or mp3.suffix.lower().lstrip(".")
    if ext == "mp3":
        from mutagen.mp3 import MP3

        audio = MP3(mp3)
        tags = audio.tags
        duration = float(audio.info.length)
        title = _text(tags, "TIT2") or name
        summary = _text(tags, "COMM")
        author = _text(tags, "TPE1") or "voiceguide"
        album = _text(tags, "TALB") or title
        language = _text(tags, "TLAN") or "en"
        chapters = id3_chapters(tags, duration)
    else:
        duration, plain = _other_tags(mp3)
        title = plain.get("title") or name
        summary = plain.get("comment")
        author = plain.get("artist") or "voiceguide"
        album = plain.get("album") or title
        language = plain.get("language") or "en"
        chapters = ()  # from NAME.json below
    folder = Path(folder) if folder is not None else mp3.parent
    timeline = _timeline_beside(folder, name, duration)
    if timeline is not None:
        title = str(timeline.get("title") or title)
        summary = timeline.get("summary") or summary
        duration = float(timeline.get("duration") or duration)
        language = (timeline.get("settings") or {}).get("language") or language
        chapters = tuple(
            Chapter(start=float(c["start"]), end=float(c.get("end") or duration), title=str(c.get("title", "")))
            for c in timeline["chapters"]
        )
    cover = next((f"{name}.{ext}" for ext in ("jpg", "png") if safe_file(folder, f"{name}.{ext}")), None)
    return SessionInfo(
        name=name,
        title=title,
        summary=summary,
        author=author,
        album=album,
        language=language,
        duration=duration,
        size=st.st_size,
        mtime=st.st_mtime,
        digest=_file_digest(mp3),
        chapters=chapters,
        timeline=timeline,
        transcript=safe_file(folder, f"{name}.srt") is not None,
        lyrics=safe_file(folder, f"{name}.lrc") is not None,
        cover_file=cover,
        captions=safe_file(folder, f"{name}.vtt") is not None,
        audio_file=None if ext == "mp3" else f"{name}.{ext}",
    )


def _timeline_beside(folder: Path, name: str, duration: float) -> dict | None:
    """NAME.json if it is a timeline for this very MP3 (a stale one from an earlier render is ignored)."""
    path = safe_file(folder, name + ".json")
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("chapters"), list) or not isinstance(data.get("events", []), list):
        return None
    try:
        if abs(float(data.get("duration", -1)) - duration) > 0.5:  # the MP3 adds 23-47 ms of padding
            return None
        for c in data["chapters"]:
            float(c["start"]), str(c["title"])
        for e in data.get("events", []):
            float(e["start"]), float(e["end"]), str(e["kind"])
    except (KeyError, TypeError, ValueError):
        return None
    return data


def safe_file(root: Path, filename: str) -> Path | None:
    """`root/filename` if it is a regular file that really lies in `root` (after following links)."""
    if not _NAME_RE.match(filename.rsplit(".", 1)[0]) or "/" in filename or "\\" in filename:
        return None
    path = root / filename
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if real.parent != root.resolve() or not real.is_file():
        return None
    return real


class Library:
    """The sessions in a folder, re-read when files change."""

    def __init__(self, root: Path, log: Callable[[str], None] | None = None):
        self.root = Path(root).resolve()
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[tuple, SessionInfo | None]] = {}
        self._log = log or (lambda message: None)

    def file(self, filename: str) -> Path | None:
        return safe_file(self.root, filename)

    def sessions(self) -> list[SessionInfo]:
        found = []
        try:
            names = sorted(p.name for p in self.root.iterdir())
        except OSError:
            names = []
        stems = dict.fromkeys(stem for stem, dot, ext in (n.rpartition(".") for n in names)
                              if dot and ext in AUDIO_TYPES and _NAME_RE.match(stem))
        for stem in stems:
            info = self.get(stem)
            if info is not None:
                found.append(info)
        return sorted(found, key=lambda s: (s.title.lower(), s.name))

    def get(self, name: str) -> SessionInfo | None:
        if not _NAME_RE.match(name):
            return None
        ext = next((ext for ext in AUDIO_TYPES if self.file(f"{name}.{ext}") is not None), None)
        if ext is None:
            return None
        mp3 = self.file(f"{name}.{ext}")
        key = (ext,) + tuple(_stamp(self.root / f"{name}.{ext}")
                                  for ext in (*AUDIO_TYPES, "json", "srt", "vtt", "lrc", "jpg", "png"))
        with self._lock:
            cached = self._cache.get(name)
            if cached and cached[0] == key:
                return cached[1]
        try:
            info = read_session(mp3, name, self.root, ext)
        except Exception as exc:  # a damaged or half-copied file: leave it out, keep serving the rest
            self._log(f"{name}.{ext}: cannot read it ({type(exc).__name__}: {exc}); not listed")
            info = None
        with self._lock:
            self._cache[name] = (key, info)
        return info


def _stamp(path: Path) -> tuple:
    try:
        st = path.stat()
        return (st.st_size, st.st_mtime_ns)
    except OSError:
        return ()


def cover_url(s: SessionInfo) -> str:
    """Where the session's cover is served: the user's own picture beside the MP3, else one made for it."""
    return f"/media/{s.cover_file}" if s.cover_file else f"/cover/{s.name}.png"
