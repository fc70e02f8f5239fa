"""Serve rendered sessions on the local network: a podcast feed, the MP3s, and a small web page.

`make_server(folder, host, port)` returns a standard-library `ThreadingHTTPServer`; run it with
`serve_forever()` (the CLI does, tests do in a thread). Everything it serves comes from three places:

- the page's own static files in `voiceguide/web/` (a fixed list, nothing else from there);
- the rendered files in the served folder, by name only: `NAME.mp3`, `.srt`, `.lrc`, `.json`,
  `.png`, `.jpg` directly inside it, never a sub-folder, a hidden file, or a link that leads out;
- what it makes from them: the RSS feed, the page's list of sessions, Podcasting 2.0 chapters,
  the timeline picture (SVG) and a cover (PNG).

It is read-only: GET and HEAD only; anything else gets 405. MP3s are served with byte ranges
(phones seek with them), ETag and Last-Modified.

A session's details come from `NAME.json` (the timeline, `Timeline.to_json()`) when it is there and
matches the MP3; otherwise from the MP3's own ID3 tags (title, artist, album, comment, CHAP chapters)
and its length, read with mutagen. Folder contents are re-read on each request (cached by file
size and time), so a render that finishes while the server runs shows up at once.
"""

from __future__ import annotations

import colorsys
import email.utils
import hashlib
import json
import os
import re
import socket
import struct
import sys
import threading
import uuid
import zlib
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree as ET

from . import __version__
from .errors import VoiceguideError
from .plan import Chapter

WEB_DIR = Path(__file__).resolve().parent / "web"
STATIC = {  # URL path -> (file in web/, content type)
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
MEDIA_TYPES = {
    "mp3": "audio/mpeg",
    "srt": "application/x-subrip",
    "lrc": "text/plain; charset=utf-8",
    "json": "application/json",
    "png": "image/png",
    "jpg": "image/jpeg",
}
DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8765
FEED_TITLE = "voiceguide sessions"
CHAPTERS_TYPE = "application/json+chapters"
TRANSCRIPT_TYPE = "application/x-subrip"

NS_ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
NS_PODCAST = "https://podcastindex.org/namespace/1.0"
NS_ATOM = "http://www.w3.org/2005/Atom"
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")  # Podcasting 2.0's podcast:guid

_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}"  # what render.output_name() makes, and nothing hidden
_NAME_RE = re.compile(rf"^{_NAME}$")
_MEDIA_RE = re.compile(rf"^/media/({_NAME})\.({'|'.join(MEDIA_TYPES)})$")
_CHAPTERS_RE = re.compile(rf"^/chapters/({_NAME})\.json$")
_TIMELINE_RE = re.compile(rf"^/timeline/({_NAME})\.svg$")
_COVER_RE = re.compile(rf"^/cover/({_NAME})\.png$")
_HOST_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")

for _prefix, _uri in (("itunes", NS_ITUNES), ("podcast", NS_PODCAST), ("atom", NS_ATOM)):
    ET.register_namespace(_prefix, _uri)


# ------------------------------------------------------------------ sessions in the folder


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


def read_session(mp3: Path, name: str | None = None, folder: Path | None = None) -> SessionInfo:
    """A session's details from NAME.mp3 and, when present and current, NAME.json (in the same folder)."""
    from mutagen.mp3 import MP3

    audio = MP3(mp3)
    tags = audio.tags
    duration = float(audio.info.length)
    st = mp3.stat()
    name = name or mp3.stem
    title = _text(tags, "TIT2") or name
    summary = _text(tags, "COMM")
    author = _text(tags, "TPE1") or "voiceguide"
    album = _text(tags, "TALB") or title
    language = _text(tags, "TLAN") or "en"
    chapters = id3_chapters(tags, duration)
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
    cover = next((f"{name}.{ext}" for ext in ("jpg", "png") if _safe_file(folder, f"{name}.{ext}")), None)
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
        transcript=_safe_file(folder, f"{name}.srt") is not None,
        lyrics=_safe_file(folder, f"{name}.lrc") is not None,
        cover_file=cover,
    )


def _timeline_beside(folder: Path, name: str, duration: float) -> dict | None:
    """NAME.json if it is a timeline for this very MP3 (a stale one from an earlier render is ignored)."""
    path = _safe_file(folder, name + ".json")
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


def _safe_file(root: Path, filename: str) -> Path | None:
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
        return _safe_file(self.root, filename)

    def sessions(self) -> list[SessionInfo]:
        found = []
        try:
            names = sorted(p.name for p in self.root.iterdir())
        except OSError:
            names = []
        for filename in names:
            if filename.endswith(".mp3") and _NAME_RE.match(filename[:-4]):
                info = self.get(filename[:-4])
                if info is not None:
                    found.append(info)
        return sorted(found, key=lambda s: (s.title.lower(), s.name))

    def get(self, name: str) -> SessionInfo | None:
        if not _NAME_RE.match(name):
            return None
        mp3 = self.file(f"{name}.mp3")
        if mp3 is None:
            return None
        key = tuple(_stamp(self.root / f"{name}.{ext}") for ext in ("mp3", "json", "srt", "lrc", "jpg", "png"))
        with self._lock:
            cached = self._cache.get(name)
            if cached and cached[0] == key:
                return cached[1]
        try:
            info = read_session(mp3, name, self.root)
        except Exception as exc:  # a damaged or half-copied file: leave it out, keep serving the rest
            self._log(f"{name}.mp3: cannot read it ({type(exc).__name__}: {exc}); not listed")
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


# ------------------------------------------------------------------ what the server makes


def _date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def feed_xml(sessions: list[SessionInfo], base: str, title: str = FEED_TITLE) -> bytes:
    """An RSS 2.0 podcast feed with iTunes and Podcasting 2.0 tags; `base` is 'http://host:port'."""
    it = lambda tag: f"{{{NS_ITUNES}}}{tag}"  # noqa: E731
    pc = lambda tag: f"{{{NS_PODCAST}}}{tag}"  # noqa: E731
    rss = ET.Element("rss", {"version": "2.0"})
    ch = ET.SubElement(rss, "channel")

    def sub(parent, tag, text=None, attrs: dict | None = None, **more):
        el = ET.SubElement(parent, tag, {k: str(v) for k, v in {**(attrs or {}), **more}.items()})
        if text is not None:
            el.text = str(text)
        return el

    newest = sorted(sessions, key=lambda s: (-s.mtime, s.name))
    authors = list(dict.fromkeys(s.author for s in sessions)) or ["voiceguide"]
    languages = [s.language for s in sessions] or ["en"]
    language = max(set(languages), key=languages.count)
    description = (
        f"Voice-guided sessions rendered by voiceguide and served from {socket.gethostname()} "
        "on the local network."
    )
    sub(ch, "title", title)
    sub(ch, "link", f"{base}/")
    sub(ch, "description", description)
    sub(ch, "language", language)
    sub(ch, "generator", f"voiceguide {__version__}")
    sub(ch, "lastBuildDate", _date(max((s.mtime for s in sessions), default=0.0)))
    sub(ch, f"{{{NS_ATOM}}}link", href=f"{base}/feed.xml", rel="self", type="application/rss+xml")
    image = sub(ch, "image")
    sub(image, "url", f"{base}/cover.png")
    sub(image, "title", title)
    sub(image, "link", f"{base}/")
    sub(ch, it("image"), href=f"{base}/cover.png")
    sub(ch, it("author"), ", ".join(authors))
    sub(ch, it("summary"), description)
    cat = sub(ch, it("category"), attrs={"text": "Health & Fitness"})
    sub(cat, it("category"), attrs={"text": "Fitness"})
    sub(ch, it("explicit"), "false")
    sub(ch, it("type"), "episodic")
    sub(ch, it("block"), "Yes")  # a private feed on the local network: keep it out of directories
    sub(ch, pc("locked"), "yes")
    sub(ch, pc("guid"), str(uuid.uuid5(PODCAST_GUID_NAMESPACE, _strip_scheme(f"{base}/feed.xml"))))
    sub(ch, pc("medium"), "podcast")
    for s in newest:
        item = sub(ch, "item")
        summary = s.summary or s.title
        sub(item, "title", s.title)
        sub(item, "description", summary)
        sub(item, "link", f"{base}/#/{s.name}")
        sub(item, "guid", f"voiceguide:{s.name}:{s.digest}", isPermaLink="false")
        sub(item, "pubDate", _date(s.mtime))
        sub(item, "enclosure", url=f"{base}/media/{s.name}.mp3", length=s.size, type="audio/mpeg")
        sub(item, it("title"), s.title)
        sub(item, it("author"), s.author)
        sub(item, it("summary"), summary)
        sub(item, it("duration"), int(round(s.duration)))
        sub(item, it("image"), href=f"{base}{cover_url(s)}")
        sub(item, it("explicit"), "false")
        sub(item, it("episodeType"), "full")
        sub(item, pc("chapters"), url=f"{base}/chapters/{s.name}.json", type=CHAPTERS_TYPE)
        if s.transcript:
            sub(item, pc("transcript"), url=f"{base}/media/{s.name}.srt", type=TRANSCRIPT_TYPE, language=s.language, rel="captions")
    ET.indent(rss, space="  ")
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def _strip_scheme(url: str) -> str:
    return re.sub(r"^[a-z]+://", "", url).rstrip("/")


def cover_url(s: SessionInfo) -> str:
    return f"/media/{s.cover_file}" if s.cover_file else f"/cover/{s.name}.png"


def chapters_json(s: SessionInfo, podcast: str = FEED_TITLE) -> dict:
    """Podcasting 2.0 JSON chapters (version 1.2.0)."""
    return {
        "version": "1.2.0",
        "title": s.title,
        "author": s.author,
        "podcastName": podcast,
        "chapters": [
            {"startTime": round(c.start, 3), "endTime": round(c.end, 3), "title": c.title} for c in s.chapters
        ],
    }


def sessions_json(sessions: list[SessionInfo]) -> dict:
    """What the page lists and plays."""
    return {
        "title": FEED_TITLE,
        "feed": "/feed.xml",
        "sessions": [
            {
                "name": s.name,
                "title": s.title,
                "summary": s.summary,
                "author": s.author,
                "duration": round(s.duration, 3),
                "audio": f"/media/{s.name}.mp3",
                "size": s.size,
                "cover": cover_url(s),
                "timeline": f"/timeline/{s.name}.svg",
                "chapters_url": f"/chapters/{s.name}.json",
                "transcript": f"/media/{s.name}.srt" if s.transcript else None,
                "detailed": s.detailed,
                "chapters": [{"start": round(c.start, 3), "end": round(c.end, 3), "title": c.title} for c in s.chapters],
            }
            for s in sessions
        ],
    }


# ------------------------------------------------------------------ covers (PNG, made here)


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
    bg = bytes((13, 17, 23))
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


# ------------------------------------------------------------------ HTTP


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """One byte range of a `size`-byte file: (first, last) inclusive, 'unsatisfiable', or None to
    ignore the header and send the whole file (malformed, or several ranges, as RFC 9110 allows)."""
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header or "")
    if not m or (not m.group(1) and not m.group(2)):
        return None
    first, last = m.group(1), m.group(2)
    if first:
        a = int(first)
        b = int(last) if last else size - 1
        if last and b < a:
            return None
        if a >= size:
            return "unsatisfiable"
        return a, min(b, size - 1)
    n = int(last)  # a suffix: the last n bytes
    if n == 0 or size == 0:
        return "unsatisfiable"
    return max(0, size - n), size - 1


class Handler(BaseHTTPRequestHandler):
    server_version = f"voiceguide/{__version__}"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle keep-alive connection (phones keep them) is closed after this long

    server: "VoiceguideServer"

    # ---------------------------------------------------------- methods

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def _read_only(self) -> None:
        self.close_connection = True  # any body it sent is not read
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"read-only: only GET and HEAD\n", "text/plain; charset=utf-8",
                   extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_PROPFIND = do_MKCOL = do_MOVE = do_COPY = _read_only

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        self.server.log(f"{self.address_string()} {format % args}")

    # ---------------------------------------------------------- routing

    def _handle(self, head: bool) -> None:
        try:
            path = self._path()
            if path is None:
                return self._not_found(head)
            lib = self.server.library
            if path in STATIC:
                filename, ctype = STATIC[path]
                return self._send_static(WEB_DIR / filename, ctype, head)
            if path == "/feed.xml":
                body = feed_xml(lib.sessions(), self._base())
                return self._send(HTTPStatus.OK, body, "application/rss+xml; charset=utf-8", head)
            if path == "/sessions.json":
                return self._send_json(sessions_json(lib.sessions()), head)
            if path == "/cover.png":
                sessions = lib.sessions()
                body = cover_png([s.duration for s in sessions], "voiceguide")
                return self._send(HTTPStatus.OK, body, "image/png", head, cache="max-age=300")
            if m := _MEDIA_RE.match(path):
                name, ext = m.groups()
                file = lib.file(f"{name}.{ext}")
                if file is None:
                    return self._not_found(head)
                return self._send_file(file, MEDIA_TYPES[ext], head)
            for pattern, make in ((_CHAPTERS_RE, self._chapters), (_TIMELINE_RE, self._timeline), (_COVER_RE, self._cover)):
                if m := pattern.match(path):
                    info = lib.get(m.group(1))
                    if info is None:
                        return self._not_found(head)
                    return make(info, head)
            return self._not_found(head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the listener went away (a phone seeking does this a lot)

    def _path(self) -> str | None:
        """The request's path, decoded; None for anything that is not a plain path (.., \\, NUL, //)."""
        try:
            raw = urlsplit(self.path).path
            path = unquote(raw, errors="strict")
        except (ValueError, UnicodeDecodeError):
            return None
        if not path.startswith("/") or "\x00" in path or "\\" in path or "//" in path:
            return None
        if any(part in (".", "..") for part in path.split("/")):
            return None
        return path

    def _base(self) -> str:
        """'http://host:port' as this client reached us (the Host header), else the server's own address."""
        host = (self.headers.get("Host") or "").strip()
        if host and _HOST_RE.match(host):
            return f"http://{host}"
        return self.server.base_url

    # ---------------------------------------------------------- made on request

    def _chapters(self, info: SessionInfo, head: bool) -> None:
        self._send_json(chapters_json(info), head, ctype=f"{CHAPTERS_TYPE}; charset=utf-8")

    def _timeline(self, info: SessionInfo, head: bool) -> None:
        from .svg import timeline_svg

        body = timeline_svg(info.timeline_json()).encode("utf-8")
        self._send(HTTPStatus.OK, body, "image/svg+xml; charset=utf-8", head)

    def _cover(self, info: SessionInfo, head: bool) -> None:
        body = cover_png([c.end - c.start for c in info.chapters] or [info.duration], info.title)
        self._send(HTTPStatus.OK, body, "image/png", head, cache="max-age=300")

    # ---------------------------------------------------------- responses

    def _headers_common(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
        )

    def _send(self, status, body: bytes, ctype: str, head: bool = False, cache: str = "no-cache",
              extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self._headers_common()
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_json(self, data, head: bool, ctype: str = "application/json; charset=utf-8") -> None:
        self._send(HTTPStatus.OK, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"), ctype, head)

    def _not_found(self, head: bool) -> None:
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", head)

    def _send_static(self, path: Path, ctype: str, head: bool) -> None:
        try:
            body = path.read_bytes()
        except OSError:
            return self._not_found(head)
        self._send(HTTPStatus.OK, body, ctype, head)

    def _send_file(self, path: Path, ctype: str, head: bool) -> None:
        """A file with byte ranges, ETag and Last-Modified; sent with sendfile where the OS has it."""
        try:
            f = open(path, "rb")
        except OSError:
            return self._not_found(head)
        with f:
            st = os.fstat(f.fileno())
            size = st.st_size
            etag = f'"{st.st_mtime_ns:x}-{size:x}"'
            modified = _date(st.st_mtime)
            validators = {"ETag": etag, "Last-Modified": modified, "Accept-Ranges": "bytes"}
            inm = self.headers.get("If-None-Match")
            if inm and (inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")]):
                self.send_response(HTTPStatus.NOT_MODIFIED)
                for k, v in validators.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            rng = self.headers.get("Range")
            if_range = self.headers.get("If-Range")
            if rng and if_range and if_range.strip() not in (etag, modified):
                rng = None  # the client's copy is of another version: send the whole file
            first, last, status = 0, size - 1, HTTPStatus.OK
            if rng:
                r = parse_range(rng, size)
                if r == "unsatisfiable":
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    for k, v in validators.items():
                        self.send_header(k, v)
                    self.end_headers()
                    return
                if r is not None:
                    first, last = r
                    status = HTTPStatus.PARTIAL_CONTENT
            length = max(0, last - first + 1)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(length))
            if status == HTTPStatus.PARTIAL_CONTENT:
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            for k, v in validators.items():
                self.send_header(k, v)
            self.send_header("Cache-Control", "no-cache")
            self._headers_common()
            self.end_headers()
            if head or length == 0:
                return
            self.wfile.flush()
            self.connection.sendfile(f, first, length)


class VoiceguideServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, address, library: Library, log: Callable[[str], None] | None = None):
        self.library = library
        self._log = log
        super().__init__(address, Handler)
        host, port = self.server_address[:2]
        self.port = port
        self.bound_host = host
        shown = host
        if host in ("0.0.0.0", "::", ""):
            shown = lan_address() or "127.0.0.1"
        if ":" in shown:
            shown = f"[{shown}]"
        self.base_url = f"http://{shown}:{port}"

    @property
    def page_url(self) -> str:
        return f"{self.base_url}/"

    @property
    def feed_url(self) -> str:
        return f"{self.base_url}/feed.xml"

    @property
    def everywhere(self) -> bool:
        """Bound to every interface: reachable from the local network."""
        return self.bound_host in ("0.0.0.0", "::", "")

    @property
    def local_only(self) -> bool:
        return self.bound_host.startswith("127.") or self.bound_host in ("::1", "localhost")

    def log(self, message: str) -> None:
        if self._log:
            self._log(message)

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # a client that went away
        self.log(f"{client_address[0]} internal error: {type(exc).__name__}: {exc}")


def lan_address() -> str | None:
    """This machine's address on the local network (the one its default route uses), if it has one.

    A UDP socket's connect() only chooses a route: it sends nothing."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): never a real host
            ip = s.getsockname()[0]
            if ip and not ip.startswith("127.") and ip != "0.0.0.0":
                return ip
    except OSError:
        pass
    try:
        for ip in socket.gethostbyname_ex(socket.gethostname())[2]:
            if not ip.startswith("127."):
                return ip
    except OSError:
        pass
    return None


def make_server(
    folder: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    log: Callable[[str], None] | None = None,
) -> VoiceguideServer:
    """A server for the sessions in `folder` (not yet serving: call serve_forever())."""
    folder = Path(folder)
    if not folder.is_dir():
        raise VoiceguideError(
            f"{folder}: no such folder; render a session first (voiceguide render scripts/daily-five.yaml)"
        )
    library = Library(folder, log=log)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    cls = type("VoiceguideServer6", (VoiceguideServer,), {"address_family": family}) if family == socket.AF_INET6 else VoiceguideServer
    try:
        return cls((host, port), library, log=log)
    except OSError as exc:
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise VoiceguideError(f"port {port} is already in use; choose another with --port") from None
        raise VoiceguideError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None


# ------------------------------------------------------------------ the terminal


def qr_lines(data: str, ansi: bool = True, border: int = 2) -> list[str]:
    """A QR code of `data` in unicode half blocks: two modules per character cell.

    With `ansi`, colours are set explicitly (black on white) so it scans on any terminal theme;
    without, light modules are drawn as blocks, as on a dark terminal (like `qrencode -t UTF8`)."""
    try:
        import segno
    except ImportError:
        return []
    qr = segno.make_qr(data, error="m", boost_error=False)
    matrix = [[bool(v) for v in row] for row in qr.matrix_iter(scale=1, border=border)]
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    lines = []
    for top, bottom in zip(matrix[0::2], matrix[1::2]):
        if ansi:  # dark modules black on a white ground
            chars = {(True, True): "\u2588", (True, False): "\u2580", (False, True): "\u2584", (False, False): " "}
            lines.append("\x1b[30;107m" + "".join(chars[t, b] for t, b in zip(top, bottom)) + "\x1b[0m")
        else:  # blocks are the light modules
            chars = {(False, False): "\u2588", (False, True): "\u2580", (True, False): "\u2584", (True, True): " "}
            lines.append("".join(chars[t, b] for t, b in zip(top, bottom)))
    return lines


def banner(server: VoiceguideServer, folder: str, ansi: bool = True) -> str:
    """What `voiceguide serve` prints: where to go, a QR code of it, and who can reach it."""
    n = len(server.library.sessions())
    what = f"{n} session{'s' if n != 1 else ''}" if n else "no sessions yet (render some: voiceguide render SCRIPT)"
    lines = [
        f"Serving {what} from {folder} (read-only)",
        f"  page: {server.page_url}",
        f"  feed: {server.feed_url}   (in a podcast app: add a show by URL)",
        "",
    ]
    qr = qr_lines(server.page_url, ansi=ansi)
    if qr:
        lines += qr + ["", "Scan the code with your phone's camera to open the page (same network)."]
    else:
        lines.append("(for a QR code of the address: pip install segno)")
    if server.everywhere:
        lines.append(
            "Anyone on this local network can open and play these sessions. "
            "To keep it on this machine only: voiceguide serve --host 127.0.0.1"
        )
    elif server.local_only:
        lines.append("Only this machine can reach it; for phones on your network leave out --host (or --host 0.0.0.0).")
    lines.append("Ctrl-C stops the server.")
    return "\n".join(lines)
