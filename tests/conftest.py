import shutil
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceguide.plan.planner import plan  # noqa: E402
from voiceguide.routine import parse_routine  # noqa: E402
from voiceguide.routine.settings import resolve  # noqa: E402

pytest_plugins = ("listentools",)  # the listening tests' fixtures (voices, the recogniser)


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


@pytest.fixture(scope="module")
def pulse(tmp_path_factory):
    """A private PulseAudio server for the module's live sessions (see tests/livetools.py)."""
    from livetools import MISSING_TOOLS, TOOLS, Pulse

    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(MISSING_TOOLS.format(missing=", ".join(missing)), pytrace=False)
    server = Pulse(tmp_path_factory.mktemp("pulse"))
    yield server
    server.close()


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One clip cache for the test routines (shared by `plan --json`, `play` and the reference clips)."""
    return tmp_path_factory.mktemp("live-clips")
