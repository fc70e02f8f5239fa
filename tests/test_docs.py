"""The documentation site (mkdocs.yml, docs/) and the README: a strict build, every page in the
navigation, the pictures present, and every `voiceguide` command they show run for real.

A fenced code block whose commands are not run here (a live session, a server, a download, the slow
natural voice, a deliberate mistake) is marked by the line before its fence:

    <!-- illustrative -->

Every other block's `voiceguide ...` lines run, in order, through bash in a fresh folder of their own
(with `scripts/` linked in, and a config file choosing espeak-ng so that speech is quick), and must
exit 0.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
ILLUSTRATIVE = "<!-- illustrative -->"
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w-]*)")
COMMAND = re.compile(r"^(?:\$\s+)?(voiceguide(?:\s.*)?)$")


def mkdocs(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run([sys.executable, "-m", "mkdocs", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def blocks(path: Path):
    """(line number, language, lines, illustrative) of each fenced code block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i].strip())
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(1), m.group(2), i
        before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        i += 1
        body = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        yield start + 1, lang, body, before == ILLUSTRATIVE


def shown_commands() -> tuple[list[tuple[str, tuple[str, ...]]], int]:
    """The blocks whose commands must run (where, commands), and how many commands are illustrative."""
    runnable, illustrative = [], 0
    for path in [ROOT / "README.md", *pages()]:
        for line_no, _lang, body, marked in blocks(path):
            commands = tuple(m.group(1) for line in body if (m := COMMAND.match(line.strip())))
            if not commands:
                continue
            if marked:
                illustrative += len(commands)
            else:
                runnable.append((f"{path.relative_to(ROOT)}:{line_no}", commands))
    return runnable, illustrative


# ------------------------------------------------------------------ the site


def test_the_site_builds_strictly_with_the_generated_parts(tmp_path):
    site = tmp_path / "site"
    proc = mkdocs("build", "--strict", "-d", str(site))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    commands = (site / "reference" / "commands" / "index.html").read_text(encoding="utf-8")
    for name in ("voiceguide render", "voiceguide play", "voiceguide config set", "--listen-sensitivity", "--jobs"):
        assert name in commands, f"the generated command reference lacks {name}"
    fields = (site / "routines" / "format" / "index.html").read_text(encoding="utf-8")
    assert "wait_fallback" in fields and "breath_cues" in fields and "countdown" in fields
    settings = (site / "reference" / "configuration" / "index.html").read_text(encoding="utf-8")
    assert "listen_sensitivity" in settings
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert "<!-- generated:" not in text, f"{html}: a generated part was left unfilled"
        assert not re.search(r'<(?:link|script)[^>]+(?:href|src)="https?://', text), f"{html} loads from elsewhere"


def test_every_page_is_in_the_nav():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def walk(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)
        elif isinstance(node, dict):
            for value in node.values():
                yield from walk(value)

    in_nav = list(walk(config["nav"]))
    on_disk = {str(p.relative_to(DOCS)) for p in pages()}
    assert sorted(set(in_nav) - on_disk) == [], "the nav names pages that do not exist"
    assert sorted(on_disk - set(in_nav)) == [], "pages missing from the nav"
    assert len(in_nav) == len(set(in_nav)), "a page is in the nav twice"


def _pictures() -> tuple[str, ...]:
    text = (ROOT / "tools" / "docs_pictures.py").read_text(encoding="utf-8")
    return tuple(re.findall(r'"([\w-]+\.(?:svg|png))"', re.search(r"^PICTURES = \((.*?)\)$", text, re.M | re.S)[1]))


def test_the_pictures_are_there_and_all_shown():
    pictures = _pictures()
    assert len(pictures) >= 5
    shown = "\n".join(p.read_text(encoding="utf-8") for p in pages())
    for name in pictures:
        assert (DOCS / "pictures" / name).is_file(), f"docs/pictures/{name}: run python tools/docs_pictures.py"
        assert f"pictures/{name}" in shown, f"docs/pictures/{name} is on no page"
    assert sorted(p.name for p in (DOCS / "pictures").iterdir()) == sorted(pictures)


def test_a_missing_picture_fails_the_build(tmp_path):
    """Both guards: the hook's list of pictures, and strict mode's check of every image link."""
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("docs_dir: docs", f"docs_dir: {docs}")
    config = config.replace("  - tools/docs_hooks.py", f"  - {ROOT / 'tools' / 'docs_hooks.py'}")
    (tmp_path / "mkdocs.yml").write_text(config, encoding="utf-8")

    (docs / "pictures" / "floor-view.svg").unlink()
    proc = mkdocs("build", "--strict", "-f", str(tmp_path / "mkdocs.yml"), "-d", str(tmp_path / "a"))
    assert proc.returncode != 0 and "floor-view.svg" in proc.stdout + proc.stderr

    shutil.copy(DOCS / "pictures" / "floor-view.svg", docs / "pictures" / "floor-view.svg")
    live = docs / "guides" / "live.md"
    live.write_text(live.read_text(encoding="utf-8").replace("floor-view.svg", "floor-gone.svg"), encoding="utf-8")
    proc = mkdocs("build", "--strict", "-f", str(tmp_path / "mkdocs.yml"), "-d", str(tmp_path / "b"))
    assert proc.returncode != 0 and "floor-gone.svg" in proc.stdout + proc.stderr


# ------------------------------------------------------------------ the README


def test_the_readme_is_short_and_keeps_the_two_dev_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    assert "./dev run" in text and "./dev test" in text
    for target in re.findall(r"\]\((docs/[^)#]+)", text):
        assert (ROOT / target).is_file(), f"README links to {target}, which does not exist"


# ------------------------------------------------------------------ every command shown


def test_every_command_shown_runs_or_is_marked_illustrative(tmp_path):
    runnable, illustrative = shown_commands()
    assert sum(len(c) for _, c in runnable) >= 30, "too few commands found: is the block parser broken?"
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "voiceguide").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m voiceguide "$@"\n')
    (shim / "voiceguide").chmod(0o755)
    cache = tmp_path / "cache"

    def run_block(index: int, where: str, commands: tuple[str, ...]) -> list[str]:
        folder = tmp_path / f"block{index}"
        (folder / "config").mkdir(parents=True)
        (folder / "config" / "config.toml").write_text('engine = "espeak"\n')
        (folder / "scripts").symlink_to(ROOT / "scripts")
        env = dict(os.environ)
        env.update(PATH=f"{shim}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(ROOT),
                   VOICEGUIDE_CONFIG_DIR=str(folder / "config"), VOICEGUIDE_CACHE_DIR=str(cache),
                   VOICEGUIDE_ROUTINES_DIR=str(folder / "routines"), VOICEGUIDE_DATA_DIR=str(folder / "data"))
        env.pop("VOICEGUIDE_DEBUG", None)
        problems = []
        for command in commands:
            proc = subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], cwd=folder, env=env,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
            if proc.returncode != 0:
                problems.append(f"{where}: `{command}` exited {proc.returncode}:\n{proc.stderr[-800:]}")
        return problems

    seen: dict[tuple[str, ...], str] = {}
    for where, commands in runnable:
        seen.setdefault(commands, where)  # the same block twice runs once
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda item: run_block(*item), [(i, w, c) for i, (c, w) in enumerate(seen.items())]))
    problems = [p for r in results for p in r]
    assert not problems, "\n\n".join(problems)
