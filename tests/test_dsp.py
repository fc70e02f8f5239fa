"""The resampler (voiceguide/dsp.py): Kokoro's 24 kHz speech and other rates brought to the session's,
by one filter worked out once per pair of rates."""

import math

import numpy as np
import pytest

from voiceguide import dsp

PAIRS = [(24000, 22050), (16000, 22050), (22050, 16000), (44100, 22050), (48000, 22050), (8000, 22050),
         (22050, 48000)]


@pytest.mark.parametrize("src, dst", PAIRS)
def test_the_filter_bank_gives_what_the_filter_gives_sample_by_sample(src, dst):
    rng = np.random.default_rng(src + dst)
    for n in (1, 7, 33, 1000, 3 * src + 11):
        x = (0.3 * rng.standard_normal(n)).astype(np.float32)
        fast = dsp.resample(x, src, dst)
        slow = dsp.resample_sample_by_sample(x, src, dst, math.floor(n * dst / src))
        assert fast.dtype == np.float32 and fast.shape == slow.shape, (n, fast.shape, slow.shape)
        assert np.abs(fast - slow).max(initial=0.0) < 1e-6, n


def test_a_tone_keeps_its_pitch_and_level_and_nothing_above_the_new_nyquist_gets_through():
    t = np.arange(24000 * 2) / 24000
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    out = dsp.resample(tone, 24000, 22050)
    assert out.size == 44100
    spectrum = np.abs(np.fft.rfft(out[2048:-2048] * np.hanning(out.size - 4096)))
    peak_hz = np.argmax(spectrum) * 22050 / (out.size - 4096)
    assert abs(peak_hz - 1000) < 2
    assert abs(np.abs(out[2048:-2048]).max() - 0.5) < 0.01
    high = (0.5 * np.sin(2 * np.pi * 11800 * t)).astype(np.float32)  # above 22050 / 2: filtered out
    assert np.abs(dsp.resample(high, 24000, 22050)[2048:-2048]).max() < 0.02


def test_the_same_input_gives_the_same_samples_and_the_rate_it_has_is_left_alone():
    x = np.random.default_rng(5).standard_normal(5000).astype(np.float32)
    assert np.array_equal(dsp.resample(x, 24000, 22050), dsp.resample(x, 24000, 22050))
    assert dsp.resample(x, 22050, 22050) is x
