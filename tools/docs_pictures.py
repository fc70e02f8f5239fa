"""Regenerate the documentation's pictures into docs/pictures/ (they are committed).

    python tools/docs_pictures.py            # all of them
    python tools/docs_pictures.py floor plan # some of them

Every picture is made by the project itself, through the `voiceguide` command line only (so a move
of the modules inside the package does not break this script):

- floor-view.svg      `voiceguide play` in a detached tmux of 80x24 (own socket, the `null` audio
                      backend), captured during a hold with its colours and drawn to SVG by rich;
- remote-page.png     the page of `play --remote` in headless Chromium at phone size, during a hold;
- phone-page.png      the page of `voiceguide serve` at phone size, a session open;
- plan-daily-five.svg `voiceguide plan daily-five --svg` (a shipped routine);
- loudness.svg        a render of `daily-five` with `--engine espeak`, measured by ffmpeg's
                      ebur128 filter (short-term and momentary loudness every 0.1 s), drawn here
                      with its chapters from the render's own NAME.json.

Needs what `./dev test` installs: espeak-ng, ffmpeg, tmux, Chromium (/usr/bin/chromium) and
playwright. The clip cache and the config folder are temporary, so your own play no part.
`tools/docs_hooks.py` (the MkDocs hook) fails a strict build when one of PICTURES is missing.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "pictures"
PICTURES = ("floor-view.svg", "remote-page.png", "phone-page.png", "plan-daily-five.svg", "loudness.svg")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
PHONE = {"width": 390, "height": 844}


def say(msg: str) -> None:
    print(f"docs_pictures: {msg}", file=sys.stderr)


def voiceguide(*args: str) -> list[str]:
    return [sys.executable, "-m", "voiceguide", *args]


def environment(tmp: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["VOICEGUIDE_CACHE_DIR"] = str(tmp / "cache")
    env["VOICEGUIDE_CONFIG_DIR"] = str(tmp / "config")
    env["VOICEGUIDE_ROUTINES_DIR"] = str(tmp / "routines")
    env["VOICEGUIDE_DATA_DIR"] = str(tmp / "data")
    env.pop("VOICEGUIDE_DEBUG", None)
    return env


def run(cmd: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=kw.pop("timeout", 300), **kw)
    if proc.returncode != 0:
        raise SystemExit(f"docs_pictures: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll(what: str, check, timeout: float = 90.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise SystemExit(f"docs_pictures: timed out waiting for {what}")


# ------------------------------------------------------------------ the floor view, from tmux


FLOOR_ROUTINE = "two-minute-reset"
FLOOR_STEP = "2"  # the seated figure four: a hold with a cue at its half and a countdown


def floor_view(env: dict, tmp: Path) -> None:
    """The real `voiceguide play` at 80x24, captured with its colours while the half-way cue is spoken."""
    if shutil.which("tmux") is None:
        raise SystemExit("docs_pictures: the floor view needs tmux (apt-get install tmux)")
    from rich.console import Console
    from rich.text import Text

    run(voiceguide("plan", FLOOR_ROUTINE, "--engine", "espeak"), env)  # fills the clip cache: a prompt start
    sock = tmp / "tmux.sock"
    tmux = ["tmux", "-S", str(sock), "-f", "/dev/null"]
    cmd = " ".join(voiceguide("play", FLOOR_ROUTINE, "--from", FLOOR_STEP, "--engine", "espeak",
                              "--audio-backend", "null"))
    envs = [a for k in ("PYTHONPATH", "VOICEGUIDE_CACHE_DIR", "VOICEGUIDE_CONFIG_DIR", "VOICEGUIDE_ROUTINES_DIR",
                         "VOICEGUIDE_DATA_DIR") for a in ("-e", f"{k}={env[k]}")]
    subprocess.run([*tmux, "new-session", "-d", "-x", "80", "-y", "24", *envs, "-s", "floor",
                    f"env TERM=xterm-256color COLORTERM=truecolor {cmd}"], check=True, env=env, timeout=30)
    try:
        def screen(colour: bool = False) -> str:
            args = ["capture-pane", "-p", "-t", "floor"] + (["-e"] if colour else [])
            return subprocess.run([*tmux, *args], capture_output=True, text=True, timeout=10).stdout

        # the half-way cue spoken during the hold of the right side: the view at its fullest
        poll("the floor view during a hold", lambda: "hold:" in screen() and "sink a little" in screen(), 120, 0.05)
        ansi = screen(colour=True)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, timeout=20)
    # one Text for the whole screen: tmux does not repeat a style at the start of a line it continues on
    screen_text = Text.from_ansi("\n".join(ansi.rstrip("\n").split("\n")[:24]))
    console = Console(record=True, width=80, height=24, force_terminal=True, color_system="truecolor",
                      file=open(os.devnull, "w"))
    console.print(screen_text, no_wrap=True, overflow="crop")
    svg = console.export_svg(title="voiceguide play two-minute-reset (80x24)", font_aspect_ratio=0.61)
    svg = _local_fonts(svg)
    (OUT / "floor-view.svg").write_text(svg, encoding="utf-8")


def _local_fonts(svg: str) -> str:
    """rich's SVG loads Fira Code from a CDN; the site must not fetch anything, so use local monospace."""
    svg = re.sub(r"@font-face\s*\{[^}]*\}\s*", "", svg)
    return re.sub(r'font-family:\s*Fira Code[^;"]*', "font-family: 'DejaVu Sans Mono', monospace", svg)


# ------------------------------------------------------------------ pages in headless Chromium


def _browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("docs_pictures: needs playwright (pip install -e '.[web-test]')") from None
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"docs_pictures: needs {CHROMIUM} (apt-get install chromium)")
    return sync_playwright


def _phone_page(browser):
    return browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)


def remote_page(env: dict, tmp: Path) -> None:
    """`play --remote` without a terminal starts at once; shot at phone size while a hold counts down."""
    sync_playwright = _browser()
    port = free_port()
    run(voiceguide("plan", FLOOR_ROUTINE, "--engine", "espeak"), env)
    proc = subprocess.Popen(
        voiceguide("play", FLOOR_ROUTINE, "--from", FLOOR_STEP, "--engine", "espeak", "--audio-backend", "null",
                   "--remote", "--host", "127.0.0.1", "--port", str(port)),
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        poll("the remote's port", lambda: _listening(port), 60)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = _phone_page(browser)
                page.goto(f"http://127.0.0.1:{port}/")
                poll("a hold on the remote", lambda: "sink a little" in (page.text_content("#r-caption") or ""), 90)
                page.screenshot(path=str(OUT / "remote-page.png"))
            finally:
                browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def phone_page(env: dict, tmp: Path) -> None:
    """`voiceguide serve` of a folder with one render, its session open, at phone size."""
    sync_playwright = _browser()
    folder = _rendered(env, tmp)
    port = free_port()
    proc = subprocess.Popen(voiceguide("serve", str(folder), "--host", "127.0.0.1", "--port", str(port)),
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        poll("serve's port", lambda: _listening(port), 60)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = _phone_page(browser)
                page.goto(f"http://127.0.0.1:{port}/#/{LOUD_ROUTINE}")
                page.wait_for_selector("#steps .step", timeout=30_000)
                page.wait_for_timeout(500)  # the timeline picture and the cover
                page.screenshot(path=str(OUT / "phone-page.png"))
            finally:
                browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# ------------------------------------------------------------------ plan --svg


def plan_picture(env: dict, tmp: Path) -> None:
    run(voiceguide("plan", "daily-five", "--engine", "espeak", "--svg", str(OUT / "plan-daily-five.svg")), env)


# ------------------------------------------------------------------ loudness over time


LOUD_ROUTINE = "daily-five"
_rendered_folder: list[Path] = []


def _rendered(env: dict, tmp: Path) -> Path:
    if not _rendered_folder:
        folder = tmp / "output"
        run(voiceguide("render", LOUD_ROUTINE, "--engine", "espeak", "-o", str(folder)), env, timeout=900)
        _rendered_folder.append(folder)
    return _rendered_folder[0]


_EBUR = re.compile(r"t:\s*([\d.]+)\s+TARGET:.*?M:\s*(-?[\d.]+|-inf|nan)\s+S:\s*(-?[\d.]+|-inf|nan)")


def loudness(env: dict, tmp: Path) -> None:
    folder = _rendered(env, tmp)
    audio = folder / f"{LOUD_ROUTINE}.mp3"
    timeline = json.loads((folder / f"{LOUD_ROUTINE}.json").read_text(encoding="utf-8"))
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(audio), "-af", "ebur128=peak=true",
                           "-f", "null", "-"], capture_output=True, text=True, timeout=300)
    points = [(float(t), float(m), float(s)) for t, m, s in _EBUR.findall(proc.stderr)]
    summary = proc.stderr[proc.stderr.rfind("Summary:"):]
    integrated = float(re.search(r"I:\s*(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s*(-?[\d.]+) dBFS", summary).group(1))
    svg = loudness_svg(points, timeline, integrated, peak)
    (OUT / "loudness.svg").write_text(svg, encoding="utf-8")


def loudness_svg(points, timeline: dict, integrated: float, peak: float) -> str:
    """Short-term loudness (3 s) as a line, momentary (0.4 s) as a faint one, chapters as bands."""
    duration = float(timeline["duration"])
    chapters = timeline["chapters"]
    W, left, right, top, plot_h = 960, 56, 16, 44, 260
    lo, hi = -50.0, -5.0
    plot_w = W - left - right
    rows = (len(chapters) + 1) // 2
    H = top + plot_h + 40 + rows * 18 + 12

    def x(t: float) -> float:
        return left + plot_w * min(max(t, 0.0), duration) / duration

    def y(v: float) -> float:
        v = min(max(v, lo), hi)
        return top + plot_h * (hi - v) / (hi - lo)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
           f'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
           f'<title>Loudness of {html.escape(timeline["title"])} over time, with its chapters</title>',
           f'<rect width="{W}" height="{H}" fill="#ffffff"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">{html.escape(timeline["title"])}: '
           f'loudness over time (espeak-ng render, as ffmpeg ebur128 measures the MP3)</text>',
           f'<text x="{left}" y="36" fill="#555">integrated {integrated:.1f} LUFS · true peak {peak:.1f} dBFS · '
           f'dark line: short-term (3 s) · light: momentary (0.4 s) · dashed: -16 LUFS target</text>']
    for i, ch in enumerate(chapters):  # bands, numbered
        start = float(ch["start"])
        end = float(chapters[i + 1]["start"]) if i + 1 < len(chapters) else duration
        fill = "#eef3fb" if i % 2 == 0 else "#ffffff"
        out.append(f'<rect x="{x(start):.1f}" y="{top}" width="{max(0.5, x(end) - x(start)):.1f}" '
                   f'height="{plot_h}" fill="{fill}"/>')
        out.append(f'<line x1="{x(start):.1f}" y1="{top}" x2="{x(start):.1f}" y2="{top + plot_h}" stroke="#9db3d6"/>')
        out.append(f'<text x="{x(start) + 3:.1f}" y="{top + 13}" fill="#37598f" font-size="11">{i + 1}</text>')
    for v in range(-50, -4, 5):  # grid and y labels
        out.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{W - right}" y2="{y(v):.1f}" stroke="#e2e2e2"/>')
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#555">{v}</text>')
    out.append(f'<text x="14" y="{top + plot_h / 2:.0f}" transform="rotate(-90 14 {top + plot_h / 2:.0f})" '
               f'text-anchor="middle" fill="#555">LUFS</text>')
    step = 60 if duration <= 900 else 300
    for t in range(0, int(duration) + 1, step):  # x labels, minutes
        out.append(f'<line x1="{x(t):.1f}" y1="{top + plot_h}" x2="{x(t):.1f}" y2="{top + plot_h + 4}" stroke="#555"/>')
        out.append(f'<text x="{x(t):.1f}" y="{top + plot_h + 17}" text-anchor="middle" fill="#555">'
                   f'{t // 60}:{t % 60:02d}</text>')
    out.append(f'<line x1="{left}" y1="{y(-16):.1f}" x2="{W - right}" y2="{y(-16):.1f}" stroke="#c0392b" '
               f'stroke-dasharray="5 4"/>')

    def path(values) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{x(t):.1f},{y(v):.1f}" for i, (t, v) in enumerate(values))

    # ebur128 stamps each value at the end of its window; floors below the plot are drawn at its bottom
    momentary = [(t - 0.2, m if m == m else lo) for t, m, _ in points]
    short = [(t - 1.5, s if s == s else lo) for t, _, s in points]
    out.append(f'<path d="{path(momentary)}" fill="none" stroke="#9bb7e0" stroke-width="0.7"/>')
    out.append(f'<path d="{path(short)}" fill="none" stroke="#1f4e96" stroke-width="1.6"/>')
    out.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#555"/>')
    legend_top = top + plot_h + 38
    for i, ch in enumerate(chapters):
        col, row = divmod(i, rows)
        start = float(ch["start"])
        label = f'{i + 1}. {int(start) // 60}:{int(start) % 60:02d} {ch["title"]}'
        out.append(f'<text x="{left + col * plot_w / 2:.0f}" y="{legend_top + row * 18}" fill="#333">'
                   f'{html.escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------


MAKERS = {"floor": floor_view, "remote": remote_page, "phone": phone_page, "plan": plan_picture, "loudness": loudness}


def main(argv: list[str]) -> int:
    wanted = argv or list(MAKERS)
    unknown = [w for w in wanted if w not in MAKERS]
    if unknown:
        print(f"unknown picture(s): {', '.join(unknown)}; choose from {', '.join(MAKERS)}", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="docs-pictures-") as tmp_name:
        tmp = Path(tmp_name)
        env = environment(tmp)
        for name in wanted:
            started = time.monotonic()
            MAKERS[name](env, tmp)
            say(f"{name}: {time.monotonic() - started:.1f} s")
    missing = [p for p in PICTURES if not (OUT / p).is_file()]
    if missing:
        say(f"still missing: {', '.join(missing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
