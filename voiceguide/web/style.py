"""The dark style voiceguide's pages share: one stylesheet, and its ground colour for pictures drawn in Python."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
STYLESHEET = STATIC_DIR / "style.css"
STYLESHEET_TYPE = "text/css; charset=utf-8"
GROUND_RGB = (13, 17, 23)  # --bg in style.css (#0d1117)
