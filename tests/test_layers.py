"""The layers of `voiceguide/__init__.py`, as import-linter checks them (the contracts are in pyproject.toml).

The first test is the check itself; the others copy the package, write one forbidden import into the
copy and show that the check then fails, naming the contract that was broken: a contract that
cannot fail would prove nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testsupport import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """`lint-imports` on the package and pyproject.toml under `root` (the contracts are read from there)."""
    if not LINT_IMPORTS.exists():
        pytest.fail(f"{LINT_IMPORTS} is missing: install the test extra (pip install -e '.[test]')")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_imports_keep_the_layers():
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def copy_of_the_package(tmp_path: Path) -> Path:
    """The package's Python files and pyproject.toml, nothing else (no voice data, no sounds)."""
    for path in (ROOT / "voiceguide").rglob("*.py"):
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


LEAKS = [
    # (module that gets the leak, the import written into it, the contract that must break)
    ("export/render.py", "from ..live.player import Player", "The export side and the live side do not know each other"),
    ("live/player.py", "from ..export.render import export", "The export side and the live side do not know each other"),
    ("web/remote.py", "from ..live.floor.view import FloorView", "does not know the terminal view"),
    ("plan/timeline.py", "from ..voice import Voice", "The pipeline's layers"),
    ("routine/settings.py", "from ..plan.timeline import Timeline", "The pipeline's layers"),
    ("text.py", "from .errors import VoiceguideError", "The pipeline's layers"),
    ("live/player.py", "from .view import play_session", "Inside live"),
]


@pytest.mark.parametrize(("module", "leak", "contract"), LEAKS, ids=[f"{m}:{c[:20]}" for m, _, c in LEAKS])
def test_a_leak_breaks_its_contract(tmp_path, module, leak, contract):
    root = copy_of_the_package(tmp_path)
    path = root / "voiceguide" / module
    path.write_text(path.read_text() + f"\n{leak}  # a deliberate leak\n")
    proc = lint_imports(root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    broken = [line for line in proc.stdout.splitlines() if "BROKEN" in line]
    assert broken, proc.stdout
    assert contract.split(" ")[0] in proc.stdout and "BROKEN" in proc.stdout
    report = proc.stdout.split("Broken contracts", 1)[-1]
    assert contract in " ".join(report.split()), proc.stdout  # the contract's name, as the report wraps it
