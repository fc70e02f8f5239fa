import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceguide.plan import plan  # noqa: E402
from voiceguide.script import parse_routine  # noqa: E402
from voiceguide.settings import resolve  # noqa: E402


def load_text(text: str, folder: Path | None = None):
    path = (folder or ROOT / "scripts") / "test-routine.yaml"
    return parse_routine(textwrap.dedent(text).lstrip("\n"), path=path, name="test.yaml")


def plan_text(text: str, **settings):
    routine = load_text(text)
    s = resolve(routine)
    if settings:
        from dataclasses import replace

        s = replace(s, **settings)
    return plan(routine, s)


@pytest.fixture
def root() -> Path:
    return ROOT
