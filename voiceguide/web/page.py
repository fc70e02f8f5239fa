"""The player page of `voiceguide serve`: its fixed static files, and the list of sessions it plays.

The page itself is `static/index.html` and `static/app.js` (with the shared `style.css`); nothing
else in `static/` is served. The page learns what to play from `sessions_json()`.
"""

from __future__ import annotations

from .feed import FEED_TITLE
from .http import Reply, static_reply
from .library import SessionInfo, cover_url
from .style import STATIC_DIR, STYLESHEET, STYLESHEET_TYPE

_HTML = "text/html; charset=utf-8"
PAGE_FILES = {  # URL path -> (file, content type)
    "/": (STATIC_DIR / "index.html", _HTML),
    "/index.html": (STATIC_DIR / "index.html", _HTML),
    "/app.js": (STATIC_DIR / "app.js", "text/javascript; charset=utf-8"),
    "/style.css": (STYLESHEET, STYLESHEET_TYPE),
}


def page_file(path: str) -> Reply:
    """One of the page's files, by its URL path (a key of PAGE_FILES)."""
    file, ctype = PAGE_FILES[path]
    return static_reply(file, ctype)


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
                "audio": f"/media/{s.audio_name}",
                "audio_type": s.audio_type,
                "size": s.size,
                "cover": cover_url(s),
                "timeline": f"/timeline/{s.name}.svg",
                "chapters_url": f"/chapters/{s.name}.json",
                "transcript": f"/media/{s.name}.srt" if s.transcript else None,
                "captions": f"/media/{s.name}.vtt" if s.captions else None,
                "language": s.language,
                "detailed": s.detailed,
                "chapters": [{"start": round(c.start, 3), "end": round(c.end, 3), "title": c.title} for c in s.chapters],
            }
            for s in sessions
        ],
    }
