"""Signal processing on numpy arrays: trimming, fades, loudness (ITU-R BS.1770), true peak, limiting.

Everything is mono float32 in [-1, 1] at `RATE` unless said otherwise, and every
function is pure: the same input gives the same output, bit for bit.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

RATE = 22050  # the session's sample rate: what espeak-ng and Piper voices speak natively
FADE = 0.005  # seconds of fade on every clip edge, so nothing clicks


def db_to_gain(db: float) -> float:
    return 10.0 ** (db / 20.0)


def gain_to_db(gain: float) -> float:
    return 20.0 * math.log10(max(gain, 1e-12))


# ------------------------------------------------------------------ edges


def trim_silence(x: np.ndarray, threshold_db: float = -50.0, keep: float = 0.002, rate: int = RATE,
                 start: bool = True, end: bool = True) -> np.ndarray:
    """Cut leading (`start`) and trailing (`end`) near-silence, keeping `keep` seconds, so a clip's
    first sample is its onset."""
    if x.size == 0:
        return x
    loud = np.flatnonzero(np.abs(x) >= db_to_gain(threshold_db))
    if loud.size == 0:
        return x[:0] if start and end else x
    pad = int(keep * rate)
    return x[max(0, loud[0] - pad) if start else 0 : min(x.size, loud[-1] + 1 + pad) if end else x.size]


def fade_edges(x: np.ndarray, seconds: float = FADE, rate: int = RATE, start: bool = True, end: bool = True) -> np.ndarray:
    """Raised-cosine fade in (`start`) and out (`end`) (a copy)."""
    n = min(int(seconds * rate), x.size // 2)
    y = np.array(x, dtype=np.float32, copy=True)
    if n > 0:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, n, dtype=np.float64))).astype(np.float32)
        if start:
            y[:n] *= ramp
        if end:
            y[-n:] *= ramp[::-1]
    return y


def fade_out_tail(x: np.ndarray, seconds: float = FADE, rate: int = RATE) -> np.ndarray:
    n = min(int(seconds * rate), x.size)
    y = np.array(x, dtype=np.float32, copy=True)
    if n > 0:
        y[-n:] *= (0.5 + 0.5 * np.cos(np.linspace(0.0, math.pi, n))).astype(np.float32)
    return y


# ------------------------------------------------------------------ resampling


RESAMPLE_TAPS = 16  # taps each side of an output sample, in source samples
MAX_PHASES = 1024  # rate pairs with more distinct phases than this are resampled sample by sample


def _sinc_weights(d: np.ndarray, cutoff: float) -> np.ndarray:
    """The filter's weight at `d` source samples from an output sample: a windowed sinc."""
    return 2 * cutoff * np.sinc(2 * cutoff * d) * (0.5 + 0.5 * np.cos(np.pi * d / RESAMPLE_TAPS))


def _cutoff(src: int, dst: int) -> float:
    """The filter's cutoff relative to the source rate: below the lower Nyquist frequency."""
    return 0.5 * min(1.0, dst / src) * 0.95


@lru_cache(maxsize=8)
def _polyphase_bank(src: int, dst: int) -> tuple[np.ndarray, int, int] | None:
    """The filter as one matrix for `up` output samples from a window of source samples starting
    every `down` (src/dst = down/up in lowest terms): row r holds output r's weights at its place.
    None for rates with more than MAX_PHASES phases."""
    g = math.gcd(src, dst)
    up, down = dst // g, src // g
    if up > MAX_PHASES:
        return None
    cutoff = _cutoff(src, dst)
    width = (up - 1) * down // up + 2 * RESAMPLE_TAPS
    bank = np.zeros((up, width), np.float64)
    taps = np.arange(-RESAMPLE_TAPS + 1, RESAMPLE_TAPS + 1)
    for r in range(up):
        step, frac = divmod(r * down, up)
        bank[r, step + taps + RESAMPLE_TAPS - 1] = _sinc_weights(taps - frac / up, cutoff)
    return bank, up, down


def resample(x: np.ndarray, src: int, dst: int = RATE) -> np.ndarray:
    """Band-limited resampling by a windowed-sinc polyphase filter (adequate for speech and cues).

    Why a matrix: Kokoro speaks at 24 kHz, and working the filter out afresh for every output sample
    cost 16 s of CPU in a 30-minute render (8 % of it). The rates' ratio repeats its phases every
    `up` outputs, so the weights are one [up, window] matrix made once, and the output is every
    window of the source (a strided view, no copy) times it, in one product."""
    if src == dst or x.size == 0:
        return x.astype(np.float32, copy=False)
    n_out = int(math.floor(x.size * dst / src))
    polyphase = _polyphase_bank(src, dst)
    if polyphase is None:
        return resample_sample_by_sample(x, src, dst, n_out)
    bank, up, down = polyphase
    blocks = -(-n_out // up)
    padded = np.zeros(blocks * down + bank.shape[1], np.float64)
    padded[RESAMPLE_TAPS - 1 : RESAMPLE_TAPS - 1 + x.size] = x  # a window's column j is its step's source sample j - TAPS + 1
    windows = np.lib.stride_tricks.as_strided(padded, (blocks, bank.shape[1]), (down * 8, 8), writeable=False)
    return (windows @ bank.T).reshape(-1)[:n_out].astype(np.float32)


def resample_sample_by_sample(x: np.ndarray, src: int, dst: int, n_out: int) -> np.ndarray:
    """The same filter, its weights worked out for every output sample: for rates with more phases
    than MAX_PHASES, and the reference the filter bank is tested against."""
    cutoff = _cutoff(src, dst)
    half = RESAMPLE_TAPS
    t = np.arange(n_out, dtype=np.float64) * (src / dst)  # output times in source samples
    base = np.floor(t).astype(np.int64)
    frac = t - base
    xp = np.concatenate([np.zeros(half, np.float32), x.astype(np.float32), np.zeros(half + 1, np.float32)])
    out = np.zeros(n_out, dtype=np.float64)
    for k in range(-half + 1, half + 1):
        out += xp[base + k + half] * _sinc_weights(k - frac, cutoff)
    return out.astype(np.float32)


# ------------------------------------------------------------------ loudness (BS.1770-4)


def _k_weighting_power(n: int, rate: int) -> np.ndarray:
    """|H(f)|^2 of the K-weighting filter on the rfft grid of n points (libebur128's coefficients)."""
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    b1 = np.array([(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0])
    a1 = np.array([1, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    b2 = np.array([1.0, -2.0, 1.0])
    d = 1 + k / q + k * k
    a2 = np.array([1.0, 2 * (k * k - 1) / d, (1 - k / q + k * k) / d])
    z = np.exp(-1j * np.pi * np.arange(n // 2 + 1) / (n // 2))  # e^{-jw}
    def h(b, a):
        return (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return (np.abs(h(b1, a1) * h(b2, a2)) ** 2).astype(np.float64)


class LoudnessMeter:
    """Integrated loudness (LUFS) of a mono stream fed in any chunk sizes; gated as BS.1770-4 says.

    The K-weighting is applied per 100 ms sub-block in the frequency domain; the 400 ms
    gating blocks (75 % overlap) are means of four sub-blocks."""

    def __init__(self, rate: int = RATE):
        self.rate = rate
        self.sub = rate // 10
        self.weight = _k_weighting_power(self.sub, rate)
        self.pending = np.zeros(0, dtype=np.float32)
        self.energies: list[np.ndarray] = []

    def subblock_energies(self, x: np.ndarray) -> np.ndarray:
        """K-weighted mean squares of x's 100 ms sub-blocks (x zero-padded to whole sub-blocks)."""
        n = -(-x.size // self.sub) * self.sub
        blocks = np.pad(x, (0, n - x.size)).reshape(-1, self.sub).astype(np.float64)
        spec = np.abs(np.fft.rfft(blocks, axis=1)) ** 2
        spec[:, 1:-1] *= 2  # one-sided spectrum
        return (spec * self.weight).sum(axis=1) / (self.sub * self.sub)

    def feed(self, x: np.ndarray) -> None:
        data = np.concatenate([self.pending, x]) if self.pending.size else x
        whole = data.size // self.sub * self.sub
        if whole:
            self.energies.append(self.subblock_energies(data[:whole]))
        self.pending = np.array(data[whole:], dtype=np.float32)

    def integrated(self) -> float:
        return gated_loudness(np.concatenate(self.energies)) if self.energies else -math.inf


def gated_loudness(sub: np.ndarray) -> float:
    """Integrated loudness (LUFS) from 100 ms sub-block energies: 400 ms blocks, absolute and relative gates."""
    if sub.size < 4:
        return -math.inf
    z = (sub[:-3] + sub[1:-2] + sub[2:-1] + sub[3:]) / 4.0
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10 * np.log10(z)
    gated = z[loud > -70.0]
    if gated.size == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(gated.mean()) - 10.0
    final = z[(loud > -70.0) & (loud > relative)]
    return -0.691 + 10 * math.log10(final.mean())


def integrated_loudness(x: np.ndarray, rate: int = RATE) -> float:
    meter = LoudnessMeter(rate)
    meter.feed(x)
    return meter.integrated()


# ------------------------------------------------------------------ true peak and limiting

_PHASES = 4
_TAPS = 12  # per phase


def _interp_filters() -> np.ndarray:
    """Windowed-sinc fractional-delay filters, one per oversampling phase."""
    out = []
    for p in range(_PHASES):
        t = (np.arange(-_TAPS // 2, _TAPS // 2) + 1 - p / _PHASES)
        w = np.sinc(t) * (0.54 + 0.46 * np.cos(np.pi * t / (_TAPS / 2 + 1)))
        out.append(w / w.sum())
    return np.array(out)


_FILTERS = _interp_filters()


_REVERSED = _FILTERS[1:, ::-1].T.astype(np.float32)  # (taps, phases 1..3) for window @ filters


def true_peak_envelope(x: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Per sample, the largest magnitude of the 4x oversampled signal from it to the next (ITU-R BS.1770
    annex 2). Only samples at or above `floor` (and their left neighbours) are interpolated: between two
    quiet samples the signal cannot rise above the ceiling that `floor` is chosen for."""
    env = np.abs(x).astype(np.float32)
    if x.size == 0:
        return env
    loud = env >= floor
    loud[:-1] |= loud[1:]
    idx = np.flatnonzero(loud)
    if idx.size:
        half = _TAPS // 2
        xp = np.pad(x.astype(np.float32), (half, half))
        windows = xp[idx[:, None] + np.arange(_TAPS)]
        env[idx] = np.maximum(env[idx], np.abs(windows @ _REVERSED).max(axis=1))
    return env


def true_peak(x: np.ndarray) -> float:
    """The 4x oversampled peak; only the neighbourhoods of samples over half the sample peak can hold it."""
    if x.size == 0:
        return 0.0
    return float(true_peak_envelope(x, 0.5 * float(np.abs(x).max())).max())


def sliding_min(y: np.ndarray, half: int) -> np.ndarray:
    """min(y[i-half .. i+half]) for every i (edges padded), by doubling: O(n log half)."""
    width = 2 * half + 1
    p = np.pad(y, half, mode="edge")
    m = p.copy()
    span = 1
    while span * 2 <= width:
        m = np.minimum(m[:-span], m[span:])  # m[i] = min(p[i .. i + 2*span - 1])
        span *= 2
    rest = width - span
    out = np.minimum(m[: y.size], m[rest : rest + y.size]) if rest else m[: y.size]
    return out


def box(y: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average of odd `width` (edges padded), by cumulative sums: O(n)."""
    half = width // 2
    c = np.concatenate([[0.0], np.cumsum(np.pad(y, half, mode="edge"), dtype=np.float64)])
    return ((c[width:] - c[:-width]) / width)[: y.size]


LIMIT_LOOKAHEAD = 0.003  # seconds; the gain starts falling this long before a peak
LIMIT_MARGIN = int(LIMIT_LOOKAHEAD * RATE) * 2 + _TAPS  # context samples each side a block needs


def limit(x: np.ndarray, ceiling: float) -> np.ndarray:
    """Bring the true peak of `x` to at most `ceiling` with a smooth, look-ahead gain (no delay).

    The gain needed at each sample is min-filtered over +-w and then smoothed by two boxes of width
    w+1 (a triangle spanning +-w), so the smooth gain at a sample is an average of minima that all
    include that sample: it never exceeds what the sample needs. Callers limiting a stream pass
    LIMIT_MARGIN samples of context each side and keep the middle."""
    if x.size == 0 or np.abs(x).max() < ceiling * 0.5:
        return x
    env = true_peak_envelope(x, ceiling * 0.5)
    if env.max() <= ceiling:
        return x
    need = np.minimum(1.0, ceiling / np.maximum(env, 1e-9)).astype(np.float32)
    w = int(LIMIT_LOOKAHEAD * RATE)
    width = w + 1 if w % 2 == 0 else w  # odd, at most w + 1
    smooth = box(box(sliding_min(need, w), width), width).astype(np.float32)
    return (x * np.minimum(smooth, need)).astype(np.float32)


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 32767.0), -32768, 32767).astype(np.int16)


def from_int16(x: np.ndarray) -> np.ndarray:
    return (x.astype(np.float32) / 32768.0).astype(np.float32)
