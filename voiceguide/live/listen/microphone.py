"""The default microphone, captured with miniaudio (already the player's output library) on its own
thread: 16 kHz mono 16-bit, what the speech model expects, with the backend chosen like the output's."""

from __future__ import annotations

from typing import Callable

from ...errors import VoiceguideError
from ..output import close_device
from .vad import RATE


class MicrophoneError(VoiceguideError):
    pass


class Microphone:
    """Calls `on_block(pcm)` from miniaudio's capture thread with each block of 16 kHz mono s16 bytes.

    `buffer_ms` is the capture period: each block is that long, and it is part of the delay
    between a sound in the room and the recogniser hearing it."""

    def __init__(self, backend: str | None = None, buffer_ms: int = 30):
        self.backend = backend
        self.buffer_ms = buffer_ms
        self.device = None

    def start(self, on_block: Callable[[bytes], None]) -> None:
        import miniaudio

        backends = [getattr(miniaudio.Backend, self.backend.upper())] if self.backend else None

        def receiver():
            while True:
                data = yield
                on_block(bytes(data))

        gen = receiver()
        next(gen)
        try:
            device = miniaudio.CaptureDevice(
                input_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=RATE,
                buffersize_msec=self.buffer_ms, backends=backends, app_name="voiceguide listen",
            )
        except (miniaudio.MiniaudioError, AttributeError) as exc:
            raise MicrophoneError(f"no microphone could be opened ({exc})") from None
        if device.backend.lower() == "null":
            device.close()
            raise MicrophoneError("no microphone (no sound server or capture device)")
        try:
            device.start(gen)
        except miniaudio.MiniaudioError as exc:
            device.close()
            raise MicrophoneError(f"the microphone could not be started ({exc})") from None
        self.device = device

    def close(self) -> None:
        close_device(self.device)
        self.device = None
