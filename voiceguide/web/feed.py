"""The podcast side of `voiceguide serve`: an RSS 2.0 feed with iTunes and Podcasting 2.0 tags, and
Podcasting 2.0 JSON chapters, so any podcast app on the local network can subscribe to the sessions."""

from __future__ import annotations

import email.utils
import re
import socket
import uuid
from xml.etree import ElementTree as ET

from .. import __version__
from .library import SessionInfo, cover_url

FEED_TITLE = "voiceguide sessions"
CHAPTERS_TYPE = "application/json+chapters"
TRANSCRIPT_TYPE = "application/x-subrip"
CAPTIONS_TYPE = "text/vtt"

NS_ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
NS_PODCAST = "https://podcastindex.org/namespace/1.0"
NS_ATOM = "http://www.w3.org/2005/Atom"
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")  # Podcasting 2.0's podcast:guid

for _prefix, _uri in (("itunes", NS_ITUNES), ("podcast", NS_PODCAST), ("atom", NS_ATOM)):
    ET.register_namespace(_prefix, _uri)


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
        sub(item, "enclosure", url=f"{base}/media/{s.audio_name}", length=s.size, type=s.audio_type)
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
        if s.captions:
            sub(item, pc("transcript"), url=f"{base}/media/{s.name}.vtt", type=CAPTIONS_TYPE, language=s.language, rel="captions")
    ET.indent(rss, space="  ")
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def _strip_scheme(url: str) -> str:
    return re.sub(r"^[a-z]+://", "", url).rstrip("/")


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
