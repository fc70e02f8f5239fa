"""Serve rendered sessions on the local network: a podcast feed, the MP3s, and a small web page.

`make_server(folder, host, port)` returns a standard-library `ThreadingHTTPServer`; run it with
`serve_forever()` (the CLI does, tests do in a thread). Everything it serves comes from three places:

- the page's own static files in `voiceguide/web/static/` (a fixed list, nothing else from there);
- the rendered files in the served folder, by name only: `NAME.mp3` (or `.m4a`, `.m4b`, `.opus`),
  `.srt`, `.vtt`, `.lrc`, `.json`,
  `.png`, `.jpg` directly inside it, never a sub-folder, a hidden file, or a link that leads out;
- what it makes from them: the RSS feed, the page's list of sessions, Podcasting 2.0 chapters,
  the timeline picture (SVG) and a cover (PNG).

It is read-only: GET and HEAD only; anything else gets 405. Audio files are served with byte ranges
(phones seek with them), ETag and Last-Modified.

This module only routes; the pieces are in `voiceguide.web`: `http` (server and responses),
`library` (the sessions in the folder), `feed`, `page` and `cover`.
"""

from __future__ import annotations

import re
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import Callable

from ..errors import VoiceguideError
from .cover import cover_png
from .feed import (  # noqa: F401 (NS_* and FEED_TITLE are part of this module's names)
    CHAPTERS_TYPE,
    FEED_TITLE,
    NS_ATOM,
    NS_ITUNES,
    NS_PODCAST,
    TRANSCRIPT_TYPE,
    chapters_json,
    feed_xml,
)
from .banner import qr_banner, qr_lines, reach_note  # noqa: F401 (qr_lines is part of this module's names)
from .http import (  # noqa: F401 (parse_byte_range is part of this module's names)
    TEXT_TYPE,
    Answer,
    FileReply,
    LanServer,
    Reply,
    Request,
    json_reply,
    listen,
    not_found,
    parse_byte_range,
)
from .library import AUDIO_TYPES, NAME_PATTERN, Library, SessionInfo, id3_chapters, read_session  # noqa: F401
from .page import PAGE_FILES, page_file, sessions_json

MEDIA_TYPES = {
    **AUDIO_TYPES,
    "srt": "application/x-subrip",
    "vtt": "text/vtt; charset=utf-8",
    "lrc": "text/plain; charset=utf-8",
    "json": "application/json",
    "png": "image/png",
    "jpg": "image/jpeg",
}
DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8765

_MEDIA_RE = re.compile(rf"^/media/({NAME_PATTERN})\.({'|'.join(MEDIA_TYPES)})$")
_CHAPTERS_RE = re.compile(rf"^/chapters/({NAME_PATTERN})\.json$")
_TIMELINE_RE = re.compile(rf"^/timeline/({NAME_PATTERN})\.svg$")
_COVER_RE = re.compile(rf"^/cover/({NAME_PATTERN})\.png$")

READ_ONLY = Reply(HTTPStatus.METHOD_NOT_ALLOWED, b"read-only: only GET and HEAD\n", TEXT_TYPE,
                  headers=(("Allow", "GET, HEAD"),), close=True)


# ------------------------------------------------------------------ what each path answers


def feed(library: Library, request: Request) -> Reply:
    return Reply(HTTPStatus.OK, feed_xml(library.sessions(), request.base), "application/rss+xml; charset=utf-8")


def session_list(library: Library, request: Request) -> Reply:
    return json_reply(sessions_json(library.sessions()))


def folder_cover(library: Library, request: Request) -> Reply:
    body = cover_png([s.duration for s in library.sessions()], "voiceguide")
    return Reply(HTTPStatus.OK, body, "image/png", cache="max-age=300")


def chapters(info: SessionInfo) -> Reply:
    return json_reply(chapters_json(info), ctype=f"{CHAPTERS_TYPE}; charset=utf-8")


def timeline(info: SessionInfo) -> Reply:
    from ..plan.svg import timeline_svg

    body = timeline_svg(info.timeline_json()).encode("utf-8")
    return Reply(HTTPStatus.OK, body, "image/svg+xml; charset=utf-8")


def session_cover(info: SessionInfo) -> Reply:
    body = cover_png([c.end - c.start for c in info.chapters] or [info.duration], info.title)
    return Reply(HTTPStatus.OK, body, "image/png", cache="max-age=300")


def media(library: Library, name: str, ext: str) -> Answer:
    file = library.file(f"{name}.{ext}")
    return FileReply(file, MEDIA_TYPES[ext]) if file is not None else not_found()


FOLDER_ROUTES: dict[str, Callable[[Library, Request], Reply]] = {
    "/feed.xml": feed,
    "/sessions.json": session_list,
    "/cover.png": folder_cover,
}
SESSION_ROUTES: tuple[tuple[re.Pattern, Callable[[SessionInfo], Reply]], ...] = (
    (_CHAPTERS_RE, chapters),
    (_TIMELINE_RE, timeline),
    (_COVER_RE, session_cover),
)


def route(library: Library, request: Request) -> Answer:
    """What to answer a request for the sessions in `library`."""
    if request.method not in ("GET", "HEAD"):
        return READ_ONLY
    path = request.path
    if path is None:
        return not_found()
    if path in PAGE_FILES:
        return page_file(path)
    if path in FOLDER_ROUTES:
        return FOLDER_ROUTES[path](library, request)
    if m := _MEDIA_RE.match(path):
        return media(library, *m.groups())
    for pattern, make in SESSION_ROUTES:
        if m := pattern.match(path):
            info = library.get(m.group(1))
            return make(info) if info is not None else not_found()
    return not_found()


# ------------------------------------------------------------------ the server


class SessionServer(LanServer):
    """A `LanServer` for the sessions in one folder."""

    def __init__(self, address, library: Library, log: Callable[[str], None] | None = None):
        self.library = library
        super().__init__(address, partial(route, library), log)

    @property
    def feed_url(self) -> str:
        return f"{self.base_url}/feed.xml"


def make_server(
    folder: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    log: Callable[[str], None] | None = None,
) -> SessionServer:
    """A server for the sessions in `folder` (not yet serving: call serve_forever())."""
    folder = Path(folder)
    if not folder.is_dir():
        raise VoiceguideError(
            f"{folder}: no such folder; render a session first (voiceguide render scripts/daily-five.yaml)"
        )
    return listen(SessionServer, host, port, Library(folder, log=log), log=log)


def banner(server: SessionServer, folder: str, ansi: bool = True) -> str:
    """What `voiceguide serve` prints: where to go, a QR code of it, and who can reach it."""
    n = len(server.library.sessions())
    what = f"{n} session{'s' if n != 1 else ''}" if n else "no sessions yet (render some: voiceguide render SCRIPT)"
    lines = [
        f"Serving {what} from {folder} (read-only)",
        f"  page: {server.page_url}",
        f"  feed: {server.feed_url}   (in a podcast app: add a show by URL)",
        "",
    ]
    lines += qr_banner(server.page_url, ansi=ansi)
    lines += reach_note(server, "voiceguide serve", "open and play these sessions")
    lines.append("Ctrl-C stops the server.")
    return "\n".join(lines)
