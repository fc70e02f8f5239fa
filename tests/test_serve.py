"""voiceguide serve: the podcast feed, byte ranges, refusals, the timeline picture, and the page in a
real headless Chromium (driven by Playwright), on sessions rendered for real into a temporary folder."""

import email.utils
import http.client
import json
import os
import re
import shutil
import signal
import struct
import threading
import time
import urllib.request
import zlib
from xml.etree import ElementTree as ET

import pytest

from testsupport import ROOT
from testsupport.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, browser_or_fail, page_wait_until, png_size
from testsupport.cli import start, voiceguide
from voiceguide.export.render import export, output_name
from voiceguide.session.build import session
from voiceguide.web.serve import (
    CHAPTERS_TYPE,
    NS_ATOM,
    NS_ITUNES,
    NS_PODCAST,
    TRANSCRIPT_TYPE,
    banner,
    make_server,
    parse_byte_range,
    qr_lines,
    read_session,
)
from voiceguide.plan.svg import timeline_svg, write_svg

SECRET = "top-secret-marker-7f3a"
IT, PC = f"{{{NS_ITUNES}}}", f"{{{NS_PODCAST}}}"


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Two real sessions: daily-five with its timeline file (NAME.json, as render will write it) and
    two-minute-reset without one (the server falls back to the MP3's ID3 chapters). Beside them, bait
    that must never be served: a secret outside the folder, links leading out, a sub-folder, a hidden
    file, an unlisted kind of file, and a damaged MP3."""
    base = tmp_path_factory.mktemp("serve")
    old = os.environ.get("VOICEGUIDE_CACHE_DIR")
    os.environ["VOICEGUIDE_CACHE_DIR"] = str(base / "cache")
    try:
        out = base / "output"
        timelines = {}
        for script in ("daily-five", "two-minute-reset"):
            sess = session(ROOT / "scripts" / f"{script}.yaml")
            export(sess, out)
            timelines[script] = sess.timeline
        with_json = out / f"{output_name(ROOT / 'scripts' / 'daily-five.yaml')}.json"
        if with_json.exists():  # render writes it: it must be the very timeline
            assert json.loads(with_json.read_text(encoding="utf-8")) == timelines["daily-five"].to_json()
        else:  # a render from before NAME.json existed: write it as render does
            with_json.write_text(json.dumps(timelines["daily-five"].to_json(), indent=1), encoding="utf-8")
        (out / "two-minute-reset.json").unlink(missing_ok=True)  # this one falls back to the MP3's tags
    finally:
        if old is None:
            os.environ.pop("VOICEGUIDE_CACHE_DIR", None)
        else:
            os.environ["VOICEGUIDE_CACHE_DIR"] = old
    (base / "secret.txt").write_text(SECRET)
    (base / "secret.json").write_text(json.dumps({"secret": SECRET}))
    (out / "notes.txt").write_text(SECRET)
    (out / ".hidden.mp3").write_text(SECRET)
    (out / "sub").mkdir()
    (out / "sub" / "inner.mp3").write_text(SECRET)
    (out / "evil.mp3").symlink_to(base / "secret.txt")
    (out / "passwd.srt").symlink_to("/etc/passwd")
    (out / "up.json").symlink_to(base / "secret.json")
    (out / "damaged.mp3").write_bytes(b"not an mp3 at all " * 100)
    return out, timelines


@pytest.fixture(scope="module")
def server(rendered):
    out, _ = rendered
    logs = []
    srv = make_server(out, "127.0.0.1", 0, log=logs.append)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(10)


def request(srv, method, path, headers=None, body=None):
    """A raw request (the path is sent exactly as given, never normalised)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=bool(headers and "Host" in headers), skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def get(srv, path, headers=None):
    return request(srv, "GET", path, headers)


# ------------------------------------------------------------------ the feed


def test_feed_is_rss2_with_itunes_and_podcasting20_tags(server, rendered):
    out, timelines = rendered
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


def test_everything_the_feed_links_to_is_served(server, rendered):
    out, timelines = rendered
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


def test_id3_fallback_without_a_timeline_file(server, rendered):
    out, timelines = rendered
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


def test_a_stale_timeline_file_is_ignored(rendered, tmp_path):
    out, timelines = rendered
    shutil.copy(out / "daily-five.mp3", tmp_path / "daily-five.mp3")
    stale = timelines["daily-five"].to_json()
    stale["duration"] += 30.0  # from an earlier render at another pace
    stale["chapters"][1]["title"] = "Something else"
    (tmp_path / "daily-five.json").write_text(json.dumps(stale))
    info = read_session(tmp_path / "daily-five.mp3")
    assert not info.detailed
    assert [c.title for c in info.chapters] == [c.title for c in timelines["daily-five"].chapters]


def test_new_renders_show_up_without_a_restart(server, rendered):
    out, _ = rendered
    copy = out / "zz-copy.mp3"
    shutil.copy(out / "two-minute-reset.mp3", copy)
    try:
        names = [s["name"] for s in json.loads(get(server, "/sessions.json")[2])["sessions"]]
        assert "zz-copy" in names
    finally:
        copy.unlink()
    names = [s["name"] for s in json.loads(get(server, "/sessions.json")[2])["sessions"]]
    assert "zz-copy" not in names


# ------------------------------------------------------------------ byte ranges


def test_range_requests(server, rendered):
    out, _ = rendered
    data = (out / "daily-five.mp3").read_bytes()
    size = len(data)
    url = "/media/daily-five.mp3"

    status, h, body = request(server, "HEAD", url)
    assert status == 200 and body == b"" and int(h["content-length"]) == size and h["accept-ranges"] == "bytes"
    etag = h["etag"]

    cases = {
        "bytes=0-99": (0, 99),
        "bytes=0-": (0, size - 1),  # what a browser's <audio> asks first
        "bytes=1000-": (1000, size - 1),
        "bytes=-500": (size - 500, size - 1),
        f"bytes={size // 2}-{size // 2 + 65535}": (size // 2, size // 2 + 65535),  # a seek to the middle
        f"bytes={size - 10}-{size + 1000}": (size - 10, size - 1),  # past the end: clipped
        f"bytes=-{size * 2}": (0, size - 1),
    }
    for header, (a, b) in cases.items():
        status, h, body = get(server, url, {"Range": header})
        assert status == 206, header
        assert h["content-range"] == f"bytes {a}-{b}/{size}", header
        assert int(h["content-length"]) == b - a + 1 == len(body) and body == data[a:b + 1], header
        assert h["content-type"] == "audio/mpeg"

    for header in (f"bytes={size}-", f"bytes={size + 5}-{size + 10}", "bytes=-0"):
        status, h, body = get(server, url, {"Range": header})
        assert status == 416 and h["content-range"] == f"bytes */{size}" and body == b"", header

    for header in ("bytes=5-2", "bytes=0-1,5-6", "lines=1-2", "bytes=abc", "bytes=-"):  # ignored: the whole file
        status, h, body = get(server, url, {"Range": header})
        assert status == 200 and body == data, header

    status, h, body = get(server, url, {"Range": "bytes=10-19", "If-Range": etag})
    assert status == 206 and body == data[10:20]
    status, h, body = get(server, url, {"Range": "bytes=10-19", "If-Range": '"an-older-version"'})
    assert status == 200 and body == data
    status, h, body = get(server, url, {"If-None-Match": etag})
    assert status == 304 and body == b""


def test_ranges_on_one_kept_alive_connection_and_in_parallel(server, rendered):
    out, _ = rendered
    data = (out / "daily-five.mp3").read_bytes()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    for a in range(0, len(data), len(data) // 7):
        conn.request("GET", "/media/daily-five.mp3", headers={"Range": f"bytes={a}-{a + 4095}"})
        resp = conn.getresponse()
        assert resp.status == 206 and resp.read() == data[a:a + 4096]
    conn.close()

    results = {}

    def fetch(k):
        a = k * 100_000
        results[k] = get(server, "/media/daily-five.mp3", {"Range": f"bytes={a}-{a + 199_999}"})[2] == data[a:a + 200_000]

    threads = [threading.Thread(target=fetch, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {k: True for k in range(6)}


def test_parse_range_edges():
    assert parse_byte_range("bytes=0-0", 10) == (0, 0)
    assert parse_byte_range("bytes=9-", 10) == (9, 9)
    assert parse_byte_range("bytes=10-", 10) == "unsatisfiable"
    assert parse_byte_range("bytes=0-", 0) == "unsatisfiable"
    assert parse_byte_range("bytes=-3", 10) == (7, 9)
    assert parse_byte_range(" bytes = 2 - 4 ", 10) == (2, 4)
    for bad in ("", "bytes=", "bytes=-", "bytes=4-2", "bytes=1-2,4-5", "items=1-2", "bytes=x-1"):
        assert parse_byte_range(bad, 10) is None, bad


# ------------------------------------------------------------------ what is refused


TRAVERSALS = [
    "/media/../secret.txt",
    "/media/..%2fsecret.txt",
    "/media/%2e%2e/secret.txt",
    "/media/%2e%2e%2fsecret.txt",
    "/media/..%5csecret.txt",
    "/media/..\\secret.txt",
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "//etc/passwd",
    "/media//etc/passwd",
    "/media/%2fetc%2fpasswd",
    "/media/%2Fetc/passwd",
    "/media/%c0%ae%c0%ae/secret.txt",
    "/media/daily-five.mp3%00.txt",
    "/media/secret.json",
    "/chapters/../secret.json",
    "/chapters/..%2fsecret.json",
    "/timeline/..%2f..%2fsecret.svg",
    "/app.js/../../serve.py",
    "/web/app.js",
    "/serve.py",
    "/voiceguide/web/serve.py",
    "http://127.0.0.1/media/..%2f..%2fsecret.txt",
    "/media/evil.mp3",  # a link in the folder that leads out of it
    "/media/passwd.srt",
    "/media/up.json",
    "/media/sub/inner.mp3",
    "/media/.hidden.mp3",
    "/media/notes.txt",
    "/media/",
    "/media",
    "/chapters/",
    "/timeline/evil.svg",
    "/cover/evil.png",
    "/chapters/passwd.json",
    "/etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_and_unlisted_files_are_refused(server, path):
    status, _, body = get(server, path)
    assert status in (400, 404), (path, status)
    assert SECRET.encode() not in body and b"root:" not in body


def test_no_directory_listing_and_only_sessions_are_listed(server):
    status, _, body = get(server, "/sessions.json")
    assert status == 200
    assert b"evil" not in body and b"hidden" not in body and b"inner" not in body and b"damaged" not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_read_only(server, rendered, method):
    out, _ = rendered
    target = out / "daily-five.mp3"
    before = (target.stat().st_size, target.stat().st_mtime_ns)
    status, headers, _ = request(server, method, "/media/daily-five.mp3", body=b"overwrite")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    status, _, _ = request(server, method, "/media/new-file.mp3", body=b"x")
    assert status == 405
    assert (target.stat().st_size, target.stat().st_mtime_ns) == before
    assert not (out / "new-file.mp3").exists()


def test_page_headers_keep_scripts_to_our_own(server):
    status, h, body = get(server, "/")
    assert status == 200 and h["content-type"].startswith("text/html") and b'<script src="app.js"' in body
    assert "script-src 'self'" in h["content-security-policy"] and h["x-content-type-options"] == "nosniff"
    for path, kind in (("/app.js", "text/javascript"), ("/style.css", "text/css")):
        status, h, _ = get(server, path)
        assert status == 200 and h["content-type"].startswith(kind)


# ------------------------------------------------------------------ the timeline picture


def test_svg_from_a_timeline_and_from_its_json_are_the_same_and_to_scale(rendered, tmp_path):
    _, timelines = rendered
    tl = timelines["daily-five"]
    svg = timeline_svg(tl)
    assert svg == timeline_svg(json.loads(json.dumps(tl.to_json())))
    root = ET.fromstring(svg.encode())
    ns = "{http://www.w3.org/2000/svg}"
    steps = [g for g in root.iter(f"{ns}g") if g.get("class") == "vg-step"]
    assert len(steps) == len(tl.chapters)
    for g, ch in zip(steps, tl.chapters):
        assert float(g.get("data-start")) == pytest.approx(ch.start, abs=0.01)
        assert ch.title in "".join(g.itertext())
    widths = [float(next(r for r in g.iter(f"{ns}rect") if r.get("class") == "vg-strip").get("width")) for g in steps]
    lengths = [c.end - c.start for c in tl.chapters]
    per_second = [w / n for w, n in zip(widths, lengths) if w > 2]
    assert max(per_second) == pytest.approx(min(per_second), rel=1e-3)  # one scale for every strip
    kinds = {r.get("data-kind") for r in root.iter(f"{ns}rect")}
    assert {"speech", "hold", "sound"} <= kinds
    # every hold is drawn, to the same scale as its strip
    holds = [e for e in tl.events if e.kind == "hold"]
    assert len([r for r in root.iter(f"{ns}rect") if r.get("data-kind") == "hold"]) == len(holds)
    path = write_svg(tl, tmp_path / "daily.svg")
    assert path.read_text() == svg


def test_svg_escapes_text():
    svg = timeline_svg({"title": "<b>&\"x\"</b>", "duration": 10, "chapters": [{"start": 0, "end": 10, "title": "a < b & c"}],
                        "events": [{"start": 0, "end": 1, "kind": "speech", "text": "</svg><script>", "role": "narration", "chapter": 0}]})
    ET.fromstring(svg.encode())
    assert "<script>" not in svg and "<b>" not in svg


# ------------------------------------------------------------------ the terminal


def test_qr_code_in_half_blocks_matches_the_symbol():
    import segno

    url = "http://127.0.0.1:8765/"
    qr = segno.make_qr(url, error="m", boost_error=False)
    assert not qr.is_micro  # phone cameras read only full QR codes
    want = [[bool(v) for v in row] for row in qr.matrix_iter(scale=1, border=2)]
    for ansi in (True, False):
        lines = qr_lines(url, ansi=ansi)
        plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in lines]
        assert len({len(p) for p in plain}) == 1 and set("".join(plain)) <= set(" \u2580\u2584\u2588")
        got = []
        for line in plain:  # back from half blocks to modules
            if ansi:
                top = [c in "\u2588\u2580" for c in line]
                bottom = [c in "\u2588\u2584" for c in line]
            else:
                top = [c in " \u2584" for c in line]
                bottom = [c in " \u2580" for c in line]
            got += [top, bottom]
        assert got[: len(want)] == want


def test_banner_says_where_and_how_to_keep_it_local(server):
    text = banner(server, "output", ansi=False)
    assert server.page_url in text and server.feed_url in text and "\u2588" in text
    assert "Only this machine" in text
    server_all = type("Fake", (), {})()
    server_all.library, server_all.page_url, server_all.feed_url = server.library, server.page_url, server.feed_url
    server_all.everywhere, server_all.local_only = True, False
    text = banner(server_all, "output", ansi=True)
    assert "--host 127.0.0.1" in text and "Anyone on this local network" in text and "\x1b[30;107m" in text


def test_missing_folder_and_busy_port_are_clear_errors(tmp_path, server):
    from voiceguide.errors import VoiceguideError

    with pytest.raises(VoiceguideError, match="no such folder"):
        make_server(tmp_path / "nope", "127.0.0.1", 0)
    with pytest.raises(VoiceguideError, match="already in use"):
        make_server(tmp_path, "127.0.0.1", server.port)


# ------------------------------------------------------------------ the command line (once wired)


def _cli(*args, **kw):
    return voiceguide(*args, timeout=300, **kw)


def _wired(command: str, flag: str | None = None) -> bool:
    proc = _cli(*command.split(), "--help")
    return proc.returncode == 0 and (flag is None or flag in proc.stdout)


def test_cli_plan_svg(tmp_path):
    if not _wired("plan", "--svg"):
        pytest.skip("`plan --svg` is not wired into cli.py yet")
    target = tmp_path / "reset.svg"
    proc = _cli("plan", "scripts/two-minute-reset.yaml", "--estimate", "--svg", str(target))
    assert proc.returncode == 0, proc.stderr
    svg = target.read_text()
    assert svg.count('class="vg-step"') == 5 and 'data-kind="hold"' in svg
    proc = _cli("plan", "scripts/two-minute-reset.yaml", "--estimate", "--json", "--svg", str(target))
    assert proc.returncode == 0 and json.loads(proc.stdout)["title"] == "Two-minute reset"  # stdout stays JSON


def test_cli_serve_prints_the_address_and_a_qr_code_and_stops_on_ctrl_c(rendered):
    if not _wired("serve"):
        pytest.skip("`serve` is not wired into cli.py yet")
    out, _ = rendered
    proc = start("serve", str(out), "--host", "127.0.0.1", "--port", "0", stdin=None)
    try:
        lines = []
        deadline = time.monotonic() + 60
        url = None
        while time.monotonic() < deadline and url is None:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"page: (http://127\.0\.0\.1:\d+/)", line)
            url = m.group(1) if m else None
        assert url, "".join(lines) + proc.stderr.read()
        with urllib.request.urlopen(url + "feed.xml", timeout=10) as resp:
            assert resp.status == 200 and b"<rss" in resp.read()
        while not any("Ctrl-C" in line for line in lines):
            lines.append(proc.stdout.readline())
        text = "".join(lines)
        assert "\u2580" in text or "\u2584" in text  # the QR code
        assert "feed: " + url + "feed.xml" in text
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------ the page in a real browser


def current_step(page):
    return page.evaluate(
        "(() => { const b = document.querySelector('#steps .step.current');"
        " const g = document.querySelector('#timeline g.vg-step.current');"
        " return [b ? Number(b.dataset.index) : -1, g ? Number(g.dataset.chapter) : -1,"
        " b ? b.getAttribute('aria-current') : null]; })()"
    )


def test_page_in_headless_chromium(server, rendered):
    sync_playwright = browser_or_fail()
    _, timelines = rendered
    chapters = timelines["daily-five"].chapters
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "serve-page.png"
    phone_shot = ARTIFACTS / "serve-page-phone.png"
    problems, media = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
            page.on("response", lambda r: "/media/" in r.url and media.append((r.status, r.headers.get("content-range"))))
            page.goto(server.page_url)

            # the list: title, summary, length and cover of each session
            page.wait_for_selector("a.session", timeout=20_000)
            cards = page.locator("a.session")
            assert cards.count() == 2
            card = page.locator('a.session[data-name="daily-five"]')
            assert "Daily five" in card.inner_text() and timelines["daily-five"].summary in card.inner_text()
            assert "6 min" in card.inner_text() and "10 steps" in card.inner_text()
            page_wait_until(page, "[...document.querySelectorAll('a.session img')].every(i => i.complete && i.naturalWidth === 1400)",
                       what="the covers")

            # open a session: the steps beside the player, and the timeline picture
            card.click()
            page.wait_for_selector("#steps .step")
            assert page.evaluate("location.hash") == "#/daily-five"
            titles = page.locator("#steps .step .name").all_inner_texts()
            assert titles == [c.title for c in chapters]
            page_wait_until(page, f"document.querySelectorAll('#timeline g.vg-step').length === {len(chapters)}", what="the SVG")
            big = page.evaluate("Math.min(...[...document.querySelectorAll('#steps .step, .controls button')]"
                                ".map(b => b.getBoundingClientRect().height))")
            assert big >= 56  # large touch targets
            bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert bg == "rgb(13, 17, 23)"  # a dark screen

            # play it, muted
            page.evaluate("document.getElementById('audio').muted = true")
            page.click("#play")
            page_wait_until(page, "(() => { const a = document.getElementById('audio'); return !a.paused && a.currentTime > 0.5; })()",
                       what="playback")
            assert page.evaluate("document.getElementById('audio').muted") is True
            assert current_step(page) == [0, 0, "step"]

            # tap a step: it seeks there, keeps playing, and that step is highlighted
            page.click('#steps .step[data-index="4"]')
            page_wait_until(page, f"document.getElementById('audio').currentTime >= {chapters[4].start - 0.05}", what="the seek")
            assert current_step(page) == [4, 4, "step"]
            t = page.evaluate("document.getElementById('audio').currentTime")
            assert chapters[4].start - 0.05 <= t < chapters[4].start + 3
            assert page.inner_text("#now-step") == chapters[4].title
            assert page.inner_text("#now-label") == f"Step 5 of {len(chapters)}"
            page_wait_until(page, "!document.getElementById('audio').paused", what="playing on after the tap")

            # a seek from the slider (or the lock screen) highlights the step it lands in
            for index in (7, 2, 8):
                target = (chapters[index].start + chapters[index].end) / 2
                page.evaluate(f"(() => {{ const a = document.getElementById('audio'); a.currentTime = {target}; }})()")
                page_wait_until(page, f"document.querySelector('#steps .step.current')?.dataset.index === '{index}'",
                           what=f"step {index + 1} highlighted")
                assert current_step(page) == [index, index, "step"]
            # just before a step's start is still the step before
            page.evaluate(f"document.getElementById('audio').currentTime = {chapters[6].start - 0.4}")
            page_wait_until(page, "document.querySelector('#steps .step.current')?.dataset.index === '5'", what="step 6")

            # the next-step button
            page.click("#next")
            page_wait_until(page, "document.querySelector('#steps .step.current')?.dataset.index === '6'", what="next step")
            page.evaluate(f"document.getElementById('audio').currentTime = {chapters[3].start + 2}")
            page_wait_until(page, "document.querySelector('#steps .step.current')?.dataset.index === '3'", what="step 4")
            assert page.locator("#timeline .vg-playhead").count() == 1
            page.wait_for_timeout(400)
            page.screenshot(path=str(shot), full_page=True)

            # the browser seeks in the MP3 with byte ranges
            assert any(status == 206 and rng for status, rng in media), media

            # a phone-sized screen, on the session without a timeline file
            phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                     has_touch=True)
            phone.on("pageerror", lambda e: problems.append(f"phone page error: {e}"))
            phone.goto(server.page_url + "#/two-minute-reset")
            phone.wait_for_selector("#steps .step")
            assert phone.locator("#steps .step").count() == len(timelines["two-minute-reset"].chapters)
            page_wait_until(phone, "document.querySelectorAll('#timeline g.vg-step').length > 0", what="the phone's SVG")
            phone.tap('#steps .step[data-index="2"]')
            page_wait_until(phone, "document.querySelector('#steps .step.current')?.dataset.index === '2'", what="tap on phone")
            phone.evaluate("document.getElementById('audio').pause(); window.scrollTo(0, 0)")
            phone.wait_for_timeout(300)
            phone.screenshot(path=str(phone_shot))
        finally:
            browser.close()
    print(f"\nscreenshots: {shot} {phone_shot}")
    assert shot.stat().st_size > 20_000 and png_size(shot.read_bytes())[0] == 1280
    assert not problems, problems
