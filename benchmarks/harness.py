"""The benchmarks' harness: child processes timed from outside (wall clock; CPU and peak RSS from
os.wait4), their environment, voiceguide's render and its floor (voiceguide's own encoder command),
and small formatting helpers. Used by bench.py, bench_voice.py and bench_listen.py."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RATE = 22050  # voiceguide.dsp.RATE (bench.py checks it at start-up)
BITRATE = 64


def child_env(cache: Path | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if cache is not None:
        env["VOICEGUIDE_CACHE_DIR"] = str(cache)
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    return env


def run_child(argv: list[str], env: dict | None = None, what: str = "") -> dict:
    """Run a child to completion: wall seconds, CPU seconds (it and its reaped children, e.g. ffmpeg),
    peak RSS in MB (the largest of it and its children) from os.wait4, and its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=REPO)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"{what or argv[0]} failed (exit {proc.returncode}):\n{stderr[-2000:]}")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024.0, "stdout": stdout}


def vg_render(routine: Path, out_dir: Path, cache: Path) -> dict:
    argv = [sys.executable, "-m", "voiceguide", "render", str(routine), "-o", str(out_dir), "--engine", "espeak",
            "--bitrate", str(BITRATE)]
    r = run_child(argv, child_env(cache), "voiceguide render")
    r["mp3"] = str(out_dir / f"{routine.stem}.mp3")
    return r


def floor_encode_argv(raw: Path, out: Path) -> list[str]:
    """THE FLOOR: voiceguide's own ffmpeg command line (whatever sink.Mp3Encoder runs now: s16le 22050 Hz
    mono in, resampled to 48 kHz, libmp3lame 64k, Xing header, to a seekable file), reading `raw` from disk
    instead of the pipe. voiceguide's MP3 must be 48 kHz (ffprobe reports an MP3's duration as whole frames
    with the encoder delay: +50-76 ms at 22.05 kHz, +23-47 ms at 48 kHz, and the plan allows 50 ms), so this
    encode is the one cost a render cannot avoid."""
    from voiceguide.export.transcripts import Mp3Encoder

    enc = Mp3Encoder(out, BITRATE)
    argv = [str(a) for a in enc.proc.args]
    enc.abort()
    argv[argv.index("pipe:0")] = str(raw)
    argv[-1] = str(out)
    return argv


def floor_encode(argv: list[str]) -> dict:
    return run_child(argv, what="ffmpeg encode (voiceguide's command line)")


def plain_encode(raw: Path, out: Path) -> dict:
    """Context only (not the floor): a plain 22.05 kHz MP3, which voiceguide cannot ship."""
    return run_child(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "s16le", "-ar", str(RATE), "-ac", "1",
                      "-i", str(raw), "-c:a", "libmp3lame", "-b:a", f"{BITRATE}k", str(out)], what="ffmpeg encode")


def decode_to_raw(mp3: str, raw: Path) -> float:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", mp3, "-f", "s16le", "-ac", "1", "-ar", str(RATE),
                    str(raw)], check=True)
    return raw.stat().st_size / 2 / RATE


def stage_child(stage: str, *args: str, cache: Path) -> dict:
    """Run one of stages.py's in-process measurements in a child; its last stdout line is its JSON result."""
    r = run_child([sys.executable, str(HERE / "stages.py"), stage, *args], child_env(cache), stage)
    r["result"] = json.loads(r["stdout"].strip().splitlines()[-1])
    return r


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def fmt_clock(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def tool_version(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout.splitlines()[0].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"

