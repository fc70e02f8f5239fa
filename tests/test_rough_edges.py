"""Four rough edges of issue 14, each held here: the chapter count, the totals at other paces, the pace's
name in `config`, and the message for a `{side}` whose `sides` is invalid."""

import json
import re
from dataclasses import replace

import pytest

from testsupport.audio import ffprobe
from testsupport import ROOT
from testsupport.routines import load_text
from testsupport.cli import voiceguide
from voiceguide.plan.planner import plan
from voiceguide.cli.report import PaceTotal, _ScaledLengths, pace_line, pace_totals
from voiceguide.routine.settings import PACES, pace_label, resolve
from voiceguide.plan.timeline import EstimatedLengths

WITH_INTRO = """\
title: Counted
intro: Lie down and let your breathing settle.
steps:
  - title: Knee hug
    sides: [right, left]
    say: Hug your {side} knee.
    for: 4s
  - rest: 2s
    say: Relax.
outro: Done.
"""


def run(*args, cwd, env_extra=None):
    return voiceguide(*args, cwd=cwd, extra_env={"COLUMNS": "200", **(env_extra or {})}, timeout=300)


def test_check_plan_render_and_the_mp3_count_the_same_chapters(tmp_path):
    (tmp_path / "counted.yaml").write_text(WITH_INTRO)
    check = run("check", "counted.yaml", "--engine", "espeak", cwd=tmp_path)
    plan_out = run("plan", "counted.yaml", "--engine", "espeak", cwd=tmp_path)
    data = json.loads(run("plan", "counted.yaml", "--engine", "espeak", "--json", cwd=tmp_path).stdout)
    render = run("render", "counted.yaml", "--engine", "espeak", "-o", "out", cwd=tmp_path)
    assert check.returncode == plan_out.returncode == render.returncode == 0, check.stderr + render.stderr
    in_file = len(ffprobe(tmp_path / "out" / "counted.mp3")["chapters"])
    assert data["chapters"][0]["title"] == "Introduction"
    assert in_file == len(data["chapters"]) == 4  # the introduction, two sides, the rest (the outro is in it)
    counts = [int(re.search(r"(\d+) chapters", out).group(1)) for out in (check.stdout, plan_out.stdout, render.stdout)]
    assert counts == [in_file] * 3


class Slower(EstimatedLengths):
    """A voice whose every clip is 30% longer than the estimate, as a real voice differs from it."""

    def speech(self, text, role="narration"):
        return 1.3 * super().speech(text, role)


def test_the_totals_at_other_paces_agree_with_the_real_plan_at_those_paces():
    routine = load_text((ROOT / "scripts" / "daily-five.yaml").read_text())
    settings = resolve(routine)
    real = plan(routine, settings, Slower(settings))
    again = plan(routine, settings, _ScaledLengths(real, settings))
    assert again.duration == pytest.approx(real.duration, abs=1e-6)  # at its own pace: the real lengths back
    totals = {t.name: t for t in pace_totals(routine, real)}
    assert set(totals) == set(PACES)
    for name, value in PACES.items():
        other = replace(settings, pace=value)
        truth = plan(routine, other, Slower(other)).duration
        assert totals[name].total == pytest.approx(truth, abs=0.5), name
        assert totals[name].in_use == (value == settings.pace)
    naive = plan(routine, replace(settings, pace=PACES["gentle"])).duration  # the old, unscaled estimate
    assert abs(naive - totals["gentle"].total) > 10


def test_the_pace_line_marks_the_estimates_and_a_pace_without_a_name():
    line = pace_line([PaceTotal("0.9", 400.0, True), PaceTotal("gentle", 500.0, False),
                      PaceTotal("brisk", None, False)])
    assert line.startswith("at each pace: 0.9 6m 40s (this plan), gentle ~8m 20s, brisk (does not fit)")
    assert "~ estimated" in line


def test_plan_shows_the_real_total_for_its_own_pace(tmp_path):
    proc = run("plan", "daily-five", "--engine", "espeak", cwd=tmp_path)  # daily-five's own pace: brisk
    assert proc.returncode == 0, proc.stderr
    total = re.search(r"^total \S+ \((\d+m \d+s)\)", proc.stdout, re.M).group(1)
    paces = next(line for line in proc.stdout.splitlines() if line.startswith("at each pace:"))
    assert f"brisk {total} (this plan)" in paces
    assert re.search(r"gentle ~\d+m \d+s", paces) and re.search(r"normal ~\d+m \d+s", paces)
    assert "pace brisk (1.25)" in proc.stdout


def test_config_names_the_pace_it_was_set_to(tmp_path):
    env = {"VOICEGUIDE_CONFIG_DIR": str(tmp_path / "cfg")}
    assert run("config", "set", "pace", "brisk", cwd=tmp_path, env_extra=env).returncode == 0
    shown = run("config", cwd=tmp_path, env_extra=env)
    assert re.search(r"^pace\s+brisk \(1\.25\)\s+config", shown.stdout, re.M), shown.stdout
    assert run("config", "set", "pace", "1.1", cwd=tmp_path, env_extra=env).returncode == 0
    assert re.search(r"^pace\s+1\.1\s", run("config", cwd=tmp_path, env_extra=env).stdout, re.M)
    assert [pace_label(p) for p in (0.8, 1.0, 1.25, 0.9)] == ["gentle (0.8)", "normal (1.0)", "brisk (1.25)", "0.9"]


def test_a_side_in_a_step_with_invalid_sides_says_so(tmp_path):
    (tmp_path / "badside.yaml").write_text(
        "title: Bad side\nsteps:\n  - title: Knee hug\n    sides: [right]\n    say: Hug your {side} knee.\n    for: 20s\n"
    )
    proc = run("check", "badside.yaml", "--estimate", cwd=tmp_path)
    assert proc.returncode == 1
    assert "badside.yaml:4:12: sides must be a list of two labels" in proc.stderr
    assert "badside.yaml:5:19: {side} has no value here: the step's `sides` is not valid" in proc.stderr
    assert "no step comes after" not in proc.stderr
    (tmp_path / "last.yaml").write_text("title: Last\nsteps:\n  - say: Next is {next}.\n")
    last = run("check", "last.yaml", "--estimate", cwd=tmp_path)  # {next} keeps its own message
    assert "{next} has no value here: no step comes after this one" in last.stderr
