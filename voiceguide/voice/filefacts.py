"""Facts about a large file (its hashes) remembered across processes, keyed by its path, size and
modification time: hashing a 60 MB voice model costs a cold start about 0.15 s each time, and a
cold live start waits for it before its first word. A changed file gets new facts; a cache folder
that cannot be read or written only costs the hashing."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from ..fsutil import atomic_write_text
from .cache import default_cache_dir

MEMO_NAME = "file-facts.json"
_LOCK = threading.Lock()


def _stat_key(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def hash_of_file(path: Path, algorithm: str = "sha256") -> str:
    """The file's hex digest, read in 1 MiB blocks and taken every time (`file_hash` remembers it)."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_hash(path: Path, algorithm: str = "sha256", memo: Path | None = None, data: bytes | None = None) -> str:
    """The file's hex digest, from the memo when the file has not changed since it was taken.
    `data`: the file's contents, already read (hashed instead of reading it again)."""
    memo = memo or default_cache_dir() / MEMO_NAME
    key = f"{_stat_key(path)}|{algorithm}"
    with _LOCK:
        known = _read(memo)
        value = known.get(key)
        if isinstance(value, str):
            return value
        value = hashlib.new(algorithm, data).hexdigest() if data is not None else hash_of_file(path, algorithm)
        path_part, algorithm_part = key.split("|", 1)[0] + "|", "|" + algorithm
        known = {k: v for k, v in known.items()  # without the hashes of the file's older versions
                 if not (k.startswith(path_part) and k.endswith(algorithm_part))}
        known[key] = value
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(memo, json.dumps(known, indent=1, sort_keys=True))
        except OSError:
            pass
        return value


def _read(memo: Path) -> dict:
    try:
        known = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}
