#!/usr/bin/env python3
"""Generate voiceguide's built-in sounds (all synthesised, no samples).

Run from the repository root:

    python3 tools/make_sounds.py

Writes sounds/{bell,chime,tick,inhale,exhale}.wav and
scripts/sounds/soft-bowl.wav as 16-bit PCM mono WAV at 44100 Hz.

Pure standard library and fully deterministic: the same Python gives
byte-identical files on every run (no randomness is used).
"""

import array
import math
import os
import sys
import wave

RATE = 22050  # the session rate: no resampling when mixed
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SILENCE_DB = -60.0   # trailing audio below this (dBFS) is trimmed
MIN_FADE = 0.005     # seconds; every file starts and ends with a ramp to 0


# --- shared helpers -------------------------------------------------------

def silence(seconds):
    return [0.0] * int(round(seconds * RATE))


def ramp(i, n):
    """Raised-cosine gain rising from 0 (i=0) to 1 (i=n-1)."""
    return 0.5 - 0.5 * math.cos(math.pi * i / (n - 1)) if n > 1 else 1.0


def envelope(n, attack, decay=None, release=0.0):
    """Per-sample gains: smooth attack, optional exponential decay
    (time constant `decay`, seconds) and smooth release at the end."""
    na = max(2, int(attack * RATE))
    nr = int(release * RATE)
    env = []
    for i in range(n):
        g = ramp(i, na) if i < na else 1.0
        if decay:
            g *= math.exp(-i / (decay * RATE))
        if nr > 1 and i >= n - nr:
            g *= ramp(n - 1 - i, nr)
        env.append(g)
    return env


def partial(n, freq, amp=1.0, decay=None, attack=0.004, start=0.0):
    """One sine partial (constant frequency, or a (f0, f1) glide using a
    smooth exponential curve) shaped by its own envelope."""
    out = silence(n / RATE)
    s0 = int(start * RATE)
    m = n - s0
    env = envelope(m, attack, decay)
    phase = 0.0
    for i in range(m):
        if isinstance(freq, tuple):
            t = i / (m - 1)
            t = t * t * (3 - 2 * t)                      # smoothstep
            f = freq[0] * (freq[1] / freq[0]) ** t
        else:
            f = freq
        out[s0 + i] = amp * env[i] * math.sin(phase)
        phase += 2 * math.pi * f / RATE
    return out


def mix(*signals):
    return [sum(vals) for vals in zip(*signals)]


def apply(signal, gains):
    return [s * g for s, g in zip(signal, gains)]


def remove_dc(signal):
    mean = sum(signal) / len(signal)
    return [s - mean for s in signal]


def fade(signal, fade_in=MIN_FADE, fade_out=MIN_FADE):
    """Raised-cosine fades so the first and last samples are exactly 0."""
    out = list(signal)
    n = len(out)
    ni = max(2, int(fade_in * RATE))
    no = max(2, int(fade_out * RATE))
    for i in range(min(ni, n)):
        out[i] *= ramp(i, ni)
    for i in range(min(no, n)):
        out[n - 1 - i] *= ramp(i, no)
    return out


def normalise(signal, peak_db):
    peak = max(abs(s) for s in signal)
    gain = 10 ** (peak_db / 20) / peak
    return [s * gain for s in signal]


def trim_tail(signal, tail_fade=0.010):
    """Cut trailing audio quieter than SILENCE_DB, then fade the cut."""
    limit = 10 ** (SILENCE_DB / 20)
    end = len(signal)
    while end > 1 and abs(signal[end - 1]) < limit:
        end -= 1
    return fade(signal[:end], fade_in=0.0, fade_out=tail_fade)


def finish(signal, peak_db):
    """DC removal, click-free edges, level, and tail trim (in that order)."""
    return trim_tail(normalise(fade(remove_dc(signal)), peak_db))


def write(path, signal, rate=None):
    rate = rate or RATE
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    pcm = array.array("h", (max(-32767, min(32767, round(s * 32767)))
                            for s in signal))
    if sys.byteorder == "big":
        pcm.byteswap()                 # WAV data is little-endian
    with wave.open(full, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    print(f"wrote {path}: {len(signal) / rate:.3f} s")


# --- the sounds -----------------------------------------------------------

def bell():
    """Struck bell: inharmonic partials on E5, each with its own decay."""
    n = int(2.0 * RATE)
    f0 = 659.25
    sig = mix(partial(n, f0 * 1.00, 1.00, decay=0.55),
              partial(n, f0 * 2.00, 0.45, decay=0.38),
              partial(n, f0 * 2.76, 0.30, decay=0.25),
              partial(n, f0 * 5.40, 0.12, decay=0.10))
    sig = apply(sig, envelope(n, attack=0.004, release=0.6))
    return finish(sig, -3.5)


def chime():
    """Three soft ascending notes (C5 E5 G5), rounder and quieter than bell."""
    n = int(1.2 * RATE)
    notes = []
    for k, f in enumerate((523.25, 659.25, 783.99)):
        start = 0.14 * k
        notes.append(partial(n, f, 1.0, decay=0.26, attack=0.012, start=start))
        notes.append(partial(n, 2 * f, 0.12, decay=0.15, attack=0.012,
                             start=start))
    sig = apply(mix(*notes), envelope(n, attack=0.012, release=0.35))
    return finish(sig, -5.8)


def tick():
    """Short soft woodblock-like knock, about 60 ms."""
    n = int(0.060 * RATE)
    sig = mix(partial(n, 900.0, 1.00, decay=0.012, attack=0.003),
              partial(n, 900.0 * 2.3, 0.35, decay=0.006, attack=0.003),
              partial(n, 900.0 * 3.9, 0.12, decay=0.004, attack=0.003))
    sig = apply(sig, envelope(n, attack=0.003, release=0.010))
    return finish(sig, -5.0)


def breath(seconds, f_from, f_to, attack, release):
    """Gliding soft triangle-ish tone (sine plus gentle odd harmonics)."""
    n = int(seconds * RATE)
    sig = mix(partial(n, (f_from, f_to), 1.00, attack=0.0),
              partial(n, (3 * f_from, 3 * f_to), 0.08, attack=0.0),
              partial(n, (2 * f_from, 2 * f_to), 0.05, attack=0.0))
    return apply(sig, envelope(n, attack=attack, release=release))


def inhale():
    """Rises: 220 -> 330 Hz, swelling in volume, short release."""
    return finish(breath(1.5, 220.0, 330.0, attack=1.1, release=0.35), -5.0)


def exhale():
    """Falls: 330 -> 220 Hz, soft onset then a long fade out."""
    return finish(breath(1.8, 330.0, 220.0, attack=0.25, release=1.5), -5.0)


def soft_bowl():
    """Singing bowl near 240 Hz: close partial pairs beat slowly."""
    n = int(4.0 * RATE)
    f0 = 240.0
    sig = mix(partial(n, f0, 1.00, decay=1.4, attack=0.04),
              partial(n, f0 + 2.2, 0.70, decay=1.3, attack=0.04),
              partial(n, f0 * 2.71, 0.28, decay=0.8, attack=0.04),
              partial(n, f0 * 2.71 + 3.1, 0.20, decay=0.7, attack=0.04),
              partial(n, f0 * 5.12, 0.06, decay=0.35, attack=0.04))
    sig = apply(sig, envelope(n, attack=0.04, release=1.2))
    return finish(sig, -4.0)


# --- background beds: 30 s loops that repeat seamlessly, at 22050 Hz ---------

BED_RATE = 22050
BED_SECONDS = 30.0


def ocean():
    """Soft surf: low-passed noise swelling and settling every 7.5 s (four swells per loop).
    The noise is made 0.5 s longer and its end cross-faded into its start, so the loop has no seam."""
    import random

    rng = random.Random(1234)
    n = int(BED_SECONDS * BED_RATE)
    extra = int(0.5 * BED_RATE)
    a = math.exp(-2 * math.pi * 500.0 / BED_RATE)  # one-pole low-pass near 500 Hz, twice
    y1 = y2 = 0.0
    noise = []
    for _ in range(n + extra):
        y1 = a * y1 + (1 - a) * (rng.random() * 2 - 1)
        y2 = a * y2 + (1 - a) * y1
        noise.append(y2)
    for i in range(extra):  # the tail fades into the head
        w = i / extra
        noise[i] = noise[i] * w + noise[n + i] * (1 - w)
    noise = noise[:n]
    period = BED_SECONDS / 4
    sig = [v * (0.35 + 0.65 * math.sin(math.pi * (i / BED_RATE) / period) ** 2) for i, v in enumerate(noise)]
    return normalise(remove_dc(sig), -12.0)


def drone():
    """A quiet pad on A (110 Hz) with its fifth and octave, breathing slowly; every partial makes a whole
    number of cycles in 30 s, so the loop repeats without a seam."""
    n = int(BED_SECONDS * BED_RATE)
    partials = [(110.0, 1.0), (165.0, 0.5), (220.1, 0.35), (329.9, 0.18)]
    sig = []
    for i in range(n):
        t = i / BED_RATE
        lfo = 0.75 + 0.25 * math.sin(2 * math.pi * 0.1 * t)
        sig.append(lfo * sum(amp * math.sin(2 * math.pi * f * t) for f, amp in partials))
    return normalise(sig, -12.0)


def main():
    write("sounds/bell.wav", bell())
    write("sounds/chime.wav", chime())
    write("sounds/tick.wav", tick())
    write("sounds/inhale.wav", inhale())
    write("sounds/exhale.wav", exhale())
    write("scripts/sounds/soft-bowl.wav", soft_bowl())
    write("sounds/beds/ocean.wav", ocean(), BED_RATE)
    write("sounds/beds/drone.wav", drone(), BED_RATE)


if __name__ == "__main__":
    main()
