"""voiceguide serve's podcast feed: RSS 2.0 with the iTunes and Podcasting 2.0 tags, everything it
links to, the sessions list (with the ID3 fallback for a render without its timeline file), on
sessions rendered for real. Split from the serve tests so that the feed's contract reads on its
own; byte ranges and refusals are in test_serve_http.py, the page in test_serve_page.py."""

import email.utils
import json
import re
import shutil
import struct
import zlib
from xml.etree import ElementTree as ET

import pytest

from testsupport.browser import png_size
from testsupport.serve import get, serving
from voiceguide.web.serve import CHAPTERS_TYPE, NS_ATOM, NS_ITUNES, NS_PODCAST, TRANSCRIPT_TYPE, read_session

IT, PC = f"{{{NS_ITUNES}}}", f"{{{NS_PODCAST}}}"


@pytest.fixture(scope="module")
def server(serve_rendered):
    """This module's own server over the session's renders (tests/conftest.py: serve_rendered)."""
    with serving(serve_rendered[0]) as srv:
        yield srv


# ------------------------------------------------------------------ the feed


def test_feed_is_rss2_with_itunes_and_podcasting20_tags(server, serve_rendered):
    out, timelines = serve_rendered
    status, headers, body = get(server, "/feed.xml")
    assert status == 200
    assert headers["content-type"].startswith("application/rss+xml")
    text = body.decode("utf-8")
    assert f'xmlns:itunes="{NS_ITUNES}"' in text and f'xmlns:podcast="{NS_PODCAST}"' in text
    rss = ET.fromstring(body)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    [channel] = rss.findall("channel")
    for tag in ("title", "link", "description"):  # what RSS 2.0 requires of a channel
        assert len(channel.findall(tag)) == 1 and channel.findtext(tag).strip(), tag
    base = server.base_url
    assert channel.findtext("link") == f"{base}/"
    assert channel.findtext("language") == "en"
    email.utils.parsedate_to_datetime(channel.findtext("lastBuildDate"))
    self_link = channel.find(f"{{{NS_ATOM}}}link")
    assert self_link.get("rel") == "self" and self_link.get("href") == f"{base}/feed.xml"
    assert self_link.get("type") == "application/rss+xml"
    # what Apple Podcasts asks of a show
    assert channel.find(f"{IT}image").get("href") == f"{base}/cover.png"
    assert channel.find(f"{IT}category").get("text") == "Health & Fitness"
    assert channel.findtext(f"{IT}explicit") in ("true", "false")
    assert channel.findtext(f"{IT}author")
    assert channel.findtext(f"{IT}block") == "Yes"  # a private feed: never in a directory
    assert re.fullmatch(r"[0-9a-f-]{36}", channel.findtext(f"{PC}guid"))
    assert channel.find("image").findtext("url") == f"{base}/cover.png"

    items = channel.findall("item")
    assert len(items) == 2  # the damaged MP3, the hidden one and the link leading out are not sessions
    guids = set()
    for item in items:
        name = item.find("enclosure").get("url").rsplit("/", 1)[1][: -len(".mp3")]
        tl = timelines[name]
        mp3 = out / f"{name}.mp3"
        assert item.findtext("title") == tl.title == item.findtext(f"{IT}title")
        assert item.findtext("description") == tl.summary == item.findtext(f"{IT}summary")
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false" and guid.text not in guids
        guids.add(guid.text)
        email.utils.parsedate_to_datetime(item.findtext("pubDate"))
        enc = item.find("enclosure")
        assert enc.get("url") == f"{base}/media/{name}.mp3"
        assert enc.get("type") == "audio/mpeg"
        assert int(enc.get("length")) == mp3.stat().st_size
        assert int(item.findtext(f"{IT}duration")) == round(tl.duration)
        assert item.find(f"{IT}image").get("href") == f"{base}/cover/{name}.png"
        assert item.findtext(f"{IT}explicit") == "false"
        chapters = item.find(f"{PC}chapters")
        assert chapters.get("type") == CHAPTERS_TYPE == "application/json+chapters"
        assert chapters.get("url") == f"{base}/chapters/{name}.json"
        transcript = item.find(f"{PC}transcript")
        assert transcript.get("type") == TRANSCRIPT_TYPE == "application/x-subrip"
        assert transcript.get("url") == f"{base}/media/{name}.srt"
        assert transcript.get("language") == "en"


def test_everything_the_feed_links_to_is_served(server, serve_rendered):
    out, timelines = serve_rendered
    rss = ET.fromstring(get(server, "/feed.xml")[2])
    base = server.base_url
    path = lambda url: url[len(base):]  # noqa: E731
    status, headers, data = get(server, "/cover.png")
    assert status == 200 and headers["content-type"] == "image/png" and png_size(data) == (1400, 1400)
    for item in rss.iter("item"):
        name = item.find("enclosure").get("url").rsplit("/", 1)[1][:-4]
        status, headers, audio = get(server, path(item.find("enclosure").get("url")))
        assert status == 200 and headers["content-type"] == "audio/mpeg"
        assert audio == (out / f"{name}.mp3").read_bytes()
        status, headers, srt = get(server, path(item.find(f"{PC}transcript").get("url")))
        assert status == 200 and headers["content-type"] == "application/x-subrip"
        assert srt == (out / f"{name}.srt").read_bytes()
        status, headers, chapters = get(server, path(item.find(f"{PC}chapters").get("url")))
        assert status == 200 and headers["content-type"].startswith("application/json+chapters")
        doc = json.loads(chapters)
        assert doc["version"] == "1.2.0"
        starts = [c["startTime"] for c in doc["chapters"]]
        assert starts == sorted(starts) and all(isinstance(s, (int, float)) for s in starts)
        assert [c["title"] for c in doc["chapters"]] == [c.title for c in timelines[name].chapters]
        for c, want in zip(doc["chapters"], timelines[name].chapters):
            assert abs(c["startTime"] - want.start) <= 0.001 and abs(c["endTime"] - want.end) <= 0.001
        status, headers, cover = get(server, path(item.find(f"{IT}image").get("href")))
        assert status == 200 and png_size(cover) == (1400, 1400)
        w, h = png_size(cover)  # and it decodes: the pixel data is all there
        idat = b"".join(cover[i + 8: i + 8 + struct.unpack(">I", cover[i:i + 4])[0]]
                        for i in [m.start() - 4 for m in re.finditer(b"IDAT", cover)])
        assert len(zlib.decompress(idat)) == h * (w * 3 + 1)


def test_feed_links_follow_the_address_the_client_used_and_ignore_a_forged_host(server):
    _, _, body = get(server, "/feed.xml", {"Host": "voiceguide.test:8765"})
    assert ET.fromstring(body).find("channel").findtext("link") == "http://voiceguide.test:8765/"
    _, _, body = get(server, "/feed.xml", {"Host": 'evil"/><script>x</script>'})
    channel = ET.fromstring(body).find("channel")  # still well-formed, and on the server's own address
    assert channel.findtext("link") == f"{server.base_url}/"
    assert b"<script>" not in body


def test_id3_fallback_without_a_timeline_file(server, serve_rendered):
    out, timelines = serve_rendered
    sessions = {s["name"]: s for s in json.loads(get(server, "/sessions.json")[2])["sessions"]}
    assert sorted(sessions) == ["daily-five", "two-minute-reset"]
    assert sessions["daily-five"]["detailed"] is True
    fallback = sessions["two-minute-reset"]
    assert fallback["detailed"] is False  # no NAME.json: everything from the MP3's tags
    tl = timelines["two-minute-reset"]
    assert fallback["title"] == tl.title and fallback["summary"] == tl.summary
    assert abs(fallback["duration"] - tl.duration) < 0.1
    assert [c["title"] for c in fallback["chapters"]] == [c.title for c in tl.chapters]
    for got, want in zip(fallback["chapters"], tl.chapters):
        assert abs(got["start"] - want.start) <= 0.001
    svg = get(server, "/timeline/two-minute-reset.svg")[2].decode()
    assert svg.count('class="vg-step"') == len(tl.chapters) and 'data-kind="speech"' not in svg


def test_a_stale_timeline_file_is_ignored(serve_rendered, tmp_path):
    out, timelines = serve_rendered
    shutil.copy(out / "daily-five.mp3", tmp_path / "daily-five.mp3")
    stale = timelines["daily-five"].to_json()
    stale["duration"] += 30.0  # from an earlier render at another pace
    stale["chapters"][1]["title"] = "Something else"
    (tmp_path / "daily-five.json").write_text(json.dumps(stale))
    info = read_session(tmp_path / "daily-five.mp3")
    assert not info.detailed
    assert [c.title for c in info.chapters] == [c.title for c in timelines["daily-five"].chapters]


def test_new_renders_show_up_without_a_restart(server, serve_rendered):
    out, _ = serve_rendered
    copy = out / "zz-copy.mp3"
    shutil.copy(out / "two-minute-reset.mp3", copy)
    try:
        names = [s["name"] for s in json.loads(get(server, "/sessions.json")[2])["sessions"]]
        assert "zz-copy" in names
    finally:
        copy.unlink()
    names = [s["name"] for s in json.loads(get(server, "/sessions.json")[2])["sessions"]]
    assert "zz-copy" not in names

