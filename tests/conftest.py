"""The suite's fixtures. The helpers the tests share are in testsupport/ (at the repository's root,
on the path through `pythonpath` in pyproject.toml); its listening fixtures are loaded as a plugin."""

import os
from pathlib import Path

import pytest

from testsupport import ROOT

pytest_plugins = (
    "testsupport.listen",  # the listening tests' fixtures (voices, the recogniser)
    "testsupport.neural",  # the neural voice's: private folders, the engine, its bundled voice
)


@pytest.fixture(scope="session", autouse=True)
def private_cache_folder(tmp_path_factory):
    """A cache folder of the suite's own for whatever names none, in this process and in the CLI's
    child processes alike (they inherit the environment): so the suite never writes into the user's
    ~/.cache/voiceguide, where an in-process Kokoro load would keep its 92 MB rewritten model
    (kokoroprepared). One for the whole session, as a person has one. A folder the developer names
    in VOICEGUIDE_CACHE_DIR is kept."""
    if os.environ.get("VOICEGUIDE_CACHE_DIR"):
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VOICEGUIDE_CACHE_DIR", str(tmp_path_factory.mktemp("cache-folder")))
        yield


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="module")
def pulse(tmp_path_factory):
    """A private PulseAudio server for the module's live sessions (testsupport/pulse.py)."""
    from testsupport.pulse import MISSING_TOOLS, Pulse, missing_tools

    missing = missing_tools()
    if missing:
        pytest.fail(MISSING_TOOLS.format(missing=", ".join(missing)), pytrace=False)
    server = Pulse(tmp_path_factory.mktemp("pulse"))
    yield server
    server.close()


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One clip cache for the test routines (shared by `plan --json`, `play` and the reference clips)."""
    return tmp_path_factory.mktemp("live-clips")


@pytest.fixture(scope="session")
def shared_clips(tmp_path_factory) -> Path:
    """One clip cache for the tests that render shipped routines to check what is done with the clips
    (the files, their tags and loudness, failures mid-render, the engine chosen), not how a cold cache
    fills: a clip's key holds its engine, voice, model digest, delivery and text, so a clip made by one
    test is the very clip another would make, as a person's one cache serves all their renders.
    Tests of the cache itself, of a cold start or of two renders filling it at once keep their own."""
    return tmp_path_factory.mktemp("shared-clips")


@pytest.fixture(scope="session")
def serve_rendered(tmp_path_factory):
    """Two real renders and the bait beside them, for the tests of `voiceguide serve`
    (testsupport/serve.py: render_library). Once per session, not per module: the render is the slow
    part, four serve modules read it, and none leaves it changed."""
    from testsupport.serve import render_library

    return render_library(tmp_path_factory.mktemp("serve"))
