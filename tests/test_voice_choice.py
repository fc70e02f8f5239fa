"""The default voice and the calm delivery, through the real CLI and the real engines.

`--engine auto` (every command's default) speaks with Kokoro when the neural extra is installed and
one of its voices answers the routine, else with Piper where one of its voices does (a German one
downloaded); without the extra, or without a voice for the language, the system voice speaks and
one line on stderr says how to get a natural one. Per-role delivery
changes the clips of exactly the roles it names."""

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from testsupport import ROOT
from testsupport.cli import run, voiceguide

if not os.environ.get("CI"):
    pytest.importorskip("piper", reason="the [neural] extra is not installed (pip install -e '.[neural]')")

from voiceguide import dsp  # noqa: E402
from voiceguide.routine.delivery import CALM, NEUTRAL  # noqa: E402
from voiceguide.voice import ClipCache, Voice, _clip_loudness  # noqa: E402
from voiceguide.voice.piperfiles import DEFAULT_VOICE, bundled_voices  # noqa: E402

ROUTINE = ROOT / "scripts" / "two-minute-reset.yaml"
WITHOUT_PIPER = "import sys; sys.modules['piper'] = None\nfrom voiceguide.cli import main\nsys.exit(main(sys.argv[1:]))\n"


@pytest.fixture(scope="module")
def env(tmp_path_factory, shared_clips):
    return dict(os.environ, VOICEGUIDE_CACHE_DIR=str(shared_clips),
                VOICEGUIDE_VOICES_DIR=str(tmp_path_factory.mktemp("voices")),
                VOICEGUIDE_CONFIG_DIR=str(tmp_path_factory.mktemp("config")))


def vg(*args, env, without_piper=False):
    if without_piper:
        return run([sys.executable, "-c", WITHOUT_PIPER, *args], env=env)
    return voiceguide(*args, env=env)


def planned(*args, env, without_piper=False) -> tuple[dict, str]:
    proc = vg("plan", *args, "--json", env=env, without_piper=without_piper)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def german(tmp_path: Path) -> Path:
    text = ROUTINE.read_text(encoding="utf-8")
    path = tmp_path / "kurz.yaml"
    path.write_text("language: de\n" + "\n".join(line for line in text.splitlines() if not line.startswith("language:")))
    return path


def test_the_default_engine_is_the_natural_voice(env):
    plan, err = planned(str(ROUTINE), env=env)
    assert (plan["settings"]["engine"], plan["settings"]["voice"]) == ("kokoro", "af_heart")
    assert "voiceguide:" not in err  # nothing to suggest


def test_without_the_extra_the_system_voice_speaks_and_says_how_once(env):
    proc = vg("check", str(ROUTINE), str(ROOT / "scripts" / "breathing-reset.yaml"), env=env, without_piper=True)
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stderr.splitlines() if line.startswith("voiceguide:")]
    assert notes == ["voiceguide: speaking with the system voice; for the natural voice: pip install 'voiceguide[neural]'"]
    plan, _ = planned(str(ROUTINE), env=env, without_piper=True)
    assert plan["settings"]["engine"] == "espeak" and plan["settings"]["voice"] == "en-us"


def test_a_language_without_a_natural_voice_gets_espeak_and_the_exact_get_command(env, tmp_path):
    plan, err = planned(str(german(tmp_path)), env=env)
    assert (plan["settings"]["engine"], plan["settings"]["voice"]) == ("espeak", "de")
    assert "voiceguide voices --get de_DE-thorsten-medium" in err


def test_an_installed_voice_of_the_language_speaks_it(env, tmp_path):
    """A Piper voice whose config says de_DE (the bundled model under another name) is picked by language."""
    joe = next(v for v in bundled_voices() if v.id == DEFAULT_VOICE)
    folder = Path(env["VOICEGUIDE_VOICES_DIR"]) / "de"
    folder.mkdir(exist_ok=True)
    config = json.loads(joe.config.read_text(encoding="utf-8"))
    config["language"] = {"code": "de_DE", "family": "de"}
    config["dataset"] = "testa"
    (folder / "de_DE-testa-medium.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    os.symlink(joe.path, folder / "de_DE-testa-medium.onnx")
    try:
        plan, err = planned(str(german(tmp_path)), env=env)
        assert (plan["settings"]["engine"], plan["settings"]["voice"]) == ("piper", "de_DE-testa-medium")
        assert "voiceguide:" not in err
        english, _ = planned(str(ROUTINE), env=env)
        assert english["settings"]["voice"] == "af_heart"  # English routines keep Kokoro's English voice
    finally:
        shutil.rmtree(folder)


def test_an_espeak_variant_is_the_users_choice(env):
    plan, err = planned(str(ROUTINE), "--voice", "en-us+f3", env=env)
    assert (plan["settings"]["engine"], plan["settings"]["voice"]) == ("espeak", "en-us+f3")
    assert "voiceguide:" not in err


# ------------------------------------------------------------------ delivery


def _speech(plan: dict) -> dict[tuple[str, str], float]:
    return {(e["text"], e["role"]): e["end"] - e["start"] for e in plan["events"] if e["kind"] == "speech"}


@pytest.mark.parametrize("engine", ["espeak", "piper", "kokoro"])
def test_calm_delivery_changes_the_clips_of_exactly_its_roles(env, engine):
    calm, _ = planned(str(ROUTINE), "--engine", engine, env=env)
    flat, _ = planned(str(ROUTINE), "--engine", engine, "--delivery", "flat", env=env)
    assert calm["settings"]["delivery"] == "calm" and flat["settings"]["delivery"] == "flat"
    a, b = _speech(calm), _speech(flat)
    assert a.keys() == b.keys()
    changed = {role for (text, role) in a if abs(a[text, role] - b[text, role]) > 0.01}
    tempo_roles = {role for role, d in CALM.items() if abs(d.tempo - 1) > 0.02}
    present = {role for _, role in a}
    assert changed == tempo_roles & present, (changed, present)
    for (text, role), length in a.items():
        if role in ("breath",):
            assert length > b[text, role] * 1.1, text  # slower
        if role == "countdown":
            assert length < b[text, role], text  # crisper


def test_delivery_levels_and_cache_keys(tmp_path):
    voice = Voice.create("espeak", None, "en", 150, ClipCache(tmp_path))
    narrated = voice.clip("Breathe in.", "narration")
    breath = voice.clip("Breathe in.", "breath")
    quiet = _clip_loudness(dsp.from_int16(breath)) - _clip_loudness(dsp.from_int16(narrated))
    assert abs(quiet - CALM["breath"].gain_db) < 1.0, quiet  # a 0.6 s clip: its loudness is read to about 0.5 dB
    assert breath.size > narrated.size * 1.1
    assert voice.key("Breathe in.", NEUTRAL) != voice.key("Breathe in.", CALM["breath"])
    flat = Voice.create("espeak", None, "en", 150, ClipCache(tmp_path), style="flat")
    assert np.array_equal(flat.clip("Breathe in.", "breath"), narrated)  # flat: the narration clip, from the cache
    assert len(list((tmp_path / "clips").glob("*/*.wav"))) == 2


def test_delivery_is_a_setting(env):
    env = dict(env)
    assert vg("config", "set", "delivery", "flat", env=env).returncode == 0
    plan, _ = planned(str(ROUTINE), "--engine", "espeak", env=env)
    assert plan["settings"]["delivery"] == "flat"
    bad = vg("config", "set", "delivery", "loud", env=env)
    assert bad.returncode == 1 and "delivery must be one of calm, flat" in bad.stderr
    assert vg("config", "set", "delivery", "calm", env=env).returncode == 0
