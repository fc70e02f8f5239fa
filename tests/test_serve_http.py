"""voiceguide serve over HTTP: byte ranges (as a browser's <audio> and a podcast app seek), and what
it refuses: paths leading out of the folder, files it does not list, anything but GET and HEAD. Split
from the serve tests so that the server's safety reads on its own; the feed is in
test_serve_feed.py, the page in test_serve_page.py."""

import http.client
import threading

import pytest

from testsupport.serve import SECRET, get, request, serving
from voiceguide.web.serve import parse_byte_range


@pytest.fixture(scope="module")
def server(serve_rendered):
    """This module's own server over the session's renders (tests/conftest.py: serve_rendered)."""
    with serving(serve_rendered[0]) as srv:
        yield srv


# ------------------------------------------------------------------ byte ranges


def test_range_requests(server, serve_rendered):
    out, _ = serve_rendered
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


def test_ranges_on_one_kept_alive_connection_and_in_parallel(server, serve_rendered):
    out, _ = serve_rendered
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
def test_read_only(server, serve_rendered, method):
    out, _ = serve_rendered
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

