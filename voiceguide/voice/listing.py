"""What `voiceguide voices` shows, as data: the rows of the downloadable-voice table and the
licence of an installed voice, so that the CLI only prints and the choices here can be tested
without a terminal.

The downloadable list comes from the catalogue snapshot shipped in the package, so it works
offline; "installed" means `--voice KEY` would find the voice (the same find_voices the engines
use), not that its checksums were verified: hashing every installed model just to print a table
would read hundreds of megabytes, and `voices --get` verifies them anyway before skipping a voice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import VoiceguideError
from .catalogue import QUALITIES, CatalogueVoice, shipped_catalogue, voices_for
from .voicefacts import UNKNOWN, Licence, licence_of

# a Piper catalogue key: language code, dataset, quality (en_GB-alba-medium, pt_PT-tugão-medium)
_KEY = re.compile(r"^[a-z]{2,3}_[A-Z]{2}-(?P<dataset>.+)-(?P<quality>" + "|".join(QUALITIES) + r")$")

GET_HINT = "voiceguide voices --get KEY"
NC_NOTE = "non-commercial (NC) voices are for personal use: do not use them for renders you publish commercially"
UNKNOWN_NOTE = "licence unknown: read the voice's MODEL_CARD before publishing renders"


@dataclass(frozen=True)
class AvailableVoice:
    """One row of `voices --available`: a downloadable voice and whether it is here already."""

    key: str
    language: str
    quality: str
    gender: str
    size: int  # bytes of the .onnx and .onnx.json together
    licence: str  # the dataset's, as its model card gives it; "unknown" when we could not read it
    non_commercial: bool
    installed: str  # "" (not installed), "user" (the voices folder) or "bundled" (a voice package)

    @property
    def size_mb(self) -> str:
        return f"{self.size / 1e6:.1f}"

    @property
    def installed_label(self) -> str:
        return {"": "no", "user": "yes"}.get(self.installed, self.installed)


def short_licence(text: str) -> str:
    """The licence without the URL voicefacts keeps beside some of them: it does not fit a table cell."""
    return re.sub(r"\s*\(https?://[^)]*\)", "", text).strip()


def available_rows(
    language: str | None, catalogue: Mapping[str, CatalogueVoice], installed: Mapping[str, str]
) -> list[AvailableVoice]:
    """The catalogue's voices of `language` (as catalogue.voices_for: "de" or "en-gb"), by key.

    `installed` maps an installed voice id (lower case) to where it is, "user" or "bundled"."""
    return [
        AvailableVoice(
            key=v.key,
            language=v.language,
            quality=v.quality,
            gender=v.gender,
            size=v.size,
            licence=short_licence(v.licence),
            non_commercial=v.non_commercial,
            installed=installed.get(v.key.lower(), ""),
        )
        for v in voices_for(language, dict(catalogue))
    ]


def available_summary(rows: list[AvailableVoice], language: str | None) -> list[str]:
    """The lines under the table: how many, how to get one, and what the licence flags mean."""
    where = f" for {language}" if language else ""
    here = sum(1 for r in rows if r.installed)
    lines = [f"{len(rows)} downloadable Piper voices{where}, {here} installed; get one with: {GET_HINT}"]
    nc = sum(1 for r in rows if r.non_commercial)
    if nc:
        lines.append(f"{nc} marked non-commercial: {NC_NOTE}")
    if any(r.licence == UNKNOWN for r in rows):
        lines.append(UNKNOWN_NOTE)
    return lines


def installed_ids(voices: Iterable) -> dict[str, str]:
    """{id (lower case): source} of find_voices' VoiceFiles, the shape available_rows takes."""
    return {v.id.lower(): v.source for v in voices}


def available_voices(language: str | None = None) -> list[AvailableVoice]:
    """The downloadable voices from the shipped snapshot, marked installed from the voices on disk.

    Raises VoiceguideError when the catalogue has no voice for the language, naming the ones it has."""
    from .piperfiles import find_voices

    catalogue = shipped_catalogue()
    rows = available_rows(language, catalogue, installed_ids(find_voices()))
    if not rows:
        families = ", ".join(sorted({v.family for v in catalogue.values()}))
        raise VoiceguideError(f"Piper has no voice for language {language!r}; it has: {families}")
    return rows


def kokoro_rows(language: str | None = None) -> list[AvailableVoice]:
    """`voices --available --engine kokoro`: every Kokoro voice voiceguide can speak, shipped or not
    (the catalogue in the package, so offline), marked "bundled", "yes" (downloaded) or "no"."""
    from .kokorofiles import LICENCE, catalogue, downloaded_folder

    folder = downloaded_folder()
    lang = (language or "").lower()
    return [
        AvailableVoice(key=v.id, language=v.language, quality="-", gender=v.gender, size=v.size, licence=LICENCE,
                       non_commercial=False,
                       installed="bundled" if v.bundled else ("user" if (folder / f"{v.id}.bin").is_file() else ""))
        for v in catalogue().values()
        if not lang or v.language == lang or v.language.split("-")[0] == lang
    ]


def licence_of_key(key: str, catalogue: Mapping[str, CatalogueVoice] | None = None) -> Licence | None:
    """The licence of the voice with this id: the catalogue's when it has the key, else the licence
    of the dataset a catalogue-style key names (a newer voice than our snapshot: the live catalogue
    names voices after their dataset, as the key does), else None (a voice file of the user's own).
    """
    catalogue = shipped_catalogue() if catalogue is None else catalogue
    voice = catalogue.get(key)
    if voice:
        return Licence(voice.licence, voice.non_commercial, "catalogue")
    match = _KEY.match(key)
    return licence_of(match["dataset"]) if match else None


def licence_label(licence: Licence | None) -> str:
    """A licence as one short phrase for a listing, the non-commercial flag spelt out."""
    if licence is None:
        return ""
    text = short_licence(licence.text)
    return f"{text}, non-commercial" if licence.non_commercial else text


def voice_licence(voice) -> str:
    """The licence column of `voices` for an installed voice (a VoiceInfo): Piper's from the
    catalogue, Kokoro's shipped voices' own; "" for the system engines' voices."""
    if voice.engine == "piper":
        return licence_label(licence_of_key(voice.id))
    if voice.engine == "kokoro":
        from .kokorofiles import LICENCE

        return LICENCE
    return ""
