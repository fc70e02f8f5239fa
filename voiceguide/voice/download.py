"""Installing a Piper voice by name: verified, all or nothing.

Piper's own download_voices writes the files in place and checks nothing, so a cut connection
leaves a truncated model that fails later, far from the cause. Here the live catalogue
(BASE/voices.json, whose checksums are the ones the server's files match) names the two files;
each is streamed to a hidden temporary file in the voices folder, its byte count and MD5 checked,
and only when both are right are they renamed into place, the config first: find_voices looks for
`*.onnx`, so the voice appears only once its config is there, and temporary names never end in
`.onnx`. On any failure, Ctrl-C included, nothing new is left in the folder. Every failure is a
DownloadError of one line that says what to do, including how to fetch the files by hand.
`Fetch`, the streaming and checking of one file, also installs Kokoro's voices (kokorovoices.py),
against the SHA-256s of a catalogue shipped in the package. stdlib only (urllib).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import os
import shutil
import socket
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from ..errors import VoiceguideError
from .catalogue import (
    CatalogueError,
    CatalogueFile,
    CatalogueVoice,
    closest,
    lookup,
    parse_catalogue,
    shipped_catalogue,
)

DEFAULT_VOICES_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"
TIMEOUT = 30.0  # seconds for connecting and for each read
CHUNK = 1 << 16
MAX_CATALOGUE = 32 << 20

Progress = Callable[[int, int], None]


class DownloadError(VoiceguideError):
    """A voice that could not be installed; the message is one line and nothing was left behind."""


def voices_url() -> str:
    """Where voices come from: $VOICEGUIDE_VOICES_URL (a mirror, or a test server), else Piper's own."""
    return os.environ.get("VOICEGUIDE_VOICES_URL") or DEFAULT_VOICES_URL


def url_of(base: str, path: str) -> str:
    return f"{base}/{urllib.parse.quote(path)}"


def _conventional_paths(key: str) -> tuple[str, str]:
    """The upstream layout (family/code/dataset/quality/KEY.onnx), for naming files without a catalogue."""
    shipped = shipped_catalogue().get(key)
    if shipped:
        return shipped.model.path, shipped.config.path
    code, _, rest = key.partition("-")
    name, _, quality = rest.rpartition("-")
    folder = f"{code.split('_')[0]}/{code}/{name}/{quality}"
    return f"{folder}/{key}.onnx", f"{folder}/{key}.onnx.json"


def _by_hand(base: str, key: str, folder: Path, voice: CatalogueVoice | None = None) -> str:
    model, config = (voice.model.path, voice.config.path) if voice else _conventional_paths(key)
    return f"to install it by hand, fetch {url_of(base, model)} and {url_of(base, config)} into {folder}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}".rstrip()
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"no answer within {TIMEOUT:.0f} s"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _open(url: str):
    request = urllib.request.Request(url, headers={"User-Agent": "voiceguide"})
    return urllib.request.urlopen(request, timeout=TIMEOUT)


_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, socket.timeout)


def fetch_catalogue(base: str) -> dict[str, CatalogueVoice]:
    """The live catalogue at BASE/voices.json (raises OSError-family network errors, CatalogueError)."""
    with _open(url_of(base, "voices.json")) as response:
        data = response.read(MAX_CATALOGUE + 1)
    if len(data) > MAX_CATALOGUE:
        raise CatalogueError(f"more than {MAX_CATALOGUE >> 20} MiB: not a voice catalogue")
    return parse_catalogue(data)


def _matches(path: Path, expected: CatalogueFile) -> bool:
    try:
        if path.stat().st_size != expected.size:
            return False
        h = hashlib.md5()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return False
    return h.hexdigest() == expected.md5


def installed(voice: CatalogueVoice, folder: Path) -> Path | None:
    """The installed .onnx when both files are in the folder with the catalogue's size and MD5."""
    model, config = folder / f"{voice.key}.onnx", folder / f"{voice.key}.onnx.json"
    return model if _matches(config, voice.config) and _matches(model, voice.model) else None


def _human(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def _free(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


class Fetch:
    """One voice's download: its temporary files in `folder`, the running byte count for `progress`,
    and the one-line errors (with `by_hand`, how to fetch the files by hand) when a file cannot be had."""

    def __init__(self, key: str, total: int, *, folder: Path, base: str, progress: Progress | None, by_hand: str):
        self.key, self.folder, self.base, self.progress, self.by_hand = key, folder, base, progress, by_hand
        self.done, self.total = 0, total
        self.temps: list[Path] = []
        self.free = _free(folder)

    def fail(self, what: str, then: str = "") -> DownloadError:
        return DownloadError(f"{self.key}: {what}; nothing was installed" + (f"; {then}" if then else ""))

    def _tick(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress(self.done, self.total)

    def one(self, file: CatalogueFile) -> Path:
        """BASE/file.path streamed to a hidden temporary file, its size and digest checked."""
        try:
            fd, name = tempfile.mkstemp(prefix=f".{file.name}.part-", dir=self.folder)
        except OSError as exc:
            raise self.fail(f"cannot write in {self.folder} ({_reason(exc)})") from None
        tmp = Path(name)
        self.temps.append(tmp)
        url = url_of(self.base, file.path)
        algorithm, expected = ("SHA-256", file.sha256) if file.sha256 else ("MD5", file.md5)
        h, got, cut = (hashlib.sha256() if file.sha256 else hashlib.md5()), 0, False
        try:
            with os.fdopen(fd, "wb") as out, _open(url) as response:
                while True:
                    block = response.read(CHUNK)
                    if not block:
                        break
                    got += len(block)
                    if got > file.size:
                        raise self.fail(f"{url} sent more than the catalogue's {file.size} bytes")
                    h.update(block)
                    out.write(block)
                    self._tick(len(block))
                out.flush()
                os.fsync(out.fileno())
        except http.client.IncompleteRead:
            cut = True
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise self.fail(
                    f"no space left in {self.folder}: the voice needs {_human(self.total)} ({self.total} bytes)"
                    + (f", it had {_human(self.free)} free" if self.free is not None else "")
                ) from None
            if isinstance(exc, _NETWORK_ERRORS):
                if isinstance(exc, urllib.error.HTTPError) or got == 0:
                    raise self.fail(f"cannot fetch {url} ({_reason(exc)}); {self.by_hand}") from None
                cut = True
            else:
                raise self.fail(f"cannot write in {self.folder} ({_reason(exc)})") from None
        except http.client.HTTPException as exc:
            raise self.fail(f"cannot fetch {url} ({_reason(exc)})") from None
        if cut or got != file.size:
            raise self.fail(f"the connection was cut during {file.name} ({url}): got {got} of {file.size} bytes", "try again")
        if h.hexdigest() != expected:
            raise self.fail(f"{file.name} is damaged: {algorithm} {h.hexdigest()}, the catalogue says {expected} ({url})")
        return tmp

    def cleanup(self) -> None:
        for tmp in self.temps:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def put_in_place(tmp: Path, path: Path) -> None:
    """A verified temporary file renamed to `path` at once, with the permissions a new file gets."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)


def _put_in_place(config_tmp: Path, model_tmp: Path, config: Path, model: Path) -> None:
    """Config first, then the model: the voice is never visible (`*.onnx`) without its config."""
    mode = 0o666 & ~_umask()
    os.chmod(config_tmp, mode)
    os.chmod(model_tmp, mode)
    had_model = model.exists()
    os.replace(config_tmp, config)
    try:
        os.replace(model_tmp, model)
    except BaseException:
        if not had_model:
            with contextlib.suppress(OSError):
                config.unlink()
        raise


def _offline(key: str, folder: Path, base: str, reason: str, note: Callable[[str], None] | None) -> Path:
    """Without the live catalogue: the shipped snapshot decides whether KEY is a voice at all, and
    names its files; an installed voice that matches the snapshot's checksums is kept."""
    where = url_of(base, "voices.json")
    shipped = shipped_catalogue()
    try:
        known = lookup(key, shipped)
    except CatalogueError:
        close = closest(key, shipped)
        hint = f"closest: {', '.join(close)}" if close else "none close; see: voiceguide voices --available"
        raise DownloadError(
            f"no voice called {key} ({hint}) in the shipped catalogue; the live one, {where}, cannot be fetched ({reason})"
        ) from None
    done = installed(known, folder) if folder.is_dir() else None
    if done:
        if note:
            note(f"{known.key} is already installed in {folder} (checked against the shipped catalogue)")
        return done
    hand = _by_hand(base, known.key, folder, known)
    raise DownloadError(f"cannot fetch the voice catalogue {where} ({reason}); {hand}")


def get_voice(
    key: str,
    folder: Path,
    base_url: str | None = None,
    progress: Progress | None = None,
    note: Callable[[str], None] | None = None,
) -> Path:
    """Install voice KEY in `folder` as KEY.onnx + KEY.onnx.json, verified; returns the .onnx path.

    Already installed with the catalogue's checksums: `note` is told so and nothing is fetched.
    `progress(done_bytes, total_bytes)` follows the download of both files."""
    base = (base_url or voices_url()).rstrip("/")
    folder = Path(folder).expanduser()
    try:
        catalogue = fetch_catalogue(base)
    except CatalogueError as exc:
        raise DownloadError(
            f"{url_of(base, 'voices.json')} is not a Piper voice catalogue ({exc}); {_by_hand(base, key, folder)}"
        ) from None
    except (*_NETWORK_ERRORS, OSError) as exc:
        return _offline(key, folder, base, _reason(exc), note)
    try:
        voice = lookup(key, catalogue)
    except CatalogueError as exc:
        raise DownloadError(str(exc)) from None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot make the voices folder {folder} ({_reason(exc)})") from None
    done = installed(voice, folder)
    if done:
        if note:
            note(f"{voice.key} is already installed in {folder} (checksums match); nothing to do")
        return done
    fetch = Fetch(voice.key, voice.size, folder=folder, base=base, progress=progress,
                  by_hand=_by_hand(base, voice.key, folder, voice))
    try:
        if progress:
            progress(0, fetch.total)
        config_tmp = fetch.one(voice.config)
        model_tmp = fetch.one(voice.model)
        model = folder / f"{voice.key}.onnx"
        try:
            _put_in_place(config_tmp, model_tmp, folder / f"{voice.key}.onnx.json", model)
        except OSError as exc:
            raise fetch.fail(f"cannot write in {folder} ({_reason(exc)})") from None
        return model
    finally:
        fetch.cleanup()
