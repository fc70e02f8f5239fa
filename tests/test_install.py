"""The install, proved as a new user meets it: build the wheel, install it into a fresh virtual environment
(no system site-packages, no neural extra), and from an empty folder run `list`, `render NAME` (read back
with ffprobe) and `play NAME` to a null sink of a private PulseAudio server.

Nothing of the source checkout is on the path of the installed program: it runs with PYTHONPATH unset,
from a folder of its own, with a home folder of its own (so its clip cache, config and routines start
empty). pip may fetch the dependencies from PyPI and keeps its own cache between runs.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from testsupport.audio import ffprobe
from testsupport import ROOT

pytestmark = pytest.mark.install

NAME = "two-minute-reset"  # the shortest shipped routine
# The formats `render NAME --format F` is proved with (issue 14 asks for mp3 and m4a): the test below reads
# each back with ffprobe (duration and chapters) the same way.
INSTALLED_FORMATS = ("mp3", "m4a")
LAST_STEP = "4"  # `play --from 4`: the last step and the outro, some fifteen seconds of real-time play


def _pip_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_NO_CACHE_DIR")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the installed `voiceguide`, an empty working folder, the environment to run it in)."""
    root = tmp_path_factory.mktemp("install")
    dist, venv, empty, home = root / "dist", root / "venv", root / "empty", root / "home"
    for folder in (empty, home):
        folder.mkdir()
    build = subprocess.run(  # hatchling (the build backend) comes with the test extra
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), str(ROOT)],
        env=_pip_env(), capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    wheels = list(dist.glob("voiceguide-*.whl"))
    assert len(wheels) == 1, wheels
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    python = venv / "bin" / "python"
    install = subprocess.run(  # pip from the test environment, installing into the new one (and its dependencies)
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheels[0])],
        env=_pip_env(), capture_output=True, text=True, timeout=900,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    found = subprocess.run([str(python), "-c", "import voiceguide, sys; print(voiceguide.__file__); print(sys.path)"],
                           capture_output=True, text=True, env={"PATH": os.environ["PATH"]}, cwd=empty, timeout=60)
    assert found.stdout.startswith(str(venv)), found.stdout  # the installed copy, not the checkout
    assert str(ROOT) not in found.stdout
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VOICEGUIDE_", "XDG_", "PULSE_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", COLUMNS="200")
    return venv / "bin" / "voiceguide", empty, env


def run(installed, *args, extra_env=None, timeout=600):
    program, empty, env = installed
    return subprocess.run([str(program), *args], cwd=empty, env=dict(env, **(extra_env or {})),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def test_list_from_an_empty_folder_shows_the_shipped_routines_by_name(installed):
    proc = run(installed, "list")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[1:] if line.strip()}
    shipped = sorted(p.stem for p in (ROOT / "scripts").glob("*.yaml"))
    assert all(name in rows and " shipped " in rows[name] for name in shipped), proc.stdout
    assert "site-packages" not in proc.stdout and "Two-minute reset" in rows[NAME]


@pytest.mark.parametrize("fmt", INSTALLED_FORMATS)
def test_render_by_name_from_an_empty_folder(installed, fmt):
    proc = run(installed, "render", NAME, "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    out = installed[1] / "output"
    assert proc.stdout.startswith(f"output/{NAME}.{fmt}")
    timeline = json.loads((out / f"{NAME}.json").read_text())
    probe = ffprobe(out / f"{NAME}.{fmt}")
    assert abs(float(probe["format"]["duration"]) - timeline["duration"]) < 0.05
    starts = [float(c["start_time"]) for c in probe["chapters"]]
    assert len(starts) == len(timeline["chapters"]) >= 4
    assert max(abs(a - c["start"]) for a, c in zip(starts, timeline["chapters"])) < 0.05
    assert [c["tags"]["title"] for c in probe["chapters"]] == [c["title"] for c in timeline["chapters"]]
    assert f"{len(starts)} chapters" in proc.stdout
    assert (out / f"{NAME}.srt").exists() and (out / f"{NAME}.lrc").exists()


def test_play_by_name_to_a_null_sink(installed, pulse, tmp_path):
    from testsupport.pulse import RATE, Recorder

    sink = pulse.new_sink()
    recorder = Recorder(pulse, sink, tmp_path / "play.wav")
    sound = {"PULSE_SERVER": pulse.env["PULSE_SERVER"], "XDG_RUNTIME_DIR": pulse.env["XDG_RUNTIME_DIR"],
             "PULSE_SINK": sink}
    try:
        proc = run(installed, "play", NAME, "--from", LAST_STEP, extra_env=sound, timeout=180)
    finally:
        audio = recorder.stop()
    assert proc.returncode == 0, proc.stderr
    assert "Shoulder rolls" in proc.stdout and "Traceback" not in proc.stderr
    assert audio.size > 5 * RATE and float(np.max(np.abs(audio))) > 0.05  # it was heard on the sink


def test_an_unknown_name_in_the_installed_program(installed):
    proc = run(installed, "render", "two-minute-rest")
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("voiceguide: no routine called two-minute-rest; closest: two-minute-reset "
                                   "(voiceguide list shows them all)")
    assert not (installed[1] / "output" / "two-minute-rest.mp3").exists()
