"""Installing one of Kokoro's other voices by key: verified, all or nothing.

Eleven Kokoro voices ship with voiceguide; the thirty others that espeak-ng's phonemes can speak
are listed, with their size and SHA-256, in the catalogue shipped beside them
(`kokorofiles.catalogue`). `voices --get KEY` streams KEY.bin from BASE/KEY.bin to a hidden
temporary file in the voices folder's kokoro/, checks its byte count and SHA-256 against that
catalogue, and only then renames it into place; on any failure, Ctrl-C included, nothing new is
left. BASE is $VOICEGUIDE_KOKORO_VOICES_URL (a mirror, or a test's server), else the files of the
kokoro-js 1.2.1 npm package as jsDelivr serves them: the very files the catalogue's digests were
taken from (kokoro-js itself fetches the same tables from Hugging Face, which this project could not
check). The download itself is `download.Fetch`, the same as a Piper voice's.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from .catalogue import CatalogueFile
from .download import DownloadError, Fetch, Progress, put_in_place, url_of
from .base import suggest
from .kokorofiles import KokoroVoice, catalogue, downloaded_folder, voice_path

DEFAULT_KOKORO_VOICES_URL = "https://cdn.jsdelivr.net/npm/kokoro-js@1.2.1/voices"
URL_VARIABLE = "VOICEGUIDE_KOKORO_VOICES_URL"
KEY_SHAPE = re.compile(r"^[a-z][fm]_[a-z]+$")  # Kokoro's keys: language, gender, name (af_bella); Piper's differ
UNSPOKEN = {"j": "Japanese", "z": "Mandarin"}  # Kokoro reads these in misaki's phonemes, not espeak-ng's


def kokoro_voices_url() -> str:
    """Where Kokoro's voices come from: $VOICEGUIDE_KOKORO_VOICES_URL, else kokoro-js 1.2.1 on jsDelivr."""
    return os.environ.get(URL_VARIABLE) or DEFAULT_KOKORO_VOICES_URL


def is_kokoro_key(key: str) -> bool:
    """Whether `voices --get KEY` means a Kokoro voice: its catalogue has the key, or it has the shape."""
    low = key.strip().lower()
    return low in catalogue() or KEY_SHAPE.match(low) is not None


def _verified(path: Path, voice: KokoroVoice) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return len(data) == voice.size and hashlib.sha256(data).hexdigest() == voice.sha256


def get_kokoro_voice(
    key: str,
    folder: Path | None = None,
    base_url: str | None = None,
    progress: Progress | None = None,
    note: Callable[[str], None] | None = None,
) -> Path:
    """Install Kokoro voice KEY as `folder`/KEY.bin (by default the voices folder's kokoro/), verified;
    returns its path. A shipped voice, or one already installed with the catalogue's SHA-256, is
    not fetched (`note` is told so)."""
    voice = catalogue().get(key.strip().lower())
    if voice is None:
        language = UNSPOKEN.get(key.strip().lower()[:1])
        if language:
            raise DownloadError(f"{key}: Kokoro's {language} voices read phonemes that espeak-ng does not write; "
                                f"voiceguide cannot speak with them")
        near = suggest(key, list(catalogue()))
        raise DownloadError(f"no Kokoro voice called {key}" + (f"; closest: {near}" if near else "")
                            + "; see: voiceguide voices --available --engine kokoro")
    if voice.bundled:
        if note:
            note(f"{voice.id} ships with voiceguide; nothing to do")
        return Path(str(voice_path(voice)))
    folder = Path(folder).expanduser() if folder is not None else downloaded_folder()
    path = folder / f"{voice.id}.bin"
    if _verified(path, voice):
        if note:
            note(f"{voice.id} is already installed in {folder} (SHA-256 matches); nothing to do")
        return path
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot make the voices folder {folder} ({exc.strerror or exc})") from None
    base = (base_url or kokoro_voices_url()).rstrip("/")
    file = CatalogueFile(f"{voice.id}.bin", voice.size, sha256=voice.sha256)
    fetch = Fetch(voice.id, voice.size, folder=folder, base=base, progress=progress,
                  by_hand=f"to install it by hand, fetch {url_of(base, file.path)} into {folder}")
    try:
        if progress:
            progress(0, voice.size)
        tmp = fetch.one(file)
        try:
            put_in_place(tmp, path)
        except OSError as exc:
            raise fetch.fail(f"cannot write in {folder} ({exc.strerror or exc})") from None
        return path
    finally:
        fetch.cleanup()
