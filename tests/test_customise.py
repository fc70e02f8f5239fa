"""Customising pace, voice, breath, guidance, background bed and language; settings precedence."""

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from testsupport import ROOT
from testsupport.routines import load_text, plan_text
from testsupport.cli import voiceguide
from voiceguide import dsp
from voiceguide.routine.settings import Overrides, find_ambient, resolve

RATE = dsp.RATE


def vg(*args, env=None, cwd=ROOT):
    return voiceguide(*args, cwd=cwd, env=env)


@pytest.fixture
def env(tmp_path):
    return dict(os.environ, VOICEGUIDE_CONFIG_DIR=str(tmp_path / "config"),
                VOICEGUIDE_CACHE_DIR=os.environ.get("VOICEGUIDE_TEST_CACHE", str(tmp_path / "cache")))


def settings_of(*args, env):
    proc = vg("plan", "--json", "--estimate", *args, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["settings"]


def test_precedence_cli_over_preset_over_config_over_routine_over_default(env):
    routine = "scripts/daily-five.yaml"  # pace: brisk in the routine
    assert settings_of(routine, env=env)["pace"] == 1.25
    assert vg("config", "set", "pace", "gentle", env=env).returncode == 0
    assert vg("config", "set", "presets.evening.pace", "0.6", env=env).returncode == 0
    assert vg("config", "set", "presets.evening.breath", "4-7-8", env=env).returncode == 0
    assert settings_of(routine, env=env)["pace"] == 0.8
    s = settings_of(routine, "--preset", "evening", env=env)
    assert s["pace"] == 0.6 and s["breath"] == {"in": 4.0, "hold": 7.0, "out": 8.0}
    assert settings_of(routine, "--preset", "evening", "--pace", "normal", env=env)["pace"] == 1.0
    shown = vg("config", "--routine", routine, "--preset", "evening", env=env).stdout
    rows = {line.split()[0]: line for line in shown.splitlines() if line.strip()}
    assert "preset evening" in rows["pace"] and "preset evening" in rows["breath"]
    assert "default" in rows["hold_scale"] and "routine" in rows["language"]


def test_config_set_refuses_bad_values_and_reports_broken_files(env, tmp_path):
    bad = vg("config", "set", "pace", "sprint", env=env)
    assert bad.returncode == 1 and "not a pace" in bad.stderr
    assert vg("config", "set", "volume", "3", env=env).returncode == 1
    cfg = Path(env["VOICEGUIDE_CONFIG_DIR"]) / "config.toml"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("pace = 'gentle'\nrate = = 3\n")
    proc = vg("check", "scripts/daily-five.yaml", "--estimate", env=env)
    assert proc.returncode == 1 and f"{cfg}:2:" in proc.stderr and "Traceback" not in proc.stderr
    assert vg("check", "scripts/daily-five.yaml", "--preset", "nope", env=env).returncode != 0


def test_guidance_levels():
    text = """
        title: T
        intro: Welcome in. Settle down.
        safety: [First note., Second note.]
        steps:
          - title: Figure four
            sides: [right, left]
            say: Cross your {side} ankle. Let it sink. Breathe.
            brief: The {side} side.
            for: 30s
            cues: [{at: half, say: Halfway.}, {countdown: 2}]
          - title: Knees
            say: Hug your knees. Rock gently.
            breaths: 2
            breath_cues: all
        outro: Well done.
    """
    def spoken(level):
        return [(e.role, e.text) for e in plan_text(text, guidance=level).events if e.kind == "speech"]

    full = spoken("full")
    assert ("narration", "Cross your right ankle. Let it sink. Breathe.") in full
    assert ("narration", "The left side.") in full and ("safety", "Second note.") in full
    brief = spoken("brief")
    assert ("narration", "The right side.") in brief and ("narration", "Hug your knees.") in brief
    assert [t for r, t in brief if r == "safety"] == ["First note."]
    minimal = spoken("minimal")
    assert [t for r, t in minimal if r == "narration"] == ["Figure four, right.", "Figure four, left.", "Knees."]
    assert not [t for r, t in minimal if r == "safety"]
    for level in (brief, minimal):  # cues, countdowns and breath cues stay at every level
        assert ("cue", "Halfway.") in level and ("countdown", "1") in level and ("breath", "Breathe in") in level
    assert plan_text(text, guidance="minimal").chapters[0].title == "Figure four (right)"


def test_breath_pattern_drives_breath_holds():
    t = plan_text("title: T\nsteps:\n  - say: Breathe.\n    breaths: 3\n", breath=__import__("voiceguide.routine.settings", fromlist=["x"]).parse_breath("4-7-8"))
    hold = next(e for e in t.events if e.kind == "hold")
    assert hold.length == pytest.approx(3 * 19)


def test_other_language_speaks_its_own_phrases_and_units():
    t = plan_text("""
        title: Dehnung
        language: de
        steps:
          - title: Figur vier
            sides: [rechts, links]
            say: Halte {duration}.
            for: 1m30s
          - say: Atme.
            breaths: 1
            breath_cues: all
    """)
    texts = [e.text for e in t.events if e.kind == "speech"]
    assert texts == ["Halte 1 Minute und 30 Sekunden.", "Seite wechseln.", "Halte 1 Minute und 30 Sekunden.",
                     "Atme.", "Einatmen", "Ausatmen"]
    assert t.settings.language == "de"


def test_voice_by_language_and_gender():
    from voiceguide.voice.espeak import Espeak

    e = Espeak()
    assert e.resolve_voice(None, "de") == "de"
    assert e.resolve_voice("female", "en") == "en-us+f3"
    assert e.resolve_voice("male", "fr").endswith("+m3")


def test_ambient_beds_and_files(tmp_path):
    assert find_ambient("ocean").path.name == "ocean.wav"
    with pytest.raises(ValueError, match="built-in beds: drone, ocean"):
        find_ambient("rain")
    mp3 = tmp_path / "bed.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(ROOT / "sounds" / "beds" / "drone.wav"), str(mp3)], check=True)
    t = plan_text("title: T\nsteps:\n  - say: Hello.\n", ambient=find_ambient(str(mp3)))
    bed = [e for e in t.events if e.role == "ambient"]
    assert len(bed) == 1 and bed[0].start == 0 and bed[0].end == t.duration


def _render_wav(routine_text, tmp_path, name, **settings):
    from voiceguide.session.build import Session
    from voiceguide.export.render import export
    from voiceguide.plan.planner import plan
    from voiceguide.voice import ClipCache, Voice

    routine = load_text(routine_text, tmp_path)
    s = replace(resolve(routine), **settings)
    voice = Voice.create("espeak", None, "en", s.speech_rate, ClipCache(tmp_path / "cache"))
    sess = Session(routine, s, voice, plan(routine, s, voice))
    result = export(sess, tmp_path / name, fmt="wav")
    import wave

    with wave.open(str(result.path)) as w:
        audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    return sess, result, audio


DUCK_ROUTINE = """
    title: Bed test
    steps:
      - title: Long hold
        say: Lie still and listen to the sea while you breathe slowly and deeply.
        for: 24s
        cues:
          - {at: 10s, say: Keep breathing slowly and let your shoulders drop towards the floor.}
"""


def test_ducking_lowers_the_bed_under_speech_by_ten_db(tmp_path):
    from voiceguide.mix.mixer import AMBIENT_LEVEL, Mixer

    with_bed, r1, a1 = _render_wav(DUCK_ROUTINE, tmp_path, "bed", ambient=find_ambient("drone"))
    without, r2, a2 = _render_wav(DUCK_ROUTINE, tmp_path, "plain")
    assert a1.size == a2.size
    cue = next(e for e in with_bed.timeline.events if e.kind == "speech" and e.role == "cue")
    hold = next(e for e in with_bed.timeline.events if e.kind == "hold")
    # In the files: between words the bed is clearly there (the plain render is silent there).
    quiet = slice(int((hold.start + 3.0) * RATE), int((cue.start - 1.0) * RATE))
    assert np.sqrt(np.mean(a2[quiet] ** 2)) < 1e-4 < np.sqrt(np.mean(a1[quiet] ** 2))
    # The bed alone, as the mixer lays it (both mixes at unit gain, before the limiter), against
    # the same bed undimmed straight from its file, at the very same moments.
    m1, m2 = Mixer(with_bed.timeline, with_bed.voice.clip), Mixer(without.timeline, without.voice.clip)
    bed = m1.render(0, m1.length) - m2.render(0, m2.length)
    loop = m1._loop(find_ambient("drone").path)
    reference = loop[np.arange(bed.size) % loop.size] * AMBIENT_LEVEL

    def level_db(a, b):
        seg = slice(int(a * RATE), int(b * RATE))
        return 20 * np.log10(np.sqrt(np.mean(bed[seg] ** 2)) / np.sqrt(np.mean(reference[seg] ** 2)))

    under = level_db(cue.start + 0.5, cue.end - 0.5)  # well inside the speech
    clear = level_db(hold.start + 3.0, cue.start - 1.0)  # no speech near
    assert clear > -1.0  # the bed plays at its level between words
    assert clear - under >= 10.0  # and is at least 10 dB lower under speech


def test_hold_scale_is_exact_in_the_decoded_mp3(tmp_path):
    text = "title: T\nsteps:\n  - say: Hold it there.\n    for: 20s\n"
    path = tmp_path / "hold.yaml"
    path.write_text(text)
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"))
    from voiceguide.audiofile import decode

    bell = decode(ROOT / "sounds" / "bell.wav")[: RATE // 2]
    measured = {}
    for scale in ("1", "1.5"):
        out = tmp_path / scale
        assert vg("render", str(path), "-o", str(out), "--hold-scale", scale, env=env).returncode == 0
        raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out / "hold.mp3"), "-f", "s16le", "-ac", "1", "-ar",
                              str(RATE), "-"], capture_output=True, check=True).stdout
        audio = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768
        n = 1 << int(np.ceil(np.log2(audio.size + bell.size)))
        corr = np.fft.irfft(np.fft.rfft(audio, n) * np.conj(np.fft.rfft(bell, n)), n)[: audio.size]
        first = int(np.argmax(corr))
        masked = corr.copy()
        masked[max(0, first - RATE) : first + RATE] = 0
        second = int(np.argmax(masked))
        measured[scale] = abs(second - first) / RATE
    assert measured["1"] == pytest.approx(20.0, abs=0.02)
    assert measured["1.5"] == pytest.approx(30.0, abs=0.02)


def test_play_and_render_plan_the_same_timeline(tmp_path):
    """Every option goes through the one planner: the live session's timeline equals the render's."""
    from voiceguide.live.ahead import Ahead
    from voiceguide.session.build import session
    from voiceguide.voice import ClipCache, Voice
    from voiceguide.routine.settings import parse_breath

    ov = Overrides(pace=0.9, hold_scale=1.2, breath=parse_breath("3-5"), guidance="brief", ambient=find_ambient("drone"))
    cache = ClipCache(tmp_path)
    rendered = session(ROOT / "scripts" / "glute-release.yaml", ov, "espeak", cache=cache)
    routine = rendered.routine
    settings = rendered.settings
    ahead = Ahead(routine, settings, Voice.create("espeak", settings.voice, settings.language, settings.speech_rate, cache))
    while not ahead.all_rendered:
        ahead.render_some(20)
    assert ahead.timeline.to_json() == rendered.timeline.to_json()
