"""`voiceguide doctor`: what works on this machine and what to install or fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    what: str
    ok: bool
    detail: str
    fix: str = ""
    needed: bool = True  # False: optional, a missing one does not make doctor fail


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (out.stdout or out.stderr).strip().splitlines()[0][:80]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


def _writable(folder: Path) -> tuple[bool, str]:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
        return True, str(folder)
    except OSError as exc:
        return False, f"{folder}: {exc.strerror or exc}"


def findings(output: Path = Path("output")) -> list[Finding]:
    from ..audiofile import ffmpeg_binary
    from ..errors import VoiceguideError
    from ..voice.registry import choose
    from ..voice.cache import default_cache_dir

    out: list[Finding] = []
    espeak = shutil.which("espeak-ng") or shutil.which("espeak")
    out.append(Finding(
        "espeak-ng (speech)", espeak is not None,
        _version([espeak, "--version"]) if espeak else "not found",
        "sudo apt-get install espeak-ng  (macOS: brew install espeak-ng)",
        needed=False,
    ))
    try:
        import pyttsx3  # noqa: F401

        from ..voice.pyttsx import Pyttsx3

        Pyttsx3()
        out.append(Finding("pyttsx3 (speech)", True, "starts", needed=False))
    except Exception as exc:  # any failure to start is the finding
        out.append(Finding("pyttsx3 (speech)", False, str(exc)[:120], "pip install pyttsx3 (Linux: also espeak-ng)", needed=False))
    try:
        picked = choose("auto", None, "en")  # what render and play pick, the natural voice first
        detail = f"{picked.engine.name} voice {picked.voice}: {picked.engine.version()}"
        out.append(Finding("speech engine (auto)", True, detail + (f"; {picked.note}" if picked.note else "")))
    except VoiceguideError as exc:
        out.append(Finding("speech engine (auto)", False, "none works", "install espeak-ng or pyttsx3: " + str(exc)[:80]))
    for tool in ("ffmpeg", "ffprobe"):
        try:
            path = ffmpeg_binary(tool)
            out.append(Finding(tool, True, f"{_version([path, '-version'])} ({path})"))
        except VoiceguideError:
            out.append(Finding(
                tool, False, "not found", "sudo apt-get install ffmpeg  (or pip install 'voiceguide[ffmpeg]')",
                needed=tool == "ffmpeg",
            ))
    out.append(_audio_device())
    ok, detail = _writable(default_cache_dir() / "clips")
    out.append(Finding("clip cache", ok, detail, "set VOICEGUIDE_CACHE_DIR to a writable folder"))
    ok, detail = _writable(output)
    out.append(Finding("output folder", ok, detail, "choose another with -o DIR"))
    return out


def _audio_device() -> Finding:
    try:
        import miniaudio
    except ImportError:
        return Finding("audio output (play)", False, "miniaudio missing", "pip install miniaudio", needed=False)
    try:
        device = miniaudio.PlaybackDevice(nchannels=1, sample_rate=22050, app_name="voiceguide-doctor")
        name = device.backend
        device.close()
        return Finding("audio output (play)", True, f"opens ({name})", needed=False)
    except Exception as exc:  # miniaudio raises its own error types
        server = " or start a sound server (PulseAudio/PipeWire)" if os.name == "posix" else ""
        return Finding(
            "audio output (play)", False, f"cannot open a device ({exc})",
            f"connect speakers{server}; `voiceguide render` works without one", needed=False,
        )
