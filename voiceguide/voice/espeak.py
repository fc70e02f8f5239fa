"""espeak-ng called directly: one process per utterance, the text on stdin (so narration is never
taken as an option), deterministic output."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cached_property

import numpy as np

from .base import GENDERS, Engine, VoiceError, VoiceInfo, parse_wav_bytes, unknown_voice

ESPEAK_MIN_WPM = 80  # espeak-ng speaks no slower than this; slower speech gets longer gaps between words


class Espeak(Engine):
    name = "espeak"

    def __init__(self, binary: str | None = None):
        found = binary or shutil.which("espeak-ng") or shutil.which("espeak")
        if found is None:
            raise VoiceError(
                "espeak-ng was not found; install it (Debian/Ubuntu: sudo apt-get install espeak-ng; "
                "macOS: brew install espeak-ng) or choose --engine pyttsx3"
            )
        self.binary = found

    def _run(self, args: list[str], text: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(
                [self.binary, *args],
                input=text.encode("utf-8") if text is not None else None,
                capture_output=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise VoiceError(f"espeak-ng did not finish within {timeout:g}s") from None
        except OSError as exc:
            raise VoiceError(f"cannot run espeak-ng: {exc.strerror or exc}") from None

    @cached_property
    def _version(self) -> str:
        out = self._run(["--version"]).stdout.decode("utf-8", "replace")
        m = re.search(r"text-to-speech:\s*(\S+)", out)
        return f"espeak-ng {m.group(1) if m else out.strip()[:40]}"

    def version(self) -> str:
        return self._version

    @cached_property
    def _voice_table(self) -> list[VoiceInfo]:
        out = self._run(["--voices"]).stdout.decode("utf-8", "replace").splitlines()
        voices = []
        for line in out[1:]:
            cols = line.split()
            if len(cols) < 5 or cols[4].startswith("mb/"):
                continue  # mbrola voices need the separate mbrola program
            gender = {"M": "male", "F": "female"}.get(cols[2].split("/")[-1], "")
            voices.append(VoiceInfo(cols[1], cols[3].replace("_", " "), cols[1], gender, self.name))
        return voices

    @cached_property
    def _variants(self) -> dict[str, str]:
        out = self._run(["--voices=variant"]).stdout.decode("utf-8", "replace").splitlines()
        variants = {}
        for line in out[1:]:
            cols = line.split()
            if len(cols) >= 5 and cols[4].startswith("!v/"):
                variants[cols[4][3:].lower()] = cols[4][3:]
                variants[cols[3].lower()] = cols[4][3:]
        return variants

    def voices(self) -> list[VoiceInfo]:
        return list(self._voice_table)

    def resolve_voice(self, wanted: str | None, language: str) -> str:
        """An espeak-ng voice argument (`en-us`, `en-us+f3`) from an id, a name, a language or a variant."""
        table = self._voice_table
        if not wanted:
            lang = (language or "en").lower()
            wanted = "en-us" if lang == "en" else lang
        wanted = wanted.strip()
        if wanted.startswith("-") or not re.fullmatch(r"[\w().+/ -]+", wanted):
            raise VoiceError(f"{wanted!r} is not a voice name")
        gender = GENDERS.get(wanted.lower())
        if gender:  # "female" / "male": the language's voice with a variant of that gender
            lang = (language or "en").lower()
            return self.resolve_voice(f"{'en-us' if lang == 'en' else lang}+{gender}", language)
        base, _, variant = wanted.partition("+")
        key = base.strip().lower().replace("_", " ")
        match = None
        for v in table:
            if key in (v.id.lower(), v.name.lower()):
                match = v.id
                break
        if match is None:
            # a bare language such as "de" or "en-gb": the best voice for it
            langs = [v.id for v in table if v.id.lower().startswith(key + "-") or v.id.lower() == key]
            match = langs[0] if langs else None
        if match is None:
            raise unknown_voice(wanted, [v.id for v in table] + [v.name for v in table], "espeak")
        if variant:
            real = self._variants.get(variant.strip().lower())
            if real is None:
                raise unknown_voice(variant, sorted(set(self._variants.values())), "espeak (variant)")
            return f"{match}+{real}"
        return match

    def synthesize(self, text: str, voice: str, wpm: float) -> tuple[np.ndarray, int]:
        speed = max(ESPEAK_MIN_WPM, int(round(wpm)))
        args = ["-v", voice, "-s", str(speed), "-a", "100", "-z", "--stdout", "--stdin"]
        if wpm < ESPEAK_MIN_WPM:
            # slower than the engine goes: lengthen the gap between words (units of 10 ms)
            gap = 60.0 / wpm - 60.0 / ESPEAK_MIN_WPM
            args[0:0] = ["-g", str(int(round(gap * 100)))]
        proc = self._run(args, text)
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip()
            raise VoiceError(f"espeak-ng failed for voice {voice!r}: {err or f'exit {proc.returncode}'}")
        return parse_wav_bytes(proc.stdout)
