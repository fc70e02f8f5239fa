"""The real CLI in a child process: `python -m voiceguide ...` from this checkout, run to its end or
started in the background, and a render interrupted by a signal once it is writing its file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from testsupport import ROOT, wait_until


# Piper's bundled voice for every routine (two shipped ones name an espeak-ng voice, which Piper has
# not): the tests that render shipped routines with it share one clip cache (`shared_clips`), so
# they must ask for the same voice to find each other's clips.
PIPER = ("--engine", "piper", "--voice", "joe")


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "voiceguide", *map(str, args)]


def child_env(env: dict | None = None, extra: dict | None = None) -> dict:
    """`env` (the test's environment by default) with `extra` on top and this checkout first on
    PYTHONPATH, so that the child runs the code under test from any working folder."""
    out = dict(os.environ if env is None else env, **(extra or {}))
    rest = [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(ROOT)]
    out["PYTHONPATH"] = os.pathsep.join([str(ROOT), *rest])
    return out


def run(argv: list[str], *, cwd: Path = ROOT, env: dict | None = None, extra_env: dict | None = None,
        timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    """`argv` to its end, its output captured as text (encoding errors replaced)."""
    kw.setdefault("errors", "replace")
    return subprocess.run(argv, cwd=cwd, env=child_env(env, extra_env), capture_output=True, text=True,
                          timeout=timeout, **kw)


def voiceguide(*args: str, cwd: Path = ROOT, env: dict | None = None, extra_env: dict | None = None,
               timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    """`voiceguide ARGS` to its end (check the returncode yourself)."""
    return run(command(*args), cwd=cwd, env=env, extra_env=extra_env, timeout=timeout, **kw)


def start(*args: str, cwd: Path = ROOT, env: dict | None = None, extra_env: dict | None = None,
          **kw) -> subprocess.Popen:
    """`voiceguide ARGS` in the background, stdout and stderr as text pipes (stdin /dev/null)."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    return subprocess.Popen(command(*args), cwd=cwd, env=child_env(env, extra_env), **kw)


def interrupt_render(*args: str, out: Path, name: str, sig: int = signal.SIGTERM, env: dict | None = None,
                     timeout: float = 120) -> tuple[int, str]:
    """Start `voiceguide render ARGS` and send it `sig` once it is writing `name` into `out`: the moment
    its temporary file (`.NAME.*` beside the target) has bytes in it, that is, once the encoder has
    begun to write. Returns the exit code and stderr."""
    proc = start("render", *args, env=env)

    try:
        wait_until(lambda: _exists_sized(out, name), timeout, f"{name}'s temporary file to fill",
                   alive=lambda: proc.poll() is None)
    except AssertionError:
        proc.kill()
        _, err = proc.communicate(timeout=30)
        raise AssertionError(f"the render finished or failed before it could be interrupted: {err[-1500:]}")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def _exists_sized(out: Path, name: str) -> bool:
    for p in out.glob(f".{name}.*"):
        try:
            if p.stat().st_size > 0:
                return True
        except FileNotFoundError:  # renamed into place or removed between the listing and the look
            pass
    return False


def processes_mentioning(path: Path) -> str:
    """The processes whose command line names `path` (say, an ffmpeg left behind): '' when none."""
    return subprocess.run(["pgrep", "-af", str(path)], capture_output=True, text=True).stdout


def plan_json(routine: Path, *args: str, env: dict | None = None, extra_env: dict | None = None,
              timeout: float = 180) -> dict:
    """`voiceguide plan ROUTINE --json ARGS`, parsed (the command must succeed)."""
    proc = voiceguide("plan", str(routine), "--json", *args, env=env, extra_env=extra_env, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
