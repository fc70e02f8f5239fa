"""A picture of a session's timeline as SVG: a strip per step (chapter), drawn to one scale.

Each strip has three lanes: what is said (narration, cues, countdowns, breath cues), what the
listener does (holds, rests, waits), and the sounds (bells, breath tones, ticks, chimes). Every
strip uses the same seconds-to-pixels scale, so a long hold looks long next to a short one.

The input is a `Timeline` or its JSON (`Timeline.to_json()`, as `plan --json` prints it); JSON
with chapters but no events (what an MP3's own chapter tags give) draws the strips alone.
Strips carry `data-chapter`, `data-start` and `data-end`, so a page can highlight the one playing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ..text import countdown_clock

# Colours on a dark ground (the page and the file look the same).
BACKGROUND = "#0d1117"
STRIP = "#1c2230"
TEXT = "#e6edf3"
MUTED = "#8b949e"
GRID = "#2d3544"

SPEECH = {
    "narration": "#58a6ff",
    "safety": "#ff7b72",
    "cue": "#f778ba",
    "countdown": "#ffa657",
    "breath": "#56d4dd",
    "transition": "#d2a8ff",
}
SPEECH_OTHER = "#58a6ff"
ACTIVITY = {"hold": "#2ea043", "rest": "#6e7681", "wait": "#bf8700"}
SOUND = {"bell": "#e3b341", "inhale": "#56d4dd", "exhale": "#2f9fa8", "tick": "#e6edf3", "chime": "#d2a8ff"}
SOUND_OTHER = "#ff9bce"

LEGEND = (
    ("speech", SPEECH["narration"]),
    ("safety", SPEECH["safety"]),
    ("cue", SPEECH["cue"]),
    ("countdown", SPEECH["countdown"]),
    ("breath", SPEECH["breath"]),
    ("switch sides", SPEECH["transition"]),
    ("hold", ACTIVITY["hold"]),
    ("rest", ACTIVITY["rest"]),
    ("wait", ACTIVITY["wait"]),
    ("bell", SOUND["bell"]),
    ("tick", SOUND["tick"]),
    ("sound", SOUND_OTHER),
)

MARGIN = 16
ROW = 66  # one step: a title line and the strip
TITLE_H = 18
LANE = 9  # each lane's height
LANE_GAP = 2
STRIP_H = 3 * LANE + 4 * LANE_GAP
NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


def _as_json(timeline: Any) -> dict:
    if isinstance(timeline, dict):
        return timeline
    return timeline.to_json()


def _num(x: float) -> str:
    """A short, stable number for coordinates."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _length(seconds: float) -> str:
    s = int(round(seconds))
    m, s = divmod(s, 60)
    if m >= 60:
        h, m = divmod(m, 60)
        return f"{h}h {m:02d}m"
    return f"{m}m {s:02d}s" if m else f"{s}s"


def _tick_step(span: float, most: int = 12) -> int:
    for step in NICE_STEPS:
        if span / step <= most:
            return step
    return NICE_STEPS[-1]


def _fit(text: str, width: float, size: float) -> str:
    """Shorten `text` to about `width` pixels at font `size` (an estimate: SVG text is not measured here)."""
    room = max(4, int(width / (size * 0.56)))
    return text if len(text) <= room else text[: room - 1].rstrip() + "\u2026"


def _chapters(data: dict) -> list[dict]:
    duration = float(data.get("duration") or 0.0)
    chapters = [dict(c) for c in data.get("chapters") or []]
    if not chapters:
        chapters = [{"start": 0.0, "end": duration, "title": data.get("title") or "Session"}]
    for i, c in enumerate(chapters):
        if not c.get("end") or c["end"] <= c["start"]:
            c["end"] = chapters[i + 1]["start"] if i + 1 < len(chapters) else max(duration, c["start"])
    return chapters


def _events_by_chapter(data: dict, chapters: list[dict]) -> list[list[dict]]:
    rows: list[list[dict]] = [[] for _ in chapters]
    for ev in data.get("events") or []:
        if ev.get("role") == "ambient":
            continue  # a bed under the whole session: named in the header, not drawn in every strip
        i = ev.get("chapter", -1)
        if not isinstance(i, int) or not 0 <= i < len(chapters):
            # no usable index: the chapter it starts in
            i = next((k for k, c in enumerate(chapters) if c["start"] <= ev["start"] < c["end"]), 0)
        rows[i].append(ev)
    return rows


def timeline_svg(timeline: Any, width: int = 960, standalone: bool = True) -> str:
    """The timeline as an SVG document (a string). `standalone` adds the XML declaration."""
    data = _as_json(timeline)
    title = str(data.get("title") or "Session")
    duration = float(data.get("duration") or 0.0)
    chapters = _chapters(data)
    rows = _events_by_chapter(data, chapters)
    detailed = bool(data.get("events"))
    span = max((c["end"] - c["start"] for c in chapters), default=0.0) or 1.0
    x0, x1 = MARGIN, width - MARGIN
    scale = (x1 - x0) / span  # pixels per second, the same for every strip

    out: list[str] = []
    add = out.append
    header_h = 64
    legend_h = _legend_rows(x1 - x0) * 18 + 8 if detailed else 0
    axis_h = 22
    top = header_h + legend_h + axis_h
    height = top + ROW * len(chapters) + MARGIN
    if standalone:
        add('<?xml version="1.0" encoding="UTF-8"?>\n')
    add(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="vg-title" class="vg-timeline" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">\n'
    )
    add(f'<title id="vg-title">{escape(title)}: timeline, {escape(_length(duration))}</title>\n')
    add(f'<rect x="0" y="0" width="{width}" height="{height}" fill="{BACKGROUND}"/>\n')
    add(f'<text x="{x0}" y="30" font-size="20" font-weight="600" fill="{TEXT}">{escape(_fit(title, width - 200, 20))}</text>\n')
    sub = f"{_length(duration)}, {len(chapters)} step{'s' if len(chapters) != 1 else ''}"
    settings = data.get("settings") or {}
    pace = settings.get("pace")
    if isinstance(pace, (int, float)) and pace != 1:
        sub += f", pace {pace:g}"
    if settings.get("ambient"):
        sub += f", under a {settings['ambient']} bed"
    if not detailed:
        sub += " (steps only: no timeline file beside the MP3)"
    add(f'<text x="{x0}" y="52" font-size="13" fill="{MUTED}">{escape(sub)}</text>\n')

    if detailed:  # the legend, wrapped to the width
        x, y = x0, header_h + 12
        for label, colour in LEGEND:
            room = 24 + len(label) * 6.2
            if x + room > x1 + 10:
                x, y = x0, y + 18
            add(f'<rect x="{_num(x)}" y="{y - 8}" width="10" height="10" rx="2" fill="{colour}"/>')
            add(f'<text x="{_num(x + 14)}" y="{y + 1}" font-size="11" fill="{MUTED}">{escape(label)}</text>\n')
            x += room

    # the scale, once at the top: every strip shares it
    step = _tick_step(span)
    ay = header_h + legend_h + 14
    add(f'<g class="vg-axis" font-size="10" fill="{MUTED}">')
    t = 0
    while t <= span + 1e-9:
        x = x0 + t * scale
        anchor = "start" if t == 0 else "middle"
        if x1 - x < 18:
            anchor = "end"
        add(f'<text x="{_num(x)}" y="{ay}" text-anchor="{anchor}">{escape(_length(t))}</text>')
        t += step
    add("</g>\n")

    for i, (ch, events) in enumerate(zip(chapters, rows)):
        y = top + i * ROW
        start, end = float(ch["start"]), float(ch["end"])
        length = max(0.0, end - start)
        w = max(2.0, length * scale)
        add(
            f'<g class="vg-step" data-chapter="{i}" data-start="{_num(start)}" data-end="{_num(end)}" '
            f'transform="translate(0 {y})">\n'
        )
        add(f'<title>{escape(str(ch.get("title", "")))} ({countdown_clock(int(round(start)))} to {countdown_clock(int(round(end)))})</title>')
        add(f'<rect class="vg-row" x="0" y="-2" width="{width}" height="{ROW}" fill="transparent"/>')
        label = f"{i + 1}. {ch.get('title', '')}"
        add(f'<text x="{x0}" y="{TITLE_H - 4}" font-size="13" fill="{TEXT}">{escape(_fit(label, width - 170, 13))}</text>')
        add(
            f'<text x="{x1}" y="{TITLE_H - 4}" font-size="12" fill="{MUTED}" text-anchor="end">'
            f"{countdown_clock(int(round(start)))} \u00b7 {escape(_length(length))}</text>\n"
        )
        add(f'<rect class="vg-strip" x="{x0}" y="{TITLE_H + 4}" width="{_num(w)}" height="{STRIP_H}" rx="3" fill="{STRIP}"/>')
        for k in range(step, int(length) + 1, step):  # faint grid, the axis's ticks
            gx = x0 + k * scale
            if gx < x0 + w - 1:
                add(f'<line x1="{_num(gx)}" y1="{TITLE_H + 4}" x2="{_num(gx)}" y2="{TITLE_H + 4 + STRIP_H}" stroke="{GRID}" stroke-width="1"/>')
        add("\n")
        lanes = {"speech": TITLE_H + 4 + LANE_GAP, "activity": TITLE_H + 4 + 2 * LANE_GAP + LANE, "sound": TITLE_H + 4 + 3 * LANE_GAP + 2 * LANE}
        # activity first (holds under everything), then sounds, then speech
        for ev in sorted(events, key=lambda e: {"hold": 0, "rest": 0, "wait": 0, "sound": 1}.get(e["kind"], 2)):
            a = max(float(ev["start"]), start)
            b = min(float(ev["end"]), end)
            if b < a:
                b = a
            ex = x0 + (a - start) * scale
            ew = (b - a) * scale
            kind = ev["kind"]
            tip = _tip(ev, start)
            if kind in ACTIVITY:
                add(
                    f'<rect x="{_num(ex)}" y="{lanes["activity"]}" width="{_num(max(ew, 1.5))}" height="{LANE}" rx="2" '
                    f'fill="{ACTIVITY[kind]}" data-kind="{kind}"><title>{escape(tip)}</title></rect>'
                )
            elif kind == "sound":
                name = str(ev.get("sound") or "")
                colour = SOUND.get(name, SOUND_OTHER)
                if ev.get("role") == "breath":
                    colour = SOUND.get(name, SOUND["inhale"])
                add(
                    f'<rect x="{_num(ex)}" y="{lanes["sound"]}" width="{_num(max(ew, 2.0))}" height="{LANE}" rx="1" '
                    f'fill="{colour}" data-kind="sound"><title>{escape(tip)}</title></rect>'
                )
            elif kind == "speech":
                colour = SPEECH.get(str(ev.get("role") or ""), SPEECH_OTHER)
                add(
                    f'<rect x="{_num(ex)}" y="{lanes["speech"]}" width="{_num(max(ew, 1.5))}" height="{LANE}" rx="2" '
                    f'fill="{colour}" data-kind="speech"><title>{escape(tip)}</title></rect>'
                )
        add("\n</g>\n")
    add("</svg>\n")
    return "".join(out)


def _legend_rows(room: float) -> int:
    rows, x = 1, 0.0
    for label, _ in LEGEND:
        w = 24 + len(label) * 6.2
        if x + w > room + 10:
            rows, x = rows + 1, 0.0
        x += w
    return rows


def _tip(ev: dict, chapter_start: float) -> str:
    at = f"{countdown_clock(int(round(float(ev['start']))))}"
    length = float(ev["end"]) - float(ev["start"])
    if ev["kind"] == "speech":
        return f"{at} {ev.get('role') or 'speech'}: {ev.get('text', '')}"
    if ev["kind"] == "sound":
        return f"{at} sound: {ev.get('sound', '')} ({ev.get('role', '')})"
    return f"{at} {ev['kind']}: {_length(length)}"


def write_svg(timeline: Any, path: Path, width: int = 960) -> Path:
    """Write the timeline picture to `path` (atomically)."""
    from ..errors import VoiceguideError
    from ..fsutil import atomic_write_text

    path = Path(path)
    text = timeline_svg(timeline, width=width)
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise VoiceguideError(f"{path}: cannot write the picture ({exc.strerror or exc})") from None
    return path
