"""Synthesis sentence by sentence, shared by the neural engines (Piper and Kokoro).

Why a module of its own: both engines run each sentence of an utterance on one process-wide pool
(one thread a core, so however many utterances are asked for at once the cores stay busy and are
never oversubscribed), speak the first sentence alone so a live session can start on it, and
normalise their float output the same way. Written once here, not once per engine.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Callable, Sequence, TypeVar

import numpy as np

from .base import VoiceError
from .onnxsession import now_and_then_return_freed_memory

T = TypeVar("T")


def cores() -> int:
    """The cores this process may use (its affinity, not the machine's count): at least one."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def sentence_pool() -> ThreadPoolExecutor:
    """One synthesis thread per core for the whole process, whichever engine asks."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=max(1, cores()), thread_name_prefix="sentence")
        return _POOL


def stop_speaking() -> None:
    """The process is ending (Ctrl-C, SIGTERM): cancel the sentences waiting in the pool and take no
    more (those being spoken finish). At exit the interpreter joins the pool's threads, and they would
    first speak every sentence queued for nobody: a cold Kokoro session took 2.5 s to end after
    Ctrl-C. A sentence asked for later raises RuntimeError in the thread that asks."""
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.shutdown(wait=False, cancel_futures=True)


def _settle(target: Future, done: Future) -> None:
    exc = done.exception()
    if exc is not None:
        target.set_exception(exc)
    else:
        target.set_result(done.result())


def _speak_then_trim(speak: Callable[..., np.ndarray], sentence) -> np.ndarray:
    audio = speak(sentence)
    now_and_then_return_freed_memory()  # what the synthesis freed, back to the system (onnxsession)
    return audio


def sentence_pieces(sentences: Sequence, speak: Callable[..., np.ndarray],
                    gap: np.ndarray | Sequence[np.ndarray]) -> list[Callable[[], np.ndarray]]:
    """Calls that wait for each sentence's audio (`speak(sentence)`), in order, each but the last
    followed by `gap` (one for all, or one per sentence but the last). The first sentence goes to the shared pool alone and the others once it is
    done: beside another synthesis it took twice as long on 2 cores (Piper: 0.25-0.31 s against
    0.11-0.16 s), and a live session starts as soon as it has that first sentence."""
    pool = sentence_pool()
    speak = partial(_speak_then_trim, speak)
    first = pool.submit(speak, sentences[0])
    rest = [Future() for _ in sentences[1:]]

    def then_the_rest(_: Future) -> None:
        for s, later in zip(sentences[1:], rest):
            try:
                pool.submit(speak, s).add_done_callback(partial(_settle, later))
            except RuntimeError as exc:  # the process is ending (stop_speaking, or the interpreter's exit)
                later.set_exception(exc)

    first.add_done_callback(then_the_rest)
    futures = [first, *rest]

    gaps = [gap] * (len(futures) - 1) if isinstance(gap, np.ndarray) else list(gap)

    def piece(i: int) -> np.ndarray:
        audio = futures[i].result()
        return audio if i == len(futures) - 1 else np.concatenate([audio, gaps[i]])

    return [partial(piece, i) for i in range(len(futures))]


def full_scale_pcm(audio: np.ndarray) -> np.ndarray:
    """A model's float output normalised to full scale as int16 (silence stays silence); the voice
    stage levels each clip afterwards, so only the shape of the waveform matters here."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    audio = np.zeros_like(audio) if peak < 1e-8 else audio / peak
    audio = np.clip(audio, -1.0, 1.0)
    return np.clip(audio * 32767.0, -32767.0, 32767.0).astype(np.int16)


# the passage a neural voice's natural rate is measured on (words per minute at its neutral speed)
CALIBRATION = (
    "Breathe in slowly through your nose, and let your shoulders soften. "
    "Now breathe out through your mouth, letting the tension go. "
    "Hold this position for thirty seconds, then gently switch to the other side."
)
# The same three instructions in the other languages a shipped Kokoro voice speaks (its rates in kokoro.py)
CALIBRATIONS = {
    "en": CALIBRATION,
    "es": "Respira despacio por la nariz y deja que los hombros se relajen. Ahora suelta el aire por la boca y "
          "deja ir la tensión. Mantén esta postura treinta segundos y luego cambia con calma al otro lado.",
    "fr": "Inspirez lentement par le nez et laissez vos épaules se détendre. Maintenant, expirez par la bouche en "
          "relâchant la tension. Gardez cette position trente secondes, puis passez doucement de l'autre côté.",
    "it": "Inspira lentamente dal naso e lascia che le spalle si rilassino. Ora espira dalla bocca e lascia andare "
          "la tensione. Resta in questa posizione per trenta secondi, poi passa con calma all'altro lato.",
    "pt": "Inspire devagar pelo nariz e deixe os ombros relaxarem. Agora solte o ar pela boca e deixe a tensão ir "
          "embora. Fique nesta posição por trinta segundos e depois passe com calma para o outro lado.",
}


def spoken_wpm(audio: np.ndarray, rate: int, text: str) -> float:
    """Words per minute of `text` spoken as `audio` (int16), first sound to last; 160 when it is
    too short to tell."""
    x = np.abs(audio.astype(np.float32))
    loud = np.flatnonzero(x > 0.003 * 32768)
    seconds = (loud[-1] - loud[0] + 1) / rate if loud.size else 0.0
    return round(len(text.split()) / seconds * 60.0, 3) if seconds > 0.5 else 160.0


def guarded(call: Callable[[], T], *, engine: str, text: str) -> T:
    """`call()`, with whatever the phonemizer or onnxruntime raise told as one VoiceError line."""
    try:
        return call()
    except VoiceError:
        raise
    except Exception as exc:  # noqa: BLE001 - espeak-ng's and onnxruntime's own error types
        raise VoiceError(f"{engine} could not speak {text[:40]!r}: {exc}") from None
