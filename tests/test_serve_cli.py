"""voiceguide serve in the terminal and from the command line: the QR code and the banner that say
where the page is and who can reach it, clear errors for a missing folder or a busy port, and the
`serve` and `plan --svg` commands in a child process. Split from the serve tests: none of these
needs a browser."""

import json
import re
import signal
import time
import urllib.request

import pytest

from testsupport.cli import start, voiceguide
from testsupport.serve import serving
from voiceguide.web.serve import banner, make_server, qr_lines


@pytest.fixture(scope="module")
def server(serve_rendered):
    """This module's own server over the session's renders (tests/conftest.py: serve_rendered)."""
    with serving(serve_rendered[0]) as srv:
        yield srv


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


def test_cli_serve_prints_the_address_and_a_qr_code_and_stops_on_ctrl_c(serve_rendered):
    if not _wired("serve"):
        pytest.skip("`serve` is not wired into cli.py yet")
    out, _ = serve_rendered
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
