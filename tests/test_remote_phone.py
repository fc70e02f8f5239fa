"""`voiceguide play --remote`: the phone remote in a real headless Chromium, steering a real session that
plays to a PulseAudio null sink, whose monitor is recorded (testsupport/pulse.py).

Times are compared on one clock, the recording's: the number of samples recorded when the button is
clicked, against where the sound stops (or starts) in that same recording. The recording lags the
device a little (parec's own latency), which only makes every measured delay longer.

Split from the remote tests: these are the ones with the browser (one Chromium for the module); the
command line and the terminal are in test_remote_cli.py, the remote's state and commands in process
in test_remote_state.py.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from testsupport import LIVE
from testsupport.audio import ANCHOR, best_match, clip_of, find_speech, speech, voice_of
from testsupport.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, browser_or_fail, page_wait_until, png_size
from testsupport.cli import plan_json
from testsupport.pulse import RATE
from testsupport.remote import RemoteSession, TerminalSession

WINDOW = RATE // 100  # 10 ms
SILENT = 0.002  # RMS of a 10 ms window: the paused device plays digital silence, the drone never goes below 0.01
PRESS_LIMIT = 0.3  # seconds from a press to its effect on the sink


# ------------------------------------------------------------------ a session with its remote


@pytest.fixture
def remote_play(pulse, cache, tmp_path):
    sessions: list[RemoteSession] = []

    def start(routine: Path, *args: str) -> RemoteSession:
        s = RemoteSession(pulse, routine, *args, cache=cache, tmp=tmp_path)
        sessions.append(s)
        return s

    yield start
    for s in sessions:
        s.kill()


@pytest.fixture(scope="module")
def browser():
    sync_playwright = browser_or_fail()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def phone_page(browser, problems: list[str]):
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                            has_touch=True)
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return page


def rms_windows(audio: np.ndarray) -> np.ndarray:
    n = audio.size // WINDOW
    return np.sqrt((audio[: n * WINDOW].reshape(n, WINDOW).astype(np.float64) ** 2).mean(axis=1))


def silence_from(audio: np.ndarray, sample: int, lasting: float) -> float | None:
    """Seconds from `sample` to the start of the first stretch of silence at least `lasting` long."""
    quiet = rms_windows(audio[sample:]) < SILENT
    need = int(lasting * 100)
    run = 0
    for i, q in enumerate(quiet):
        run = run + 1 if q else 0
        if run >= need:
            return (i - need + 1) / 100
    return None


def sound_from(audio: np.ndarray, sample: int) -> float | None:
    loud = np.flatnonzero(rms_windows(audio[sample:]) >= SILENT)
    return float(loud[0]) / 100 if loud.size else None


def countdown_at_most(seconds: int) -> str:
    """A JavaScript test: the page's countdown reads 0:SS with SS at most `seconds`."""
    return (f"(t => /^0:\\d\\d$/.test(t) && Number(t.slice(2)) <= {seconds})"
            "(document.getElementById('r-countdown').textContent)")


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


# ------------------------------------------------------------------ tests


def test_pause_resume_and_stop_from_the_phone(remote_play, browser):
    """A steady drone under ticking: Pause silences the sink within 300 ms of the click, Resume brings it
    back, Stop ends the process and its server. The page shows the step and its countdown."""
    s = remote_play(LIVE / "pause-ticks.yaml", "--ambient", "drone")
    deadline = time.monotonic() + 10
    while "Only this machine can reach it" not in s.output and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Only this machine can reach it" in s.output  # serve's note about --host
    problems: list[str] = []
    page = phone_page(browser, problems)
    try:
        page.goto(s.url)
        page_wait_until(page, "document.getElementById('r-step').textContent === 'Tick hold'", what="the step")
        page_wait_until(page, countdown_at_most(15), timeout=30,
                   what="five seconds into the hold")
        assert page.inner_text("#r-kind").lower() == "hold"
        assert page.inner_text("#r-count") == "Step 1 of 1"
        for name in ("Pause", "Next", "Back", "Stop"):
            assert button(page, name).count() == 1, name
        assert button(page, "Pause").bounding_box()["height"] >= 56
        before = s.rec.now()
        # steady sound before the press (a 10-30 ms underrun of the loaded 2-core machine aside)
        assert (rms_windows(s.rec.audio()[before - RATE // 2 : before]) >= SILENT).mean() > 0.8

        clicked = s.rec.now()
        button(page, "Pause").click()
        page_wait_until(page, "document.body.classList.contains('paused')", timeout=2, what="the paused state")
        assert button(page, "Resume").count() == 1 and button(page, "Pause").count() == 0
        assert page.inner_text("#r-banner").strip().lower() == "paused"
        assert s.state()["paused"] is True
        page.wait_for_timeout(300)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "remote-phone-paused.png"
        page.screenshot(path=str(shot))
        time.sleep(max(0.0, 1.6 - (s.rec.now() - clicked) / RATE))

        resumed = s.rec.now()
        button(page, "Resume").click()
        page_wait_until(page, "!document.body.classList.contains('paused')", timeout=2, what="resumed")
        assert button(page, "Pause").count() == 1
        time.sleep(1.0)
        page.screenshot(path=str(ARTIFACTS / "remote-phone.png"))

        stopped = time.monotonic()
        button(page, "Stop").click()
        assert s.wait(10) == 0, s.output[-2000:]
        took = time.monotonic() - stopped
        page_wait_until(page, "document.getElementById('r-banner').textContent.includes('ended')", timeout=5,
                   what="the page saying the session ended")
    finally:
        page.close()
    audio = s.rec.audio()
    s.rec.stop()
    assert "Traceback" not in s.output and "internal error" not in s.output, s.output[-2000:]
    assert took < 2.0, took
    with pytest.raises(ConnectionRefusedError):  # the server went with the session
        socket.create_connection(("127.0.0.1", s.port), timeout=2).close()

    pause_lag = silence_from(audio, clicked, lasting=1.0)
    assert pause_lag is not None, "the sink never went silent after Pause"
    print(f"\nPause -> silence on the sink: {pause_lag * 1000:.0f} ms")
    assert pause_lag <= PRESS_LIMIT, pause_lag
    assert (rms_windows(audio[clicked + int((pause_lag + 0.02) * RATE) : resumed]) < SILENT).all()  # silent till Resume
    resume_lag = sound_from(audio, resumed)
    print(f"Resume -> sound on the sink: {resume_lag * 1000:.0f} ms")
    assert resume_lag is not None and resume_lag <= PRESS_LIMIT, resume_lag
    assert png_size(shot.read_bytes()) == (780, 1688)
    assert not problems, problems


def test_next_events_and_a_get_that_changes_nothing(remote_play, browser, pulse, cache):
    """GET (and foreign or unknown commands) never steer; the event stream delivers the step change at
    once; Next goes straight to the next step's first words; Stop ends the stream and the process."""
    routine = LIVE / "skip.yaml"
    plan = plan_json(routine, "--engine", "espeak", env=dict(pulse.env, VOICEGUIDE_CACHE_DIR=str(cache)))
    voice = voice_of(plan, cache)
    after = next(e for e in speech(plan) if e["text"].startswith("Now something"))
    s = remote_play(routine)
    events: list[tuple[float, str, dict]] = []

    def listen():
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        conn.request("GET", "/events")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Type").startswith("text/event-stream")
        name = "message"
        while line := resp.fp.readline():
            text = line.decode().rstrip("\n")
            if text.startswith("event: "):
                name = text[7:]
            elif text.startswith("data: "):
                events.append((time.monotonic(), name, json.loads(text[6:])))
                name = "message"

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    problems: list[str] = []
    page = phone_page(browser, problems)
    try:
        page.goto(s.url)
        page_wait_until(page, "document.getElementById('r-step').textContent === 'Long hold'", what="the step")
        page_wait_until(page, countdown_at_most(57), timeout=30,
                   what="the hold under way")
        assert page.inner_text("#r-next") == "After the skip"

        # nothing but a same-origin POST steers
        quiet_from = s.rec.now()
        for method in ("GET", "HEAD", "PUT", "DELETE"):
            status, headers, _ = s.request(method, "/command/next")
            assert status == 405 and headers["allow"] == "POST", (method, status)
        assert s.request("POST", "/command/next", {"Origin": "http://evil.example"})[0] == 403
        rebound = f"rebound.example:{s.port}"  # a name pointed at us by another site (DNS rebinding)
        assert s.request("POST", "/command/next", {"Host": rebound, "Origin": f"http://{rebound}"})[0] == 403
        assert s.request("POST", "/command/skip-everything")[0] == 404
        assert s.request("POST", "/events")[0] == 405
        time.sleep(0.6)
        assert s.state()["step"] == "Long hold"
        assert page.inner_text("#r-step") == "Long hold"
        assert sound_from(s.rec.audio(), quiet_from) is None  # the hold stays silent: nothing was skipped
        assert all(e[2].get("step") in (None, "Long hold") for e in events)

        clicked, clicked_at = s.rec.now(), time.monotonic()
        button(page, "Next").click()
        page_wait_until(page, "document.getElementById('r-step').textContent === 'After the skip'", timeout=2,
                   what="the next step on the page")
        time.sleep(1.5)
        changed = next((t for t, _, d in events if d.get("step") == "After the skip"), None)
        assert changed is not None, events[-3:]
        print(f"\nNext -> the event stream's step change: {(changed - clicked_at) * 1000:.0f} ms")
        assert changed - clicked_at < PRESS_LIMIT
        page.screenshot(path=str(ARTIFACTS / "remote-phone-next.png"))

        button(page, "Stop").click()
        assert s.wait(10) == 0, s.output[-2000:]
    finally:
        page.close()
    reader.join(5)
    assert not reader.is_alive(), "the event stream did not end with the session"
    assert events[-1][1] == "end" and events[-1][2]["finished"] is True
    audio = s.rec.audio()
    s.rec.stop()
    assert "Traceback" not in s.output, s.output[-2000:]

    next_lag = sound_from(audio, clicked)
    assert next_lag is not None
    print(f"Next -> the next step's first sound on the sink: {next_lag * 1000:.0f} ms")
    assert next_lag <= PRESS_LIMIT, next_lag
    found = find_speech(audio[clicked:], clip_of(voice, after), ANCHOR)  # (a loaded machine's underrun may cut it)
    best = best_match(audio[clicked:], clip_of(voice, after))
    assert found and abs(found[0] - next_lag) < 0.05, (found, next_lag, best)  # that sound is the next step's words
    assert not problems, problems


def test_a_wait_shows_on_the_phone_and_next_goes_on(pulse, cache, browser):
    """In a terminal a `wait` step waits: the page says so unmistakably, and its Next button goes on."""
    t = TerminalSession(pulse, cache, LIVE / "wait.yaml")
    problems: list[str] = []
    page = phone_page(browser, problems)
    try:
        page.goto(f"http://127.0.0.1:{t.port()}/")  # the phone opening the page begins the session
        t.floor_view()
        page_wait_until(page, "document.body.classList.contains('waiting')", timeout=30, what="the waiting state")
        assert page.inner_text("#r-step") == "Wait for you"
        assert "tap next" in page.inner_text("#r-banner").lower()
        assert page.inner_text("#r-countdown") == ""  # as the floor view: no count while it waits for you
        deadline = time.monotonic() + 1.0  # the terminal agrees by its next redraw (10 a second)
        while b"press any key to go on" not in t.raw:
            assert time.monotonic() < deadline, t.text()[-1500:]
            time.sleep(0.02)
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "remote-phone-waiting.png"))
        button(page, "Next").click()
        page_wait_until(page, "document.getElementById('r-step').textContent === 'Begin'", timeout=3, what="the next step")
        assert not page.evaluate("document.body.classList.contains('waiting')")
        assert t.proc.wait(30) == 0, t.text()[-1500:]  # it went on to the end by itself
        page_wait_until(page, "document.getElementById('r-banner').textContent.includes('ended')", timeout=5,
                   what="the page saying the session ended")
    finally:
        page.close()
        t.close()
    assert not problems, problems
