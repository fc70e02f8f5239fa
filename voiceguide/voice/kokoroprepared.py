"""Kokoro's model as the engine runs it, kept in the cache folder: rewritten once, opened directly after.

Every process used to join the four parts (0.1 s), verify them and rewrite the graph (0.3 s, under
the interpreter's lock) before its session could be made: about 0.4 s of the wait for a cold
`play`'s first words. The rewritten model was written to a temporary file for the session anyway
(onnxsession: a session made from bytes keeps them); that file is now written into the cache folder
and kept, with its size, SHA-256 and the rewrites' counts beside it. A later process verifies the
kept file (about 0.12 s) and makes its session from it, as the Whisper model joined in the same
folder is verified each time it is loaded (live/listen/model.py).

A kept file's name says what made it: the pinned model's digest, the source of the rewrites and of
their helpers (any change to them names other files), numpy's version, whether the processor has
VNNI (onnxconv) and the transposes' pieces (one thread or more: onnxrescale). Files of other code
are removed when a new one is kept. A kept file that fails its digest is removed and made again
from the verified parts; one that cannot be written (a read-only cache) leaves things as they were.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..fsutil import atomic_path
from .cache import default_cache_dir
from .filefacts import hash_of_file
from .kokorofiles import MODEL_DIGEST

FOLDER = "models"  # in the cache folder, beside the joined Whisper model
PREFIX = "kokoro-"
# the modules whose code decides the rewritten bytes (kokoro.runnable_model and what it calls)
REWRITE_SOURCES = ("kokoro.py", "kokoroprepared.py", "onnxpatch.py", "onnxconv.py", "onnxgraph.py",
                   "onnxnorm.py", "onnxrescale.py", "protowire.py")


@dataclass(frozen=True)
class PreparedModel:
    """Where one variant of the rewritten model is kept: `model`, and `facts` (its size, SHA-256 and
    the rewrites' counts, as JSON) beside it. `counts()` is what a kept and verified file says;
    `write(pieces)` then `record(pieces, counts)` keep one."""

    model: Path
    facts: Path

    @classmethod
    def for_variant(cls, *, transpose_blocks: int, int8_dot_product: bool,
                    folder: Path | None = None) -> PreparedModel | None:
        """The paths for this variant under the cache folder (`folder` overrides it); None when the
        rewrites' source cannot be read (an install without it), so nothing is kept."""
        code = code_digest()
        if code is None:
            return None
        import numpy

        variant = hashlib.sha256(f"{MODEL_DIGEST} numpy {numpy.__version__} blocks {transpose_blocks} "
                                 f"int8-dot {int8_dot_product}".encode()).hexdigest()
        base = (folder or default_cache_dir() / FOLDER) / f"{PREFIX}{code[:16]}-{variant[:16]}"
        return cls(model=base.with_suffix(".onnx"), facts=base.with_suffix(".json"))

    def counts(self) -> dict[str, int] | None:
        """The rewrites' counts if the kept file is here and is the one recorded; a damaged one is
        removed (so it is made again) and None returned."""
        try:
            facts = json.loads(self.facts.read_text())
            if self.model.stat().st_size != facts["size"]:
                raise ValueError("size")
            if hash_of_file(self.model) != facts["sha256"]:  # every time: a kept file is not trusted by its date
                raise ValueError("digest")
            return {str(k): int(v) for k, v in facts["rewrites"].items()}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):  # unreadable, damaged, foreign
            self.forget()
            return None

    def write(self, pieces: list[bytes]) -> bool:
        """Write the model's pieces into place (atomically); False when the folder cannot be written.
        Trusted only once `record` has noted its digest."""
        try:
            self.model.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.model) as tmp, open(tmp, "wb") as f:
                f.writelines(pieces)
        except OSError:
            return False
        return True

    def record(self, pieces: list[bytes], counts: dict[str, int]) -> None:
        """Note the written model's size and SHA-256 (of the pieces it was written from) beside it,
        and remove the files that other versions of the rewrites kept."""
        digest = hashlib.sha256()
        for piece in pieces:
            digest.update(piece)
        facts = {"sha256": digest.hexdigest(), "size": sum(len(p) for p in pieces), "rewrites": counts,
                 "source": MODEL_DIGEST}
        try:
            with atomic_path(self.facts) as tmp:
                tmp.write_text(json.dumps(facts, indent=1) + "\n")
        except OSError:
            return
        self._remove_other_versions()

    def forget(self) -> None:
        for path in (self.facts, self.model):
            with contextlib.suppress(OSError):
                path.unlink()

    def _remove_other_versions(self) -> None:
        code = self.model.name[len(PREFIX):].split("-")[0]
        for path in self.model.parent.glob(f"{PREFIX}*"):
            if not path.name.startswith(f"{PREFIX}{code}-") and path.suffix in (".onnx", ".json"):
                with contextlib.suppress(OSError):
                    path.unlink()


def code_digest() -> str | None:
    """SHA-256 of the rewrites' source files, as installed; None if they cannot be read."""
    digest = hashlib.sha256()
    try:
        here = resources.files(__package__)
        for name in REWRITE_SOURCES:
            digest.update(name.encode() + b"\0" + here.joinpath(name).read_bytes())
    except (OSError, TypeError, ValueError):
        return None
    return digest.hexdigest()

