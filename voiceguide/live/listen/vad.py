"""Where an utterance begins and ends in what the microphone hears: silero VAD, frame by frame.

An energy threshold cannot tell a word from the ocean bed or a fan; silero VAD (a small ONNX network,
MIT) gives each 32 ms frame a probability of speech, and it is cheap enough (well under 1 ms a frame
on one core) to run on every frame the gate lets through. `Endpointer` turns those probabilities into
utterances with two thresholds (speech starts above `START`, a frame below `END` counts as silence; the `listen_sensitivity`
setting moves both)
and a hangover: an utterance ends after `HANG` seconds of silence. The speech itself comes with a
little of the audio before it, so the recogniser hears a word's first consonant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 16000  # what both models expect
FRAME = 512  # samples a frame: 32 ms
CONTEXT = 64  # samples of the previous frame that silero VAD looks back on
START = 0.5  # probability above which speech begins, at the default sensitivity
END = 0.35  # probability below which a frame is silence, at the default sensitivity
DEFAULT_SENSITIVITY = 0.5
PER_UNIT = 0.6  # sensitivity 0..1 moves both thresholds 0.3 either way
HANG = 0.25  # seconds of silence that end an utterance
BEFORE = 0.2  # seconds of audio kept before the first speech frame
MIN_SPEECH = 0.08  # seconds of speech frames below which an utterance was a click, not a word


def thresholds(sensitivity: float = DEFAULT_SENSITIVITY) -> tuple[float, float]:
    """(start, end) at a sensitivity from 0 (strictest: only clear speech starts an utterance) to 1
    (most eager: a soft voice far from the microphone does too)."""
    shift = (DEFAULT_SENSITIVITY - sensitivity) * PER_UNIT
    return START + shift, END + shift


class SpeechProbability:
    """silero VAD over a stream: `__call__(frame)` for each FRAME samples (float32) in order."""

    def __init__(self, path: Path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 4
        self.session = onnxruntime.InferenceSession(str(path), sess_options=options,
                                                    providers=["CPUExecutionProvider"])
        self.reset()

    def reset(self) -> None:
        self.h = np.zeros((1, 1, 128), np.float32)
        self.c = np.zeros((1, 1, 128), np.float32)
        self.context = np.zeros(CONTEXT, np.float32)

    def __call__(self, frame: np.ndarray) -> float:
        window = np.concatenate([self.context, frame])[None, :].astype(np.float32)
        probability, self.h, self.c = self.session.run(None, {"input": window, "h": self.h, "c": self.c})
        self.context = frame[-CONTEXT:]
        return float(np.asarray(probability).reshape(-1)[0])


@dataclass(frozen=True)
class Utterance:
    """The audio of one utterance (float32 at RATE, from a little before its speech to its end),
    how long its speech lasted, when it ended (seconds of audio seen so far), and how long the quiet
    before it was (seconds since the speech before it ended; infinite when none was heard since the
    last reset)."""

    audio: np.ndarray
    speech: float
    ended: float
    quiet_before: float = float("inf")


class Endpointer:
    """Cuts a stream of (frame, probability) pairs into utterances; `longest` seconds of speech at
    most (longer is talk, not a command: it is passed over, whole)."""

    def __init__(self, longest: float, sensitivity: float = DEFAULT_SENSITIVITY):
        self.longest = longest
        self.start, self.end = thresholds(sensitivity)
        self.seen = 0  # frames seen
        self.reset()

    def reset(self) -> None:
        self.last_end: int | None = None  # the frame where the quiet after the last speech heard began (talk included)
        self.began = 0  # the frame where the current utterance's speech began
        self._clear()

    def _clear(self) -> None:
        self.before: list[np.ndarray] = []
        self.frames: list[np.ndarray] | None = None  # the utterance so far, while in one
        self.speech = 0
        self.silence = 0

    @property
    def in_speech(self) -> bool:
        return self.frames is not None

    def push(self, frame: np.ndarray, probability: float) -> Utterance | None:
        self.seen += 1
        if self.frames is None:
            if probability < self.start:
                self.before = (self.before + [frame])[-round(BEFORE * RATE / FRAME):]
                return None
            self.frames, self.before, self.speech, self.silence = self.before + [frame], [], 1, 0
            self.began = self.seen
            return None
        if self.speech * FRAME <= self.longest * RATE:
            self.frames.append(frame)
        else:
            self.frames.clear()  # talk: only its end is awaited, none of it kept
        if probability < self.end:
            self.silence += 1
        else:
            self.speech += 1 + self.silence  # a short dip inside a word is part of it
            self.silence = 0
        if self.silence * FRAME < HANG * RATE:
            return None
        frames, speech, silent = self.frames, self.speech * FRAME / RATE, self.silence
        before = float("inf") if self.last_end is None else (self.began - self.last_end) * FRAME / RATE
        self._clear()
        if speech < MIN_SPEECH:
            return None
        self.last_end = self.seen - silent + 1  # its first frame of silence
        if speech > self.longest:
            return None
        return Utterance(np.concatenate(frames), speech, self.seen * FRAME / RATE, before)
