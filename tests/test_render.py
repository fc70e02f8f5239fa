"""Rendering on real parts: espeak-ng, ffmpeg, MP3s read back with ffprobe and decoded."""

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from testsupport import ROOT
from voiceguide import dsp
from voiceguide.export.render import export
from voiceguide.session.build import session
from voiceguide.voice import ClipCache
from testsupport.audio import decode, ffprobe, onset_lag
from testsupport.cli import PIPER, voiceguide

SHIPPED = sorted((ROOT / "scripts").glob("*.yaml"))
TOLERANCE = 0.050  # seconds: how closely the file must follow `plan --json`


def run_cli(*args, env=None, **kw):
    return voiceguide(*args, env=env, **kw)


@pytest.fixture(scope="session")
def cache_env(shared_clips):
    return shared_clips, dict(os.environ, VOICEGUIDE_CACHE_DIR=str(shared_clips))


# The shortest routine is rendered in the default voice, Kokoro's (as tests/test_voice_choice.py plans
# it, from the same clips); the others in Piper's voice (as tests/test_reliability.py renders them).
# What these tests check of a render (the file against its plan, tags, chapters, loudness and true
# peak) is the mix's and the encoder's work more than the voice's, and Kokoro synthesises 4-6x slower
# than Piper on a processor without VNNI: 415 s of the suite's 1,629 s when every routine spoke in
# Kokoro's voices. Kokoro's own renders are checked against their plans in tests/test_kokoro.py.
KOKORO_ROUTINE = "two-minute-reset"


def engine_args(path: Path) -> tuple[str, ...]:
    """The engine a shipped routine is rendered with here."""
    return () if path.stem == KOKORO_ROUTINE else PIPER


@pytest.fixture(scope="session")
def rendered(tmp_path_factory, cache_env):
    """Every shipped routine rendered by the real CLI, with its `plan --json` beside it, and the
    summary lines render printed (one per file)."""
    cache, env = cache_env
    out = tmp_path_factory.mktemp("renders")
    stdout = []
    for args in sorted({engine_args(p) for p in SHIPPED}):
        paths = [str(p) for p in SHIPPED if engine_args(p) == args]
        proc = run_cli("render", *paths, "-o", str(out), *args, env=env)
        assert proc.returncode == 0, proc.stderr
        stdout.append(proc.stdout)
    plans = {}
    for path in SHIPPED:
        p = run_cli("plan", str(path), "--json", *engine_args(path), env=env)
        assert p.returncode == 0, p.stderr
        plans[path.stem] = json.loads(p.stdout)
    assert plans[KOKORO_ROUTINE]["settings"]["engine"] == "kokoro"
    return out, plans, "".join(stdout)


def loudness(path: Path) -> tuple[float, float]:
    err = subprocess.run(
        ["ffmpeg", "-nostats", "-i", str(path), "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        capture_output=True, text=True,
    ).stderr
    integrated = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", err)[-1])
    peak = float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", err)[-1])
    return integrated, peak




def test_render_prints_a_summary_line_per_file(rendered):
    out, plans, stdout = rendered
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == len(SHIPPED)
    for line in lines:
        assert re.search(r"\.mp3\s+\d+:\d\d\.\d\s+[\d.]+ MB\s+\d+ chapters", line), line


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_mp3_matches_plan(rendered, cache_env, path):
    out, plans, _ = rendered
    plan = plans[path.stem]
    mp3 = out / f"{path.stem}.mp3"
    info = ffprobe(mp3)
    stream = info["streams"][0]
    assert stream["codec_name"] == "mp3" and stream["channels"] == 1
    # duration as ffprobe reports it (whole MP3 frames, encoder delay included) and as decoded
    assert abs(float(info["format"]["duration"]) - plan["duration"]) < TOLERANCE
    # tags
    tags = info["format"]["tags"]
    assert tags["title"] == plan["title"]
    assert tags["artist"] and tags["album"]
    if plan["summary"]:
        assert tags["comment"] == plan["summary"]
    # one chapter per plan chapter, same starts and titles
    chapters = info["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [c["title"] for c in plan["chapters"]]
    for got, want in zip(chapters, plan["chapters"]):
        assert abs(float(got["start_time"]) - want["start"]) < TOLERANCE
    # decoded audio: as long as the plan, and every utterance starts where the plan says
    audio = decode(mp3)
    assert abs(audio.size / dsp.RATE - plan["duration"]) < TOLERANCE
    from voiceguide.voice import Voice

    voice = Voice.create(plan["settings"]["engine"], plan["settings"]["voice"], plan["settings"]["language"], plan["settings"]["speech_rate"],
                         ClipCache(cache_env[0]))
    lags = []
    for ev in plan["events"]:
        if ev["kind"] == "speech":
            lags.append(onset_lag(audio, dsp.from_int16(voice.clip(ev["text"], ev.get("role", "narration"))), ev["start"]))
    assert lags and max(abs(x) for x in lags) < TOLERANCE, max(lags, key=abs)
    # silence where the plan has nothing: the middle of each hold's longest quiet stretch
    sounding = sorted((e["start"], e["end"]) for e in plan["events"] if e["kind"] in ("speech", "sound"))
    gaps = [(a_end, b_start) for (_, a_end), (b_start, _) in zip(sounding, sounding[1:]) if b_start - a_end > 1.0]
    for a, b in gaps[:20]:
        quiet = audio[int((a + 0.2) * dsp.RATE) : int((b - 0.2) * dsp.RATE)]
        assert np.abs(quiet).max() < 0.01, (a, b)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_loudness_and_true_peak(rendered, path):
    out, _, _ = rendered
    integrated, peak = loudness(out / f"{path.stem}.mp3")
    assert abs(integrated - (-16.0)) <= 0.5
    assert peak <= -1.0


def test_transcripts_follow_the_speech(rendered):
    out, plans, _ = rendered
    plan = plans["glute-release"]
    speech = [e for e in plan["events"] if e["kind"] == "speech"]
    srt = (out / "glute-release.srt").read_text()
    blocks = [b for b in srt.strip().split("\n\n") if b]
    assert len(blocks) == len(speech)
    first = blocks[0].splitlines()
    assert first[0] == "1" and first[2] == speech[0]["text"]
    h, m, rest = first[1].split(" --> ")[0].split(":")
    assert abs(int(h) * 3600 + int(m) * 60 + float(rest.replace(",", ".")) - speech[0]["start"]) < 0.001
    lrc = (out / "glute-release.lrc").read_text().splitlines()
    assert lrc[0] == f"[ti:{plan['title']}]"
    assert sum(1 for line in lrc if re.match(r"^\[\d\d:\d\d\.\d\d\]", line)) == len(speech)


def test_wav_format_is_sample_exact(tmp_path, cache_env):
    _, env = cache_env
    # the format is under test, not the voice: the fixture's clips, in Piper's voice
    proc = run_cli("render", "scripts/daily-five.yaml", "-o", str(tmp_path), "--format", "wav", *PIPER, env=env)
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(run_cli("plan", "scripts/daily-five.yaml", "--json", *PIPER, env=env).stdout)
    import wave

    with wave.open(str(tmp_path / "daily-five.wav")) as w:
        assert w.getframerate() == dsp.RATE and w.getnchannels() == 1
        assert abs(w.getnframes() - plan["duration"] * dsp.RATE) <= 0.0005 * dsp.RATE + 1  # JSON keeps ms


def test_renders_are_byte_identical(tmp_path, cache_env):
    _, env = cache_env
    for d in ("a", "b"):
        assert run_cli("render", "scripts/breathing-reset.yaml", "-o", str(tmp_path / d), *PIPER, env=env).returncode == 0
    assert (tmp_path / "a" / "breathing-reset.mp3").read_bytes() == (tmp_path / "b" / "breathing-reset.mp3").read_bytes()


def test_pace_and_hold_scale_change_the_file(tmp_path, cache_env):
    _, env = cache_env
    lengths = {}
    for pace in ("gentle", "brisk"):
        # Piper: the pace, not the voice, is under test (Kokoro would synthesise both paces afresh, 3x slower)
        assert run_cli("render", "scripts/daily-five.yaml", "-o", str(tmp_path / pace), "--pace", pace, "--engine", "piper",
                       env=env).returncode == 0
        plan = json.loads(run_cli("plan", "scripts/daily-five.yaml", "--json", "--pace", pace, "--engine", "piper",
                                  env=env).stdout)
        info = ffprobe(tmp_path / pace / "daily-five.mp3")
        lengths[pace] = float(info["format"]["duration"])
        assert abs(lengths[pace] - plan["duration"]) < TOLERANCE
    assert lengths["gentle"] > lengths["brisk"]


def test_interrupted_render_keeps_the_earlier_file(tmp_path, cache_env):
    cache, _ = cache_env
    sess = session(ROOT / "scripts" / "daily-five.yaml", engine="piper", cache=ClipCache(cache))
    good = export(sess, tmp_path).path
    before = good.read_bytes()

    def stop(stage, done, total):
        if stage == "encode" and done > total / 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export(sess, tmp_path, progress=stop)
    assert good.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["daily-five.json", "daily-five.lrc", "daily-five.mp3", "daily-five.srt",
                                                        "daily-five.vtt"]


def test_unknown_voice_is_a_clear_error(cache_env):
    _, env = cache_env
    proc = run_cli("render", "scripts/daily-five.yaml", "--voice", "en-uss", "-o", "/tmp/unused", env=env)
    assert proc.returncode == 1
    assert "unknown voice 'en-uss'" in proc.stderr and "en-us" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_voices_lists_and_samples(tmp_path):
    proc = run_cli("voices", "--language", "en")
    assert proc.returncode == 0
    assert re.search(r"^en-us\s", proc.stdout, re.M)
    proc = run_cli("voices", "--language", "en-gb-x", "--sample", "Breathe in slowly", "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    wavs = sorted(tmp_path.glob("*.wav"))
    assert len(wavs) >= 2 and all(p.stat().st_size > 10_000 for p in wavs)


def test_narration_is_never_an_option(tmp_path):
    """Text that looks like options, SSML or shell is spoken as words."""
    from voiceguide.voice import Voice

    voice = Voice.create("espeak", None, "en", 150, ClipCache(tmp_path))
    for text in ("-v xx --help", "<break time='5s'/> hello", "$(rm -rf ~); echo `id`", '"quoted" \'text\''):
        clip = voice.clip(text)
        assert clip.size > 0.3 * dsp.RATE


def test_damaged_cache_entry_is_rebuilt(tmp_path):
    from voiceguide.voice import Voice

    cache = ClipCache(tmp_path)
    voice = Voice.create("espeak", None, "en", 150, cache)
    first = voice.clip("Relax your shoulders.")
    path = cache.path(voice.key("Relax your shoulders."))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated
    again = Voice.create("espeak", None, "en", 150, cache).clip("Relax your shoulders.")
    assert np.array_equal(first, again)
    assert path.read_bytes() == data


def test_pyttsx3_engine_is_quiet_and_complete(capfd):
    pytest.importorskip("pyttsx3")
    from voiceguide.voice.pyttsx import Pyttsx3

    engine = Pyttsx3()
    voice = engine.resolve_voice(None, "en")
    for text in ("Breathe in.", "Let the ball sink in, and breathe out slowly for a long count of six."):
        samples, rate = engine.synthesize(text, voice, 150)
        assert rate > 8000 and samples.size > 0.4 * rate
    out, _ = capfd.readouterr()
    assert "Audio saved" not in out
