"""Headless Chromium (the system's, driven by Playwright) for the tests of the pages voiceguide serves."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest

from testsupport import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots are kept here (ignored by git)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
]


def browser_or_fail():
    """Playwright's sync_playwright, or the test fails saying what to install."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: `./dev test` installs it (pip install -e '.[test,web-test]')")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `./dev test` installs it (apt-get install -y chromium chromium-driver)")
    return sync_playwright


def page_wait_until(page, expression, timeout=20.0, what=""):
    """Poll a JavaScript expression (page.wait_for_function would need eval, which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = page.evaluate(expression)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or expression} (last value {value!r})")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])
