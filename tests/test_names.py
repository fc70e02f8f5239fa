"""Routines by name: a SCRIPT that is not a path is NAME.yaml here, then in your routines folder, then
among the shipped routines; the same in check, plan, render, play and config; `list` and `new --save`.
Real processes, real files, a routines folder of the test's own."""

import os
from pathlib import Path

import pytest

from testsupport.cli import voiceguide
from voiceguide.routine import lookup
from voiceguide.routine.lookup import UnknownRoutine, display_name, every_routine, find_routine, is_name

TINY = """\
title: {title}
steps:
  - title: Settle
    say: Breathe out slowly.
"""


def routine(folder: Path, name: str, title: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(TINY.format(title=title))
    return path


@pytest.fixture
def places(tmp_path, monkeypatch):
    """An empty working folder and an empty routines folder of this test's own."""
    here, mine, home = tmp_path / "here", tmp_path / "mine", tmp_path / "home"
    for folder in (here, home):
        folder.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("VOICEGUIDE_ROUTINES_DIR", str(mine))
    return here, mine, home


def run(*args, cwd, env_extra=None, stdin=None):
    return voiceguide(*args, cwd=cwd, extra_env={"COLUMNS": "200", **(env_extra or {})}, timeout=300, stdin=stdin)


# ------------------------------------------------------------------ the lookup (library)


@pytest.mark.parametrize("arg, name", [
    ("daily-five", True), ("glute-release", True), ("v1.2", True),
    ("daily-five.yaml", False), ("x.YML", False), ("./daily-five", False), ("a/b", False), ("/abs/x", False),
    (".", False), ("..", False), ("", False),
])
def test_what_counts_as_a_name(places, arg, name):
    assert is_name(arg) is name


def test_an_existing_file_or_folder_without_suffix_is_a_path(places):
    here, _, _ = places
    (here / "myroutine").write_text(TINY.format(title="No suffix"))
    (here / "folder").mkdir()
    assert not is_name("myroutine") and find_routine("myroutine") == Path("myroutine")
    assert not is_name("folder")


def test_here_wins_over_yours_wins_over_shipped(places):
    here, mine, _ = places
    shipped = lookup.shipped_scripts_dir() / "daily-five.yaml"
    assert find_routine("daily-five") == shipped
    routine(mine, "daily-five.yml", "Yours")
    assert find_routine("daily-five") == mine / "daily-five.yml"
    routine(here, "daily-five.yaml", "Here")
    assert find_routine("daily-five") == Path("daily-five.yaml")
    files = every_routine()["daily-five"]
    assert [f.origin for f in files] == ["here", "yours", "shipped"]
    assert find_routine("scripts/daily-five.yaml") == Path("scripts/daily-five.yaml")  # a path stays as given


def test_yaml_comes_before_yml_in_one_folder(places):
    _, mine, _ = places
    routine(mine, "twin.yml", "yml")
    routine(mine, "twin.yaml", "yaml")
    assert find_routine("twin") == mine / "twin.yaml"
    assert [f.path.name for f in every_routine()["twin"]] == ["twin.yaml"]


def test_an_unknown_name_gives_the_closest_names(places):
    with pytest.raises(UnknownRoutine) as exc:
        find_routine("daily-fiv")
    assert str(exc.value).startswith("no routine called daily-fiv; closest: daily-five")
    with pytest.raises(UnknownRoutine) as exc:
        find_routine("zzzzzz")
    assert "closest" not in str(exc.value) and "voiceguide list" in str(exc.value)


def test_only_yaml_files_that_look_like_routines_count_here(places):
    here, _, _ = places
    (here / "docker-compose.yaml").write_text("services:\n  web:\n    image: x\n")
    routine(here, "mine.yaml", "Mine")
    names = every_routine()
    assert "mine" in names and "docker-compose" not in names


def test_display_names_are_short_and_never_site_packages(places, monkeypatch):
    here, mine, home = places
    shipped = lookup.shipped_scripts_dir() / "glute-release.yaml"
    assert display_name(shipped) == "glute-release.yaml (shipped)"
    assert display_name(routine(mine, "a.yaml", "A")) == str(mine / "a.yaml")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("VOICEGUIDE_ROUTINES_DIR")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    path = routine(lookup.user_routines_dir(), "b.yaml", "B")
    assert path.is_relative_to(home / ".local" / "share" / "voiceguide" / "routines")
    assert display_name(path) == "~/.local/share/voiceguide/routines/b.yaml"
    assert display_name(Path("b.yaml")) == "b.yaml"


# ------------------------------------------------------------------ the commands, by name


def test_check_plan_config_by_name_from_an_empty_folder(places):
    here, mine, _ = places
    routine(mine, "evening.yaml", "Evening")
    check = run("check", "daily-five", "evening", "--estimate", cwd=here)
    assert check.returncode == 0, check.stderr
    assert "daily-five.yaml (shipped): ok: 'Daily five'" in check.stdout
    assert f"{mine / 'evening.yaml'}: ok: 'Evening'" in check.stdout
    plan = run("plan", "evening", "--estimate", cwd=here)
    assert plan.returncode == 0 and "Breathe out slowly." in plan.stdout
    config = run("config", "--routine", "daily-five", cwd=here, env_extra={"VOICEGUIDE_CONFIG_DIR": str(here / "cfg")})
    assert config.returncode == 0 and "routine daily-five.yaml (shipped)" in config.stdout


def test_render_and_play_by_name(places):
    here, mine, _ = places
    routine(mine, "tiny.yaml", "Tiny")
    render = run("render", "tiny", "--engine", "espeak", "-o", "out", cwd=here)
    assert render.returncode == 0, render.stderr
    assert (here / "out" / "tiny.mp3").stat().st_size > 1000 and (here / "out" / "tiny.srt").exists()
    assert render.stdout.startswith("out/tiny.mp3")
    with open(os.devnull) as nothing:
        play = run("play", "tiny", "--engine", "espeak", "--audio-backend", "null", cwd=here, stdin=nothing)
    assert play.returncode == 0, play.stderr
    assert "Settle" in play.stdout


def test_a_batch_renders_by_name(places):
    here, mine, _ = places
    routine(mine, "one.yaml", "One")
    routine(here, "two.yaml", "Two")
    proc = run("render", "one", "two", "--engine", "espeak", "-o", "out", "--jobs", "2", cwd=here)
    assert proc.returncode == 0, proc.stderr
    assert (here / "out" / "one.mp3").exists() and (here / "out" / "two.mp3").exists()
    assert "2 of 2 rendered" in proc.stderr
    typo = run("render", "one", "tow", "--engine", "espeak", "-o", "typo", cwd=here)
    assert typo.returncode == 1 and "no routine called tow; closest: two" in typo.stderr
    assert not (here / "typo").exists()  # every name is looked up before anything renders


@pytest.mark.parametrize("command", [["check"], ["plan"], ["render"], ["play"], ["config", "--routine"]])
def test_an_unknown_name_is_one_line_and_exit_1(places, command):
    here, _, _ = places
    proc = run(*command, "glute-relase", cwd=here)
    assert proc.returncode == 1, proc.stderr
    assert "no routine called glute-relase; closest: glute-release" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_diagnostics_of_a_routine_found_by_name_carry_file_line_column(places):
    here, _, home = places
    env = {"HOME": str(home), "VOICEGUIDE_ROUTINES_DIR": "", "XDG_DATA_HOME": ""}
    folder = home / ".local" / "share" / "voiceguide" / "routines"
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text("title: Broken\nsteps:\n  - say: Hi.\n    for: soon\n")
    proc = run("check", "broken", "--estimate", cwd=here, env_extra=env)
    assert proc.returncode == 1
    assert proc.stderr.startswith("~/.local/share/voiceguide/routines/broken.yaml:4:10: ")


def test_new_save_writes_into_your_routines_folder(places):
    here, mine, _ = places
    made = run("new", "evening-stretch", "--save", cwd=here)
    assert made.returncode == 0, made.stderr
    path = mine / "evening-stretch.yaml"
    assert path.exists() and not list(here.iterdir())
    assert "voiceguide check evening-stretch" in made.stdout and "voiceguide check evening-stretch" in path.read_text()
    elsewhere = here / "sub"
    elsewhere.mkdir()
    check = run("check", "evening-stretch", "--estimate", cwd=elsewhere)
    assert check.returncode == 0 and "'Evening stretch'" in check.stdout
    text = path.read_text()
    again = run("new", "evening-stretch", "--save", cwd=here)
    assert again.returncode == 1 and "already exists" in again.stderr and path.read_text() == text
    hides = run("new", "daily-five", "--save", cwd=here)
    assert hides.returncode == 0 and "hides the shipped routine daily-five" in hides.stdout
    routine(elsewhere, "evening.yaml", "Evening here")
    shadowed = run("new", "evening", "--save", cwd=elsewhere)
    assert shadowed.returncode == 0 and (mine / "evening.yaml").exists()
    assert "note: in this folder, evening means evening.yaml (a routine here comes first)" in shadowed.stdout
    bad = run("new", "a/b", "--save", cwd=here)
    assert bad.returncode == 2 and "not a path" in bad.stderr and "Traceback" not in bad.stderr


def test_list_shows_names_and_where_each_comes_from(places):
    here, mine, _ = places
    routine(mine, "daily-five.yaml", "My daily five")
    routine(mine, "evening.yaml", "Evening")
    routine(here, "evening.yaml", "Evening here")
    proc = run("list", cwd=here)
    assert proc.returncode == 0, proc.stderr
    lines = {line.split()[0]: line for line in proc.stdout.splitlines()[1:] if line.strip()}
    assert "yours (hides shipped)" in lines["daily-five"] and "My daily five" in lines["daily-five"]
    assert "here (hides yours)" in lines["evening"] and "Evening here" in lines["evening"]
    assert "shipped" in lines["glute-release"] and "Glute release" in lines["glute-release"]
    shipped = lookup.shipped_scripts_dir()
    assert "site-packages" not in proc.stdout and str(shipped) not in proc.stdout
    assert str(mine) in proc.stdout  # where yours are, and how to add one
    folder = run("list", str(mine), cwd=here)  # a folder's files, as before
    assert folder.returncode == 0 and "evening.yaml" in folder.stdout
