"""What voiceguide serve shows: the timeline picture (SVG) and the page in a real headless Chromium
(driven by Playwright), on sessions rendered for real. Split from the serve tests so that the
browser's test and the picture it draws read together; the terminal's banner and the command line
are in test_serve_cli.py."""

import json
from xml.etree import ElementTree as ET

import pytest

from testsupport.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, browser_or_fail, page_wait_until, png_size
from testsupport.serve import serving
from voiceguide.plan.svg import timeline_svg, write_svg


@pytest.fixture(scope="module")
def server(serve_rendered):
    """This module's own server over the session's renders (tests/conftest.py: serve_rendered)."""
    with serving(serve_rendered[0]) as srv:
        yield srv


# ------------------------------------------------------------------ the timeline picture


def test_svg_from_a_timeline_and_from_its_json_are_the_same_and_to_scale(serve_rendered, tmp_path):
    _, timelines = serve_rendered
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


# ------------------------------------------------------------------ the page in a real browser


def current_step(page):
    return page.evaluate(
        "(() => { const b = document.querySelector('#steps .step.current');"
        " const g = document.querySelector('#timeline g.vg-step.current');"
        " return [b ? Number(b.dataset.index) : -1, g ? Number(g.dataset.chapter) : -1,"
        " b ? b.getAttribute('aria-current') : null]; })()"
    )


def test_page_in_headless_chromium(server, serve_rendered):
    sync_playwright = browser_or_fail()
    _, timelines = serve_rendered
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
