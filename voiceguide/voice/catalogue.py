"""Piper's voice catalogue: which natural voices exist, in which language, and their exact files.

Piper publishes `voices.json` beside its voices (rhasspy/piper-voices): per voice key
(`en_GB-alba-medium`) the dataset, language, quality, speaker count and every file with its size
and MD5. A trimmed snapshot of it ships in data/piper-voices.json so that voices can be listed,
chosen by language and recommended offline; download.py fetches the live one before installing,
since that is what the files on the server are checked against. Licences and genders come from
voicefacts (the catalogue has neither). No piper import: this is plain data.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass
from importlib import resources

from ..errors import VoiceguideError
from .voicefacts import gender_of, licence_of

SNAPSHOT = "data/piper-voices.json"
QUALITIES = ("x_low", "low", "medium", "high")
_MD5 = re.compile(r"[0-9a-f]{32}")

# the voice voiceguide suggests per language family: single speaker, medium quality, natural,
# a permissive or at least not known non-commercial licence (en: the one the [neural] extra bundles)
RECOMMENDED = {
    "en": "en_US-joe-medium",
    "de": "de_DE-thorsten-medium",
    "fr": "fr_FR-siwis-medium",
    "es": "es_MX-ald-medium",
    "it": "it_IT-paola-medium",
    "nl": "nl_NL-ronnie-medium",
    "pt": "pt_BR-faber-medium",
}


class CatalogueError(VoiceguideError):
    """A voice catalogue that cannot be read, or a voice it does not have."""


@dataclass(frozen=True)
class CatalogueFile:
    path: str  # relative to the voices repository, upstream layout (en/en_GB/alba/medium/...)
    size: int
    md5: str = ""  # Piper's catalogue gives MD5s
    sha256: str = ""  # a catalogue shipped in this package pins SHA-256s (Kokoro's voices); checked first

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class CatalogueVoice:
    key: str
    name: str
    language: str  # "en-gb"
    family: str  # "en"
    language_name: str
    quality: str
    gender: str
    licence: str
    non_commercial: bool
    files: tuple[CatalogueFile, ...]
    speakers: int = 1

    def _file(self, suffix: str) -> CatalogueFile:
        return next(f for f in self.files if f.path.endswith(suffix))

    @property
    def model(self) -> CatalogueFile:
        return self._file(".onnx")

    @property
    def config(self) -> CatalogueFile:
        return self._file(".onnx.json")

    @property
    def size(self) -> int:
        return self.model.size + self.config.size


def _text(entry: dict, field: str, key: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value:
        raise CatalogueError(f"voice {key}: {field!r} is missing or not a string")
    return value


def _files(entry: dict, key: str) -> tuple[CatalogueFile, ...]:
    files = entry.get("files")
    if not isinstance(files, dict):
        raise CatalogueError(f"voice {key}: 'files' is missing or not an object")
    out = []
    for path, facts in files.items():
        if not isinstance(facts, dict):
            raise CatalogueError(f"voice {key}: file {path} has no size and checksum")
        size, md5 = facts.get("size_bytes"), facts.get("md5_digest")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise CatalogueError(f"voice {key}: file {path} has no valid size_bytes")
        if not isinstance(md5, str) or not _MD5.fullmatch(md5):
            raise CatalogueError(f"voice {key}: file {path} has no valid md5_digest")
        if not path or path.startswith("/") or ".." in path.split("/") or "\\" in path:
            raise CatalogueError(f"voice {key}: file path {path!r} is not a relative path")
        out.append(CatalogueFile(path, size, md5))
    for suffix in (".onnx", ".onnx.json"):
        if sum(f.path.endswith(suffix) for f in out) != 1:
            raise CatalogueError(f"voice {key}: needs exactly one {suffix} file")
    return tuple(out)


def _voice(key: str, entry: object) -> CatalogueVoice:
    if not isinstance(entry, dict):
        raise CatalogueError(f"voice {key}: not an object")
    if entry.get("key", key) != key:
        raise CatalogueError(f"voice {key}: its entry says key {entry.get('key')!r}")
    name = _text(entry, "name", key)
    lang = entry.get("language")
    if not isinstance(lang, dict):
        raise CatalogueError(f"voice {key}: 'language' is missing or not an object")
    code = _text(lang, "code", key)
    family = str(lang.get("family") or code.split("_")[0])
    quality = _text(entry, "quality", key)
    speakers = entry.get("num_speakers", 1)
    if isinstance(speakers, bool) or not isinstance(speakers, int) or speakers < 1:
        raise CatalogueError(f"voice {key}: num_speakers is not a positive number")
    licence = licence_of(name)
    return CatalogueVoice(
        key=key,
        name=name,
        language=code.replace("_", "-").lower(),
        family=family.lower(),
        language_name=str(lang.get("name_english") or code),
        quality=quality,
        gender=gender_of(name, speakers),
        licence=licence.text,
        non_commercial=licence.non_commercial,
        files=_files(entry, key),
        speakers=speakers,
    )


def parse_catalogue(data: bytes) -> dict[str, CatalogueVoice]:
    """Voices by key, from Piper's voices.json or from our snapshot of it ({"source", "voices"})."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CatalogueError(f"not a voice catalogue: the JSON does not parse ({exc})") from None
    if isinstance(doc, dict) and isinstance(doc.get("voices"), dict) and "source" in doc:
        doc = doc["voices"]
    if not isinstance(doc, dict) or not doc:
        raise CatalogueError("not a voice catalogue: expected an object of voices by key")
    return {key: _voice(key, entry) for key, entry in doc.items()}


@functools.cache
def shipped_catalogue() -> dict[str, CatalogueVoice]:
    """The snapshot that ships with voiceguide (see the file's "source" for where and when it was taken)."""
    return parse_catalogue(resources.files(__package__).joinpath(SNAPSHOT).read_bytes())


def _norm(language: str) -> str:
    return language.strip().replace("_", "-").lower()


def voices_for(language: str | None, catalogue: dict[str, CatalogueVoice]) -> list[CatalogueVoice]:
    """The voices of a language, by key: "de" is every German voice, "en-gb" only British English."""
    if not language:
        return sorted(catalogue.values(), key=lambda v: v.key)
    lang = _norm(language)
    field = "language" if "-" in lang else "family"
    return sorted((v for v in catalogue.values() if getattr(v, field) == lang), key=lambda v: v.key)


def closest(key: str, catalogue: dict[str, CatalogueVoice]) -> list[str]:
    """Up to three keys of the catalogue that look like `key`, the likeliest first."""
    return difflib.get_close_matches(key, list(catalogue), n=3, cutoff=0.5)


def lookup(key: str, catalogue: dict[str, CatalogueVoice]) -> CatalogueVoice:
    if key in catalogue:
        return catalogue[key]
    folded = {k.lower(): v for k, v in catalogue.items()}
    if key.lower() in folded:
        return folded[key.lower()]
    close = closest(key, catalogue)
    if close:
        raise CatalogueError(f"unknown voice {key}; closest: {', '.join(close)}")
    raise CatalogueError(f"unknown voice {key}; the catalogue has {len(catalogue)} voices (see: voiceguide voices)")


def _rank(v: CatalogueVoice) -> tuple:
    quality = QUALITIES.index(v.quality) if v.quality in QUALITIES else -1
    return (v.speakers != 1, v.non_commercial, v.licence == "unknown", abs(quality - 2), v.key)


def recommended(language: str, catalogue: dict[str, CatalogueVoice] | None = None) -> str | None:
    """The voice to suggest for a language ("de", "en-gb"), or None when Piper has none.

    A family gets its RECOMMENDED voice; a region gets that voice when it is of the region, else
    the best of the region's voices: single speaker, not non-commercial, known licence, medium."""
    catalogue = shipped_catalogue() if catalogue is None else catalogue
    lang = _norm(language)
    pick = RECOMMENDED.get(lang.split("-")[0])
    if pick in catalogue and (catalogue[pick].language == lang or catalogue[pick].family == lang):
        return pick
    found = voices_for(lang, catalogue)
    return min(found, key=_rank).key if found else None
