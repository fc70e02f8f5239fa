"""Piper's voice catalogue and installing voices by name: the shipped snapshot, and every download
outcome against a real HTTP server on 127.0.0.1 serving real voice files (copies of the bundled joe)."""

from __future__ import annotations

import itertools
import json
import re
import socket
import subprocess
from pathlib import Path

import pytest
from voiceserver import JOE_KEY, bundled_joe, layout, md5_of, serve_voices, voice_tree

from voiceguide.voice import catalogue as cat
from voiceguide.voice.catalogue import (
    CatalogueError,
    lookup,
    parse_catalogue,
    recommended,
    shipped_catalogue,
    voices_for,
)
from voiceguide.voice.download import DownloadError, get_voice
from voiceguide.voice.voicefacts import LICENCES, UNKNOWN

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
KEYS = ["de_DE-testa-medium", "fr_FR-testb-low"]


# ------------------------------------------------------------------ the shipped snapshot


def test_snapshot_parses_and_says_where_it_comes_from():
    raw = json.loads((Path(cat.__file__).parent / cat.SNAPSHOT).read_text(encoding="utf-8"))
    assert raw["source"]["repository"] == "rhasspy/piper-voices" and raw["source"]["revision"] == "v1.0.0"
    voices = shipped_catalogue()
    assert len(voices) == len(raw["voices"]) > 100
    alba = voices["en_GB-alba-medium"]
    assert (alba.language, alba.family, alba.quality, alba.gender) == ("en-gb", "en", "medium", "female")
    assert alba.model.path == "en/en_GB/alba/medium/en_GB-alba-medium.onnx"
    assert alba.size == alba.model.size + alba.config.size > 60_000_000


@pytest.mark.parametrize("language", LANGUAGES)
def test_snapshot_has_natural_voices_for_every_language_we_ship_phrases_for(language):
    found = voices_for(language, shipped_catalogue())
    assert any(v.speakers == 1 and v.quality in ("medium", "high") for v in found), language


def test_the_joe_entry_matches_the_bundled_voice_byte_for_byte():
    model, config = bundled_joe()
    joe = shipped_catalogue()[JOE_KEY]
    assert (joe.model.size, joe.model.md5) == (model.stat().st_size, md5_of(model))
    assert (joe.config.size, joe.config.md5) == (config.stat().st_size, md5_of(config))
    assert (joe.gender, joe.licence, joe.non_commercial) == ("male", "CC0", False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_recommended_voices_are_in_the_catalogue_single_speaker_and_not_non_commercial(language):
    key = recommended(language)
    voice = shipped_catalogue()[key]
    assert voice.family == language and voice.speakers == 1 and voice.quality == "medium"
    assert not voice.non_commercial


NON_COMMERCIAL_WORDS = re.compile(r"\bNC\b|non-commercial|research|all rights reserved", re.IGNORECASE)


def test_every_recorded_licence_is_of_a_catalogue_dataset_and_says_where_it_was_read():
    datasets = {v.name for v in shipped_catalogue().values()}
    assert set(LICENCES) <= datasets, set(LICENCES) - datasets  # a misspelt dataset would never match
    for name, licence in LICENCES.items():
        assert licence.text.strip() and licence.text != UNKNOWN, name
        assert licence.source.strip(), name


def test_the_non_commercial_flag_matches_what_each_licence_text_says():
    for name, licence in LICENCES.items():
        says_nc = bool(NON_COMMERCIAL_WORDS.search(licence.text))
        assert licence.non_commercial == says_nc, (name, licence.text)


def test_licences_read_from_model_cards():
    voices = shipped_catalogue()
    assert voices["de_DE-thorsten-medium"].licence == "CC0" and not voices["de_DE-thorsten-medium"].non_commercial
    assert voices["nl_NL-mls-medium"].licence == "CC-BY 4.0"
    pavoque = voices["de_DE-pavoque-low"]
    assert pavoque.non_commercial and pavoque.licence.startswith("CC BY-NC-SA 4.0 (")
    assert voices["en_US-reza_ibrahim-medium"].licence == voices["fa_IR-reza_ibrahim-medium"].licence == "CC0"
    assert voices["ru_RU-irina-medium"].licence == UNKNOWN  # its card says "License: Unknown"
    assert voices["en_US-amy-medium"].licence == UNKNOWN  # its card says "See URL", and the URL is a whole repository


def test_recommended_follows_the_region_and_knows_when_piper_has_nothing():
    assert recommended("en") == JOE_KEY
    assert shipped_catalogue()[recommended("en-gb")].language == "en-gb"
    assert recommended("pt-PT") == "pt_PT-tugão-medium"
    assert recommended("xx") is None


def test_voices_for_matches_families_and_exact_regions():
    voices = shipped_catalogue()
    german = voices_for("de", voices)
    assert german and {v.language for v in german} == {"de-de"}
    assert {v.language for v in voices_for("en-gb", voices)} == {"en-gb"}
    assert {v.language for v in voices_for("EN_us", voices)} == {"en-us"}
    assert len(voices_for(None, voices)) == len(voices)


def test_lookup_suggests_close_keys():
    voices = shipped_catalogue()
    assert lookup("EN_GB-ALBA-MEDIUM", voices).key == "en_GB-alba-medium"
    with pytest.raises(CatalogueError) as info:
        lookup("en_GB-alba-mediun", voices)
    assert str(info.value).startswith("unknown voice en_GB-alba-mediun; closest: en_GB-alba-medium")


def _one_voice(files: dict | None) -> bytes:
    entry = {"name": "a", "language": {"code": "en_US"}, "quality": "low"}
    return json.dumps({"a": entry if files is None else {**entry, "files": files}}).encode()


GOOD_MD5 = "0" * 32


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"{not json", "does not parse"),
        (b"[]", "object of voices"),
        (_one_voice(None), "'files'"),
        (_one_voice({"a.onnx": {"size_bytes": 1, "md5_digest": "x"}}), "md5_digest"),
        (_one_voice({"a.onnx": {"size_bytes": -1, "md5_digest": GOOD_MD5}}), "size_bytes"),
        (_one_voice({"../a.onnx": {"size_bytes": 1, "md5_digest": GOOD_MD5}}), "relative path"),
        (_one_voice({"a.onnx": {"size_bytes": 1, "md5_digest": GOOD_MD5}}), ".onnx.json"),
    ],
)
def test_malformed_catalogues_are_a_clear_error(data, says):
    with pytest.raises(CatalogueError, match="not a voice catalogue|voice a") as info:
        parse_catalogue(data)
    assert says in str(info.value)


# ------------------------------------------------------------------ downloading, against a real server


@pytest.fixture(scope="module")
def joe_files():
    return bundled_joe()


@pytest.fixture
def server(tmp_path, joe_files):
    """A voices repository of copies of joe under KEYS; yields (base_url, root, catalogue)."""
    root = tmp_path / "repo"
    root.mkdir()
    catalogue = voice_tree(root, KEYS, *joe_files)
    base, shutdown = serve_voices(root)
    try:
        yield base, root, catalogue
    finally:
        shutdown()


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_get_voice_installs_both_files_verified_and_piper_finds_the_voice(server, tmp_path, joe_files):
    from voiceguide.voice.piperfiles import find_voices

    base, _, catalogue = server
    folder = tmp_path / "voices"
    seen = []
    path = get_voice("de_DE-testa-medium", folder, base_url=base, progress=lambda d, t: seen.append((d, t)))
    assert path == folder / "de_DE-testa-medium.onnx"
    assert _left(folder) == ["de_DE-testa-medium.onnx", "de_DE-testa-medium.onnx.json"]
    assert md5_of(path) == md5_of(joe_files[0]) and md5_of(path.with_name(path.name + ".json")) == md5_of(joe_files[1])
    total = sum(f["size_bytes"] for f in catalogue["de_DE-testa-medium"]["files"].values())
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))
    assert "de_DE-testa-medium" in [v.id for v in find_voices(folder) if v.source == "user"]

    mtime = path.stat().st_mtime_ns
    notes = []
    assert get_voice("de_DE-testa-medium", folder, base_url=base, note=notes.append) == path
    assert path.stat().st_mtime_ns == mtime
    assert len(notes) == 1 and "already installed" in notes[0]


def test_voices_url_comes_from_the_environment(server, tmp_path, monkeypatch):
    base, _, _ = server
    monkeypatch.setenv("VOICEGUIDE_VOICES_URL", base)
    folder = tmp_path / "voices"
    assert get_voice("fr_FR-testb-low", folder).name == "fr_FR-testb-low.onnx"


def test_a_damaged_file_is_refused_and_nothing_is_left(tmp_path, joe_files):
    root = tmp_path / "repo"
    root.mkdir()
    catalogue = voice_tree(root, KEYS, *joe_files)
    served = root / f"{layout(KEYS[0])}/{KEYS[0]}.onnx"
    damaged = bytearray(joe_files[0].read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    served.unlink()
    served.write_bytes(bytes(damaged))
    base, shutdown = serve_voices(root)
    folder = tmp_path / "voices"
    try:
        with pytest.raises(DownloadError) as info:
            get_voice(KEYS[0], folder, base_url=base)
    finally:
        shutdown()
    message = str(info.value)
    expected = catalogue[KEYS[0]]["files"][f"{layout(KEYS[0])}/{KEYS[0]}.onnx"]["md5_digest"]
    assert "damaged" in message and expected in message and md5_of(served) in message
    assert "nothing was installed" in message and "\n" not in message
    assert _left(folder) == []


def test_a_connection_cut_half_way_is_refused_and_nothing_is_left(tmp_path, joe_files):
    root = tmp_path / "repo"
    root.mkdir()
    voice_tree(root, KEYS, *joe_files)
    rel = f"{layout(KEYS[0])}/{KEYS[0]}.onnx"
    base, shutdown = serve_voices(root, cut={rel: 5_000_000})
    folder = tmp_path / "voices"
    try:
        with pytest.raises(DownloadError) as info:
            get_voice(KEYS[0], folder, base_url=base)
    finally:
        shutdown()
    message = str(info.value)
    assert "connection was cut" in message and "got 5000000 of" in message and "\n" not in message
    assert message.endswith("nothing was installed; try again")
    assert _left(folder) == []


def test_a_server_that_is_down_names_both_files_and_the_folder(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    folder = tmp_path / "voices"
    with pytest.raises(DownloadError) as info:
        get_voice("de_DE-thorsten-medium", folder, base_url=base)
    message = str(info.value)
    assert f"{base}/de/de_DE/thorsten/medium/de_DE-thorsten-medium.onnx " in message
    assert f"{base}/de/de_DE/thorsten/medium/de_DE-thorsten-medium.onnx.json " in message
    assert str(folder) in message and "\n" not in message
    assert _left(folder) == []


def test_a_server_that_is_down_takes_the_key_and_its_files_from_the_snapshot(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{s.getsockname()[1]}"
    folder = tmp_path / "voices"
    with pytest.raises(DownloadError) as info:
        get_voice("DE_de-thorsten-MEDIUM", folder, base_url=base)  # keys match without regard to case
    assert f"{base}/de/de_DE/thorsten/medium/de_DE-thorsten-medium.onnx " in str(info.value)
    with pytest.raises(DownloadError) as info:
        get_voice("de_DE-thorsten-mediun", folder, base_url=base)
    assert str(info.value).startswith("no voice called de_DE-thorsten-mediun (closest: de_DE-thorsten-medium, ")
    assert _left(folder) == []


def test_an_unknown_key_names_the_closest(server, tmp_path):
    base, _, _ = server
    with pytest.raises(DownloadError) as info:
        get_voice("de_DE-testa-mediun", tmp_path / "voices", base_url=base)
    assert str(info.value) == "unknown voice de_DE-testa-mediun; closest: de_DE-testa-medium"
    assert _left(tmp_path / "voices") == []


def test_a_catalogue_that_does_not_parse_is_refused(server, tmp_path):
    base, root, _ = server
    (root / "voices.json").write_text("<html>maintenance</html>", encoding="utf-8")
    with pytest.raises(DownloadError) as info:
        get_voice(KEYS[0], tmp_path / "voices", base_url=base)
    message = str(info.value)
    assert message.startswith(f"{base}/voices.json is not a Piper voice catalogue") and "\n" not in message
    assert f"{base}/{layout(KEYS[0])}/{KEYS[0]}.onnx " in message
    assert _left(tmp_path / "voices") == []


def test_a_file_missing_on_the_server_is_an_http_error_with_the_urls(server, tmp_path):
    base, root, _ = server
    rel = f"{layout(KEYS[0])}/{KEYS[0]}.onnx.json"
    (root / rel).unlink()
    folder = tmp_path / "voices"
    with pytest.raises(DownloadError) as info:
        get_voice(KEYS[0], folder, base_url=base)
    message = str(info.value)
    assert "HTTP 404" in message and f"{base}/{rel} " in message and str(folder) in message
    assert _left(folder) == []


def test_ctrl_c_half_way_leaves_nothing(server, tmp_path):
    base, _, _ = server
    folder = tmp_path / "voices"

    def interrupt(done, total):
        if done > 10_000_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        get_voice(KEYS[0], folder, base_url=base, progress=interrupt)
    assert _left(folder) == []


def test_a_full_disk_says_the_folder_and_the_space_needed(server, tmp_path):
    base, _, catalogue = server
    mnt = tmp_path / "small"
    mnt.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)]
    mounted = subprocess.run(command, check=False, capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        with pytest.raises(DownloadError) as info:
            get_voice(KEYS[0], mnt, base_url=base)
        message = str(info.value)
        total = sum(f["size_bytes"] for f in catalogue[KEYS[0]]["files"].values())
        assert "no space left" in message and str(mnt) in message and str(total) in message
        assert "\n" not in message
        assert _left(mnt) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
