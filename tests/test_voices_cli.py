"""`voiceguide voices --available` and `voices --get` through the real CLI, in a subprocess, against a
real HTTP server on 127.0.0.1 serving copies of the bundled joe voice in Piper's upstream layout.

One download per module: the `fetched` fixture installs two voices once, and the tests that only
read the result share it. The failure tests each get their own empty voices folder."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from pathlib import Path

import pytest
from voiceserver import bundled_joe, layout, md5_of, serve_voices, voice_tree

from voiceguide.voice.catalogue import shipped_catalogue
from voiceguide.voice.listing import available_rows, available_summary, licence_label, licence_of_key
from testsupport.cli import voiceguide

ROOT = Path(__file__).resolve().parent.parent
ROUTINE = "scripts/two-minute-reset.yaml"
TEST_KEY = "en_GB-testvoice-medium"  # not in the shipped catalogue: only the server knows it
SHIPPED_KEY = "de_DE-thorsten-medium"  # in the shipped catalogue, so `--available` can mark it installed
SPARE_KEY = "fr_FR-testb-low"
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
ROW = re.compile(r"^(?P<key>[a-z]{2,3}_[A-Z]{2}-\S+)\s+(?P<language>[a-z]{2,3}-[a-z]{2})\s")


def run(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return voiceguide(*args, extra_env={"VOICEGUIDE_DEBUG": "", **env}, timeout=timeout)


def closed_port_url() -> str:
    """A URL nothing listens on: a server that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def rows(stdout: str) -> dict[str, str]:
    """{key: whole line} of the `--available` table (piped output: one line per voice)."""
    return {m["key"]: line for line in stdout.splitlines() if (m := ROW.match(line))}


def left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


PROGRESS = re.compile(r"^\S+: \d+% \([\d.]+ of [\d.]+ MB\)$")


def one_error_line(stderr: str) -> str:
    """The one "voiceguide: ..." line of a failure; anything else on stderr is a plain progress line."""
    lines = [line for line in stderr.splitlines() if line.strip() and not PROGRESS.match(line)]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("voiceguide: ") and "Traceback" not in stderr
    return lines[0]


@pytest.fixture(scope="module")
def joe_files():
    return bundled_joe()


@pytest.fixture(scope="module")
def server(tmp_path_factory, joe_files):
    root = tmp_path_factory.mktemp("repo")
    voice_tree(root, [TEST_KEY, SHIPPED_KEY, SPARE_KEY], *joe_files)
    base, shutdown = serve_voices(root)
    try:
        yield base
    finally:
        shutdown()


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """A clip cache and an empty config folder for the whole module, so renders reuse clips."""
    base = tmp_path_factory.mktemp("shared")
    (base / "config").mkdir()
    return {"VOICEGUIDE_CACHE_DIR": str(base / "cache"), "VOICEGUIDE_CONFIG_DIR": str(base / "config")}


def env_for(folder: Path, url: str, shared: dict[str, str]) -> dict[str, str]:
    return {**shared, "VOICEGUIDE_VOICES_DIR": str(folder), "VOICEGUIDE_VOICES_URL": url}


@pytest.fixture(scope="module")
def fetched(tmp_path_factory, server, shared):
    """One `voices --get` of two voices (a key after --get, one more as a further argument)."""
    folder = tmp_path_factory.mktemp("voices")
    env = env_for(folder, server, shared)
    result = run("voices", "--get", TEST_KEY, SHIPPED_KEY, env=env)
    return folder, env, result


# ------------------------------------------------------------------ --available, offline


def test_available_works_offline_and_covers_every_language_we_ship_phrases_for(tmp_path, shared):
    result = run("voices", "--available", env=env_for(tmp_path / "voices", closed_port_url(), shared))
    assert result.returncode == 0, result.stderr
    found = rows(result.stdout)
    assert len(found) == len(shipped_catalogue())
    families = {key.split("_")[0] for key in found}
    assert set(LANGUAGES) <= families
    alba = found["en_GB-alba-medium"].split()
    assert alba[:4] == ["en_GB-alba-medium", "en-gb", "medium", "female"] and alba[-1] == "no"
    assert "63.2" in alba and "CC BY 4.0" in found["en_GB-alba-medium"]
    assert "voiceguide voices --get KEY" in result.stdout
    assert "do not use them for renders you publish commercially" in result.stdout


def test_available_flags_the_non_commercial_voices(tmp_path, shared):
    result = run("voices", "--available", "-l", "en", env=env_for(tmp_path / "voices", closed_port_url(), shared))
    found = rows(result.stdout)
    assert "NON-COMMERCIAL" in found["en_US-ryan-medium"] and "CC BY-NC-SA 4.0" in found["en_US-ryan-medium"]
    assert "NON-COMMERCIAL" not in found["en_GB-alba-medium"]
    flagged = {key for key, line in found.items() if "NON-COMMERCIAL" in line}
    assert flagged == {v.key for v in shipped_catalogue().values() if v.family == "en" and v.non_commercial}


def test_available_for_one_language_lists_only_it(tmp_path, shared):
    result = run("voices", "--available", "--language", "de", env=env_for(tmp_path / "voices", closed_port_url(), shared))
    assert result.returncode == 0, result.stderr
    found = rows(result.stdout)
    assert SHIPPED_KEY in found and {line.split()[1] for line in found.values()} == {"de-de"}
    assert f"{len(found)} downloadable Piper voices for de" in result.stdout


def test_available_for_a_language_piper_lacks_is_one_line(tmp_path, shared):
    result = run("voices", "--available", "-l", "xx", env=env_for(tmp_path / "voices", closed_port_url(), shared))
    assert result.returncode == 1
    assert "no voice for language 'xx'" in one_error_line(result.stderr)


# ------------------------------------------------------------------ --get, success


def test_get_installs_both_files_and_says_what_it_fetched(fetched, joe_files):
    folder, _, result = fetched
    assert result.returncode == 0, result.stderr
    assert left(folder) == sorted(f"{k}{s}" for k in (TEST_KEY, SHIPPED_KEY) for s in (".onnx", ".onnx.json"))
    assert md5_of(folder / f"{TEST_KEY}.onnx") == md5_of(joe_files[0])
    size = (joe_files[0].stat().st_size + joe_files[1].stat().st_size) / 1e6
    assert f"fetching {TEST_KEY} ({size:.1f} MB) into {folder}" in result.stdout
    assert f"installed {TEST_KEY}: {folder / TEST_KEY}.onnx (licence unknown" in result.stdout
    assert f"installed {SHIPPED_KEY}: {folder / SHIPPED_KEY}.onnx" in result.stdout
    # stderr is not a terminal here: plain progress lines instead of a bar
    assert f"{TEST_KEY}: 100% ({size:.1f} of {size:.1f} MB)" in result.stderr and "Traceback" not in result.stderr


def test_fetched_voices_are_listed_as_piper_voices_and_as_installed(fetched):
    _, env, _ = fetched
    listed = run("voices", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines() if line.strip()}
    assert "piper" in lines[TEST_KEY] and "voices folder" in lines[TEST_KEY]
    assert "piper" in lines[SHIPPED_KEY] and lines[SHIPPED_KEY].rstrip().endswith("CC0")  # its licence
    assert lines["en_US-joe-medium"].rstrip().endswith("CC0")
    available = rows(run("voices", "--available", "-l", "de", env=env).stdout)
    assert available[SHIPPED_KEY].split()[-1] == "yes"
    assert available["de_DE-thorsten-high"].split()[-1] == "no"


def test_getting_an_installed_voice_again_says_so_in_one_line(fetched):
    folder, env, _ = fetched
    before = (folder / f"{TEST_KEY}.onnx").stat().st_mtime_ns
    again = run("voices", "--get", TEST_KEY, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [f"{TEST_KEY} is already installed in {folder} (checksums match); nothing to do"]
    assert (folder / f"{TEST_KEY}.onnx").stat().st_mtime_ns == before


def test_a_fetched_voice_is_chosen_by_its_key(fetched, tmp_path, shared, server):
    _, env, _ = fetched
    without = run("check", "--voice", TEST_KEY, ROUTINE, env=env_for(tmp_path / "empty", server, shared))
    assert without.returncode == 1 and f"unknown voice '{TEST_KEY}'" in without.stdout + without.stderr
    checked = run("check", "--voice", TEST_KEY, ROUTINE, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok: 'Two-minute reset'" in checked.stdout
    planned = run("plan", "--json", "--voice", TEST_KEY, ROUTINE, env=env)
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["settings"]["voice"] == TEST_KEY


def test_a_render_with_a_fetched_voice_has_the_duration_its_timeline_says(fetched, tmp_path):
    _, env, _ = fetched
    out = tmp_path / "out"
    rendered = run("render", ROUTINE, "--voice", TEST_KEY, "-o", str(out), env=env)
    assert rendered.returncode == 0, rendered.stderr
    assert f"(piper voice {TEST_KEY} at" in rendered.stdout
    timeline = json.loads((out / "two-minute-reset.json").read_text(encoding="utf-8"))
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(out / "two-minute-reset.mp3")],
        capture_output=True, text=True, check=True,
    )
    assert abs(float(probe.stdout) - timeline["duration"]) < 0.050


# ------------------------------------------------------------------ --get, failures: one line, nothing left


def test_an_unknown_key_names_the_closest_keys(tmp_path, server, shared):
    folder = tmp_path / "voices"
    result = run("voices", "--get", "en_GB-testvoice-mediun", env=env_for(folder, server, shared))
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith(f"voiceguide: unknown voice en_GB-testvoice-mediun; closest: {TEST_KEY}")
    assert left(folder) == []


def test_a_server_that_is_down_names_both_urls_and_the_folder(tmp_path, shared):
    base, folder = closed_port_url(), tmp_path / "voices"
    result = run("voices", "--get", SHIPPED_KEY, env=env_for(folder, base, shared))
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    rel = f"{base}/{layout(SHIPPED_KEY)}/{SHIPPED_KEY}"
    assert f"{rel}.onnx " in line and f"{rel}.onnx.json " in line and str(folder) in line
    assert line.startswith(f"voiceguide: cannot fetch the voice catalogue {base}/voices.json (")
    assert left(folder) == []


def test_a_server_that_is_down_and_a_key_the_snapshot_lacks_says_so_with_the_closest_keys(tmp_path, shared):
    base, folder = closed_port_url(), tmp_path / "voices"
    result = run("voices", "--get", "de_DE-thorsten-mediun", "xx_nope-voice", env=env_for(folder, base, shared))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    near, far = [line for line in result.stderr.splitlines() if line.strip()]
    assert near.startswith("voiceguide: no voice called de_DE-thorsten-mediun (closest: de_DE-thorsten-medium")
    assert far.startswith("voiceguide: no voice called xx_nope-voice (none close; see: voiceguide voices --available)")
    for line in (near, far):
        assert f"{base}/voices.json" in line and "cannot be fetched" in line  # why only the snapshot was asked
        assert ".onnx" not in line and "by hand" not in line  # no URLs for files that do not exist
    assert left(folder) == []


def test_a_damaged_file_is_refused_and_nothing_is_left(tmp_path, joe_files, shared):
    root = tmp_path / "repo"
    root.mkdir()
    voice_tree(root, [TEST_KEY], *joe_files)
    served = root / f"{layout(TEST_KEY)}/{TEST_KEY}.onnx"
    damaged = bytearray(joe_files[0].read_bytes())
    damaged[1000] ^= 0xFF
    served.unlink()
    served.write_bytes(bytes(damaged))
    base, shutdown = serve_voices(root)
    folder = tmp_path / "voices"
    try:
        result = run("voices", "--get", TEST_KEY, env=env_for(folder, base, shared))
    finally:
        shutdown()
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert "damaged" in line and md5_of(served) in line and "nothing was installed" in line
    assert left(folder) == []


def test_several_keys_with_one_bad_install_the_good_ones_and_exit_1(tmp_path, server, shared):
    folder = tmp_path / "voices"
    result = run("voices", "--get", "xx_XX-nothing-low", "--get", SPARE_KEY, env=env_for(folder, server, shared))
    assert result.returncode == 1
    assert "unknown voice xx_XX-nothing-low" in one_error_line(result.stderr)
    assert left(folder) == [f"{SPARE_KEY}.onnx", f"{SPARE_KEY}.onnx.json"]
    assert f"installed {SPARE_KEY}" in result.stdout


def test_keys_without_get_and_get_with_available_are_usage_errors(tmp_path, shared):
    env = env_for(tmp_path / "voices", closed_port_url(), shared)
    stray = run("voices", SPARE_KEY, env=env)
    assert stray.returncode == 2 and "voice keys follow --get" in stray.stderr
    both = run("voices", "--available", "--get", SPARE_KEY, env=env)
    assert both.returncode == 2 and "either --available or --get" in both.stderr
    assert left(tmp_path / "voices") == []


# ------------------------------------------------------------------ the listing library, directly


def test_rows_mark_installed_voices_and_the_summary_counts_them():
    catalogue = shipped_catalogue()
    found = available_rows("nl", catalogue, {"nl_nl-ronnie-medium": "user"})
    assert [r.key for r in found] == sorted(v.key for v in catalogue.values() if v.family == "nl")
    ronnie = next(r for r in found if r.key == "nl_NL-ronnie-medium")
    assert (ronnie.installed_label, ronnie.licence, ronnie.non_commercial) == ("yes", "CC0", False)
    assert available_summary(found, "nl")[0].startswith(f"{len(found)} downloadable Piper voices for nl, 1 installed")


def test_licences_of_keys_catalogue_newer_and_own_voices():
    lessac = licence_of_key("en_US-lessac-medium")
    assert lessac.non_commercial and licence_label(lessac) == "Blizzard 2013 Lessac licence, research use only, non-commercial"
    assert licence_label(licence_of_key("en_GB-alba-x_low")) == "CC BY 4.0"  # not in the snapshot: by its dataset
    assert licence_of_key("my-own-voice") is None and licence_label(None) == ""
