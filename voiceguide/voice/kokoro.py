"""Kokoro: Kokoro-82M (Apache-2.0), a near-human offline voice, behind the same `Engine` interface.

- The model (92 MB, int8 ONNX) comes from four pip packages, joined and verified in memory and
  loaded once per process (`kokorofiles`); rewritten as it is run here, it is kept in the cache
  folder for the next process (`kokoroprepared`). Its voices are style tables shipped in this
  package, or fetched by `voices --get` (`kokorovoices`).
- Phonemes: espeak-ng's IPA from piper-tts's bundled espeak-ng (the [neural] extra already has it),
  mapped onto Kokoro's vocabulary, sentence by sentence.
- A sentence of N tokens takes row N of the voice's style table (as kokoro-js does).
- Speaking rate: Kokoro's `speed` input, from the words per minute asked for and the voice's own
  natural rate (KNOWN_RATES: measured at 150 wpm on the calibration passage in its language).
- Delivery: after each sentence but the last a pause that grows with the sentence (`pause_after`).
- Sentences run on the process-wide pool of `sentences`, one ONNX thread each in a render, two in a
  live session; each distinct sentence once per process.
- Deterministic: Kokoro's graph has no random input, so the same text gives the same samples.
"""

from __future__ import annotations

import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from typing import Callable

import numpy as np

from ..recent import RecentArrays
from .base import GENDERS, Engine, VoiceError, VoiceInfo, unknown_voice
from .kokorofiles import (
    INSTALL_HINT, MODEL_DIGEST, SAMPLE_RATE, KokoroVoice, best_kokoro_voice, catalogue, find_kokoro_voice, known_voices,
    join_model, read_style, style_row, tokens, verify_model, voices_digest,
)
from .kokoroprepared import PreparedModel
from .onnxconv import convolutions_as_matmuls, has_int8_dot_product
from .onnxnorm import instance_norms_fused
from .onnxrescale import TRANSPOSE_BLOCKS, rescaling_fused
from .onnxpatch import ModelPieces, deterministic_pieces
from .onnxsession import open_session, stoppable_run
from .sentences import cores, full_scale_pcm, guarded, sentence_pieces

ONNX_THREADS = 1  # per sentence in a render; the sentence pool (one thread a core) gives the parallelism
# per sentence in a live session, whose first sentence is waited for alone: 0.52 -> 0.36 s for the
# first words of the two-minute reset, for 13 % less throughput with two at once (the render-ahead
# runs at about 3x real time; a render keeps one thread). The samples are the same to the bit.
LIVE_ONNX_THREADS = 2
# The pause after a sentence, at the voice's natural rate: a speaker's breath, longer after a longer
# sentence (0.18 s and 4 ms a phoneme token, from 0.25 to 0.65 s: a ten-word sentence of about 60
# tokens is followed by 0.42 s) instead of the same 0.20 s after every one. A heuristic, not fitted.
PAUSE_BASE, PAUSE_PER_TOKEN, PAUSE_RANGE = 0.18, 0.004, (0.25, 0.65)
SPEED_RANGE = (0.5, 2.0)  # what Kokoro is trained for (kokoro-onnx refuses anything else)
PEAK_HEADROOM_DB = 2.0  # see Kokoro.peak_headroom_db
MAX_TOKENS = 510  # a sentence longer than this is cut (Kokoro's context); a guide's sentences are short

# The natural rate of each shipped voice: 150 words a minute (the pauses between sentences
# included) divided by the speed that says the calibration passage in its language at 150
# (sentences.CALIBRATIONS, spoken_wpm; found in two or three tries at the pinned model). Kokoro's
# rate does not follow its speed in proportion (Spanish at speed 0.85 spoke at 158 wpm, not 150),
# so it is measured where guides speak rather than at speed 1. A downloaded voice is given its
# language's mean, else the mean of all.
KNOWN_RATES = {"af_heart": 168.35, "am_michael": 140.71, "bf_emma": 161.46, "bm_george": 136.74,
               "ef_dora": 184.5, "em_alex": 181.82, "ff_siwis": 148.51, "if_sara": 147.64, "im_nicola": 127.33,
               "pf_dora": 174.62, "pm_alex": 167.97}
UNMEASURED_RATE = round(sum(KNOWN_RATES.values()) / len(KNOWN_RATES), 2)


@dataclass(frozen=True)
class Rewrites:
    """How many of the model's nodes each rewrite took (0 where it does not apply here)."""

    convolutions: int  # as int8 matrix products (onnxconv, with VNNI): the same samples to the bit
    instance_norms: int  # as one operator each (onnxnorm)
    rescalings: int  # inside the int8 products (onnxrescale)


def runnable_model(data, threads: int = ONNX_THREADS) -> tuple[ModelPieces, Rewrites]:
    """Kokoro's model as this engine runs it with `threads` a sentence: the fixed noise, then the
    three rewrites in order (the products' transposes back in pieces on one thread: onnxrescale)."""
    model, convolutions = convolutions_as_matmuls(deterministic_pieces(data))
    model, norms = instance_norms_fused(model)
    model, rescalings = rescaling_fused(model, transpose_blocks=transpose_blocks(threads))
    return model, Rewrites(convolutions, norms, rescalings)


def transpose_blocks(threads: int) -> int:
    """The pieces each product's transpose back is done in: on two threads (a live session's first
    words) the pieces cost more than they save (0.35 -> 0.39 s for the first sentence)."""
    return TRANSPOSE_BLOCKS if threads == 1 else 1


def _prepared(threads: int) -> PreparedModel | None:
    """Where the model as run on `threads` a sentence is kept (kokoroprepared)."""
    return PreparedModel.for_variant(transpose_blocks=transpose_blocks(threads), int8_dot_product=has_int8_dot_product())


def _keep_for_live_sessions(data: bytes) -> None:
    """A render (one thread a sentence) that had to rewrite the model also keeps the variant a live
    session runs, from the same verified bytes, on a thread of its own: so the first `play` after a
    first render (the README's set-up renders) starts as a later one does. 0.45 s of the interpreter's
    time beside the render's synthesis, once. `play` does not do the reverse: it would take turns with
    its first words."""
    threads = min(LIVE_ONNX_THREADS, cores())  # as Kokoro.load(live=True) asks
    live = _prepared(threads)
    if transpose_blocks(threads) == transpose_blocks(1) or live is None:
        return  # the same model as the render's (one core), or nothing can be kept

    def keep() -> None:
        try:
            if live.counts() is not None:  # kept already (verifying it reads 92 MB: not on the render's thread)
                return
            model, rewrites = runnable_model(data, threads)
            pieces = model.parts()
            if live.write(pieces):
                live.record(pieces, asdict(rewrites))
        except Exception:  # noqa: BLE001 - only a head start: a live session rewrites it itself
            pass

    threading.Thread(target=keep, name="keep-live-model").start()  # not a daemon: its file is finished


class _Model:
    """The ONNX session, made from the verified joined bytes through a file (onnxsession.py: a session
    made from bytes keeps them, 92 MB, and its memory pattern grows with every new sentence length),
    its int8 convolutions run as int8 matrix products where that gives the same samples (onnxconv.py:
    half the CPU time), its spelt-out instance norms as one operator each (onnxnorm.py) and its
    products' rescaling inside them (onnxrescale.py): 15 % less together. The file is kept in the
    cache folder (kokoroprepared.py): a later process verifies it and skips the join and rewrite."""

    def __init__(self, threads: int) -> None:
        prepared = _prepared(threads)
        if prepared is None or not self._open_kept(prepared, threads):
            data, model, self.rewrites = self._rewritten(threads)
            pieces = model.parts()
            kept = prepared is not None and prepared.write(pieces)
            with ThreadPoolExecutor(1, thread_name_prefix="record-model") as recording:
                # its digest is taken beside the session's making (hashlib lets other threads run)
                recorded = recording.submit(prepared.record, pieces, asdict(self.rewrites)) if kept else None
                self.session = self._open(str(prepared.model) if kept else pieces, threads)
                if recorded is not None:
                    recorded.result()
            if kept and threads == 1:
                _keep_for_live_sessions(data)
        names = {i.name for i in self.session.get_inputs()}
        self.token_input = "input_ids" if "input_ids" in names else "tokens"  # older exports say "tokens"

    def _open_kept(self, prepared: PreparedModel, threads: int) -> bool:
        """Open the session from the kept model if it is there and verified; False if it is not, or
        if onnxruntime refuses it (the rewrite then makes and keeps it again)."""
        counts = prepared.counts()
        if counts is None:
            return False
        try:
            self.rewrites = Rewrites(**counts)
            self.session = open_session(str(prepared.model), threads)
        except Exception:  # noqa: BLE001 - onnxruntime raises its own types; made again from the parts
            return False
        return True

    @staticmethod
    def _rewritten(threads: int) -> tuple[bytes, ModelPieces, Rewrites]:
        """The verified bytes of the joined parts, and the model rewritten from them."""
        data = join_model()
        with ThreadPoolExecutor(1, thread_name_prefix="verify-model") as verifying:
            # the SHA-256 runs beside the graph's rewrite (hashlib releases the interpreter's lock):
            # 0.08 s less before the first words; nothing is made from the bytes before it passes
            verified = verifying.submit(verify_model, data)
            try:
                rewritten = runnable_model(data, threads)
            except Exception as exc:  # noqa: BLE001 - damaged bytes can fail anywhere in the walk
                verified.result()  # then the digest says which part is damaged
                raise VoiceError(f"Kokoro's model would not load: {str(exc).splitlines()[0]}") from None
            verified.result()
        return (data, *rewritten)

    @staticmethod
    def _open(model: str | list[bytes], threads: int):
        try:
            # no graph optimisation: the model comes optimised (its layer norms and GELUs fused), and
            # with it the session took 0.68 s to make instead of 0.34 s, for no faster synthesis
            return open_session(model, threads)
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
            raise VoiceError(f"Kokoro's model would not load: {str(exc).splitlines()[0]}") from None

    def run(self, ids: list[int], style: np.ndarray, speed: float) -> np.ndarray:
        feed = {
            self.token_input: np.array([[0, *ids[: MAX_TOKENS - 2], 0]], dtype=np.int64),
            "style": style[style_row(len(ids))][None, :],
            "speed": np.array([speed], dtype=np.float32),
        }
        with stoppable_run() as options:  # Ctrl-C stops a sentence mid-way (onnxsession.end_sessions)
            return self.session.run(None, feed, options)[0].reshape(-1)


# Sentences already spoken in this process, by (tokens, voice, speed): a sentence in two utterances
# (the same instruction before each side, "Breathe in." in every round) is synthesised once. In the
# benchmark's 30-minute session 10 % of the tokens were such repeats. A Kokoro sentence depends on
# nothing else (its style row is its own length), so the samples are the same either way.
SENTENCE_MEMORY = 8 << 20  # bytes: about 170 s of speech at 24 kHz
_SPOKEN = RecentArrays(SENTENCE_MEMORY)

_MODEL: _Model | None = None
_MODEL_LOCK = threading.Lock()
_STYLES: dict[str, np.ndarray] = {}
_ESPEAK_LOCK = threading.Lock()  # espeak-ng holds process-wide state: one phonemisation at a time
_PHONEMIZER = None  # piper's EspeakPhonemizer, made on first use


def load(threads: int = ONNX_THREADS) -> _Model:
    """The model, loaded and verified once per process (about 0.45 s kept, 0.8 s the first time; all
    the engine's I/O), its sentences run on `threads` each (the first call's choice: ONNX_THREADS,
    LIVE_ONNX_THREADS)."""
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            _MODEL = _Model(threads)
        return _MODEL


def style(voice: KokoroVoice) -> np.ndarray:
    with _MODEL_LOCK:
        if voice.id not in _STYLES:
            _STYLES[voice.id] = read_style(voice)
        return _STYLES[voice.id]


def phonemize(text: str, voice: KokoroVoice) -> list[list[int]]:
    """The text's sentences as Kokoro token ids (empty sentences left out)."""
    global _PHONEMIZER
    with _ESPEAK_LOCK:
        if _PHONEMIZER is None:  # initialises espeak-ng's data once per process
            from piper.phonemize_espeak import EspeakPhonemizer

            _PHONEMIZER = EspeakPhonemizer()
        sentences = _PHONEMIZER.phonemize(voice.espeak, text)
    out = [tokens(unicodedata.normalize("NFC", "".join(s)).strip(), voice.language) for s in sentences]
    return [ids for ids in out if ids]


def speak(ids: list[int], voice: KokoroVoice, speed: float) -> np.ndarray:
    """One sentence, int16 at 24 kHz; once per process (`_SPOKEN`)."""
    key = (tuple(ids), voice.id, speed)
    spoken = _SPOKEN.get(key)
    if spoken is None:
        spoken = full_scale_pcm(load().run(ids, style(voice), speed))
        _SPOKEN.put(key, spoken)
    return spoken


def pause_after(tokens: int) -> float:
    """Seconds of silence after a sentence of `tokens` phoneme tokens, at the voice's natural rate."""
    lo, hi = PAUSE_RANGE
    return min(hi, max(lo, PAUSE_BASE + PAUSE_PER_TOKEN * tokens))


def natural_wpm(voice: KokoroVoice) -> float:
    """Words per minute at speed 1 as measured at 150 (KNOWN_RATES): speed = wpm / this."""
    if voice.id in KNOWN_RATES:
        return KNOWN_RATES[voice.id]
    family = voice.language.split("-")[0]
    kin = [KNOWN_RATES[v.id] for v in catalogue().values() if v.id in KNOWN_RATES and v.language.split("-")[0] == family]
    return round(sum(kin) / len(kin), 2) if kin else UNMEASURED_RATE


class Kokoro(Engine):
    name = "kokoro"
    loads_a_model = True  # the 92 MB model, about a second
    # Kokoro's speech is rich up to the session rate's 11 kHz, and a 64 kbit/s MP3 raised a shipped
    # routine's true peak from -3.1 to -0.2 dBTP (Piper's to -1.4): an export of it is limited this
    # much lower, so the file stays under -1 dBTP
    peak_headroom_db = PEAK_HEADROOM_DB
    workers = 2 * max(1, cores())  # utterances asked for at once: twice the sentence pool

    def __init__(self) -> None:
        try:
            import onnxruntime  # noqa: F401
            import piper  # noqa: F401 - its bundled espeak-ng writes the phonemes
        except ImportError:
            raise VoiceError(f"the kokoro engine needs onnxruntime and piper-tts: {INSTALL_HINT}") from None

    def version(self) -> str:
        import onnxruntime
        from importlib.metadata import version as dist_version

        return (f"kokoro-v1.0-int8 {MODEL_DIGEST[:16]} voices {voices_digest()} onnxruntime {onnxruntime.__version__} "
                f"piper-tts {dist_version('piper-tts')} (espeak-ng phonemes; pauses by length; norms and rescaling fused; headroom {PEAK_HEADROOM_DB} dB)")

    def voices(self) -> list[VoiceInfo]:
        return [v.info() for v in known_voices()]

    def resolve_voice(self, wanted: str | None, language: str) -> str:
        found = best_kokoro_voice(wanted, language)
        if found is not None:
            return found.id
        low = (wanted or "").strip().lower()
        if low and low not in GENDERS and "-" not in low and len(low) > 3:
            raise unknown_voice(wanted, [v.id for v in known_voices()], "kokoro")
        what = f"{low} voice" if low in GENDERS else "voice"
        have = ", ".join(sorted({v.language for v in known_voices()}))
        raise VoiceError(f"no Kokoro {what} for language {language!r}; Kokoro speaks: {have}")

    def load(self, voice: str, *, live: bool = False) -> None:
        """Load the model ahead of the first words (`Engine.load`); the voice's style is small."""
        self._voice(voice)
        load(min(LIVE_ONNX_THREADS, cores()) if live else ONNX_THREADS)

    def speed(self, voice: str, wpm: float) -> float:
        lo, hi = SPEED_RANGE
        return round(min(hi, max(lo, float(wpm) / natural_wpm(self._voice(voice)))), 3)

    def _voice(self, voice: str) -> KokoroVoice:
        v = find_kokoro_voice(voice)
        if v is None:
            hint = f"; get it: voiceguide voices --get {voice.strip()}" if voice.strip().lower() in catalogue() else ""
            raise VoiceError(str(unknown_voice(voice, [x.id for x in known_voices()], "kokoro")) + hint)
        return v

    def synthesize(self, text: str, voice: str, wpm: float) -> tuple[np.ndarray, int]:
        pieces, rate = self.synthesize_pieces(text, voice, wpm)
        return np.concatenate([piece() for piece in pieces]).astype(np.int16), rate

    def synthesize_pieces(self, text: str, voice: str, wpm: float) -> tuple[list[Callable[[], np.ndarray]], int]:
        """Sentence by sentence on the shared pool, each followed by its pause (see `sentences`)."""
        v = self._voice(voice)

        checked = partial(guarded, engine="Kokoro", text=text)

        load()
        speed = checked(lambda: self.speed(voice, wpm))
        sentences = checked(lambda: phonemize(text, v))
        if not sentences:
            return [lambda: np.zeros(int(0.05 * SAMPLE_RATE), np.int16)], SAMPLE_RATE
        gaps = [np.zeros(int(round(pause_after(len(ids)) / speed * SAMPLE_RATE)), np.int16) for ids in sentences[:-1]]
        pieces = sentence_pieces(sentences, partial(speak, voice=v, speed=speed), gaps)
        return [partial(checked, piece) for piece in pieces], SAMPLE_RATE
