"""Live audio output: where the player's sound goes (a device opened through miniaudio)."""

from __future__ import annotations

from typing import Callable, Protocol

from ..errors import VoiceguideError


class AudioError(VoiceguideError):
    pass


# ------------------------------------------------------------------ audio output


class Output(Protocol):
    """Where live audio goes: pulls int16 mono bytes from `pull(frames)` on its own thread."""

    def start(self, rate: int, pull: Callable[[int], bytes]) -> None: ...

    def close(self) -> None: ...


BUFFER_MS = 120
"""The device's buffer. It sets how long the player may be held up (another program, a virtual
machine's host) before a gap opens in the sound and every later cue comes late: on PulseAudio, 120 ms
rides out 80-100 ms stalls (40 ms gave way at 60 ms; tests/test_live_play.py stalls the player 60 ms).
It also delays a key's effect by about as much, which nobody on the floor notices, and stays well
inside the listener's guard (output to capture: 121 ms against a guard of 500 ms)."""


class MiniaudioOutput:
    """miniaudio: wheels for Linux, macOS and Windows; loads PulseAudio/ALSA/CoreAudio/WASAPI at run time."""

    def __init__(self, buffer_ms: int = BUFFER_MS, backend: str | None = None):
        self.buffer_ms = buffer_ms
        self.backend = backend
        self.device = None

    def start(self, rate: int, pull: Callable[[int], bytes]) -> None:
        try:
            import miniaudio
        except ImportError:
            raise AudioError("live playback needs the miniaudio package (pip install miniaudio)") from None
        backends = [getattr(miniaudio.Backend, self.backend.upper())] if self.backend else None

        def feeder():
            frames = yield b""
            while True:
                frames = yield pull(frames)

        gen = feeder()
        next(gen)
        try:
            self.device = miniaudio.PlaybackDevice(
                output_format=miniaudio.SampleFormat.SIGNED16,
                nchannels=1,
                sample_rate=rate,
                buffersize_msec=self.buffer_ms,
                backends=backends,
                app_name="voiceguide",
            )
            self.device.start(gen)
        except miniaudio.MiniaudioError as exc:
            self.close()
            raise AudioError(
                f"no audio output could be opened ({exc}): no sound card or sound server, or the device is busy. "
                "To listen later, make a file instead: voiceguide render ROUTINE"
            ) from None

    def close(self) -> None:
        close_device(self.device)
        self.device = None


def close_device(device) -> None:
    """Stop and close a miniaudio device, if any (closing a lost device can fail; nothing to save)."""
    if device is None:
        return
    try:
        device.stop()
        device.close()
    except Exception:  # noqa: BLE001
        pass
