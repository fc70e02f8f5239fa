"""What the tests of `voiceguide serve` share: a folder of real renders with bait beside them (things
that must never be served), the server over it in a thread, and raw HTTP requests to it.

The folder is rendered once per test session (the `serve_rendered` fixture in tests/conftest.py);
each serve test module starts its own server over it (`serving`)."""

from __future__ import annotations

import http.client
import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from testsupport import ROOT

SECRET = "top-secret-marker-7f3a"


def render_library(base: Path):
    """Two real sessions in base/output: daily-five with its timeline file (NAME.json, as render will
    write it) and two-minute-reset without one (the server falls back to the MP3's ID3 chapters).
    Beside them, bait that must never be served: a secret outside the folder, links leading out, a
    sub-folder, a hidden file, an unlisted kind of file, and a damaged MP3. Returns the folder and
    the two timelines by name."""
    from voiceguide.export.render import export, output_name
    from voiceguide.session.build import session

    old = os.environ.get("VOICEGUIDE_CACHE_DIR")
    os.environ["VOICEGUIDE_CACHE_DIR"] = str(base / "cache")
    try:
        out = base / "output"
        timelines = {}
        for script in ("daily-five", "two-minute-reset"):
            sess = session(ROOT / "scripts" / f"{script}.yaml", engine="piper")  # the server is under test, not the voice
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


@contextmanager
def serving(folder: Path):
    """`voiceguide serve`'s server over `folder` on a free port of 127.0.0.1, in a thread."""
    from voiceguide.web.serve import make_server

    logs = []
    srv = make_server(folder, "127.0.0.1", 0, log=logs.append)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
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
