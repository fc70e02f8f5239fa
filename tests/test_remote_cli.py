"""`voiceguide play --remote` from the command line: one-line errors for a busy port, a bad routine
or --host without --remote, and in a terminal the address and QR code before the floor view, the
keys and the remote steering one session. Split from the remote tests: none of these needs a
browser (test_remote_phone.py has them)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import time

import pytest

from testsupport import LIVE
from testsupport.cli import voiceguide
from testsupport.remote import TerminalSession


def test_busy_port_is_one_line_and_exit_1(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = voiceguide("play", str(LIVE / "skip.yaml"), "--engine", "espeak", "--remote", "--host", "127.0.0.1",
                          "--port", str(port), timeout=60, extra_env={"VOICEGUIDE_CACHE_DIR": str(tmp_path)})
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == f"voiceguide: port {port} is already in use; choose another with --port"
    assert proc.stdout == ""


def test_a_bad_routine_is_reported_before_any_remote(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: Bad\nsteps: 3\n")
    proc = voiceguide("play", str(bad), "--remote", "--host", "127.0.0.1", "--port", "0", timeout=60)
    assert proc.returncode == 1 and proc.stdout == "", proc.stdout
    assert proc.stderr.strip().endswith("bad.yaml:2:8: steps must be a list of steps (each starting with '- '), not a number")
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_host_without_remote_is_a_usage_error():
    proc = voiceguide("play", str(LIVE / "skip.yaml"), "--port", "9000", timeout=60)
    assert proc.returncode == 2 and "--host and --port go with --remote" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_in_a_terminal_the_address_comes_before_the_floor_view(pulse, cache):
    """The QR code and address are printed before the full-screen view takes the terminal, which
    waits for the phone or a key (and they are there again when it leaves); the address stays at the
    floor view's foot; the remote and the keys steer the same session."""
    t = TerminalSession(pulse, cache, LIVE / "skip.yaml")
    try:
        port = t.port()
        time.sleep(1.0)
        assert b"\x1b[?1049h" not in t.raw and t.proc.poll() is None  # it waits for the phone or a key
        os.write(t.master, b"\r")  # any key begins without the phone
        t.floor_view()
        assert b"phone remote: http://127.0.0.1:" in t.after(b"\x1b[?1049h")  # the address stays in view
        deadline = time.monotonic() + 30
        while b" left" not in t.after(b"\x1b[?1049h"):  # the hold's countdown is drawn
            assert time.monotonic() < deadline, t.text()[-1500:]
            time.sleep(0.05)
        assert _post(port, "/command/pause")["paused"] is True
        while b"space to resume" not in t.raw:  # the floor view's paused state
            assert time.monotonic() < deadline, t.text()[-1500:]
            time.sleep(0.05)
        text = bytes(t.raw)
        assert text.index(b"Remote: http://127.0.0.1:") < text.index(b"\x1b[?1049h")  # before the alternate screen
        assert "\u2580".encode() in text[: text.index(b"\x1b[?1049h")]  # the QR code's half blocks
        os.write(t.master, b" ")  # the space bar resumes what the phone paused
        time.sleep(0.5)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/state.json")
        assert json.loads(conn.getresponse().read())["paused"] is False
        conn.close()
        os.write(t.master, b"q")
        assert t.proc.wait(15) == 0, t.text()[-1500:]
    finally:
        t.close()


def test_q_before_the_session_begins_quits_cleanly(pulse, cache):
    t = TerminalSession(pulse, cache, LIVE / "skip.yaml")
    try:
        port = t.port()
        os.write(t.master, b"q")
        assert t.proc.wait(15) == 0, t.text()[-1500:]
        assert b"\x1b[?1049h" not in t.raw and b"Traceback" not in t.raw
        with pytest.raises(OSError):  # the remote is closed too
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        t.close()


def _post(port: int, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("POST", path)
        resp = conn.getresponse()
        assert resp.status == 200
        return json.loads(resp.read())
    finally:
        conn.close()

