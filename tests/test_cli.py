"""The command line as a user runs it: a real process, real files, no tracebacks."""

import json

import pytest
import yaml

from testsupport import ROOT
from testsupport.cli import voiceguide

SHIPPED = sorted((ROOT / "scripts").glob("*.yaml"))


def run(*args, cwd=ROOT, **kw):
    return voiceguide(*args, cwd=cwd, timeout=300, **kw)


def test_check_accepts_every_shipped_routine_and_prints_safety_and_length():
    # --estimate: validation is under test here; exact lengths mean synthesising every routine (render's tests do)
    proc = run("check", "--estimate", *[str(p.relative_to(ROOT)) for p in SHIPPED])
    assert proc.returncode == 0, proc.stderr
    for path in SHIPPED:
        assert f"{path.relative_to(ROOT)}: ok:" in proc.stdout
    assert "safety:" in proc.stdout
    assert "m " in proc.stdout  # lengths such as 12m 29s


def test_at_least_six_shipped_routines_cover_every_step_kind():
    kinds = set()
    features = set()

    def walk(steps):
        for step in steps:
            kind = next((k for k in ("for", "breaths", "rest", "sound", "wait", "repeat") if k in step), "spoken")
            kinds.add(kind)
            features.update(k for k in ("sides", "brief", "setup", "cues", "breath_cues") if k in step)
            for cue in step.get("cues", []):
                features.update(f"cue:{k}" for k in cue)
                if cue.get("at") == "half":
                    features.add("cue:half")
                if str(cue.get("at", "")).startswith("-"):
                    features.add("cue:negative")
            walk(step.get("steps", []))

    text = ""
    for path in SHIPPED:
        doc = yaml.safe_load(path.read_text())
        text += path.read_text()
        walk(doc["steps"])
        features.update(k for k in doc if k != "steps")
    assert len(SHIPPED) >= 6
    assert kinds == {"spoken", "for", "breaths", "rest", "sound", "wait", "repeat"}
    assert {"sides", "brief", "setup", "cues", "breath_cues", "cue:countdown", "cue:every", "cue:half", "cue:negative",
            "cue:sound", "cue:say", "sounds", "safety", "intro", "outro", "pace", "breath", "voice", "rate"} <= features
    for placeholder in ("{side}", "{other}", "{round}", "{rounds}", "{duration}", "{breaths}", "{next}", "[pause"):
        assert placeholder in text, placeholder


def test_shipped_routines_validate_against_the_json_schema():
    import jsonschema

    schema = json.loads(run("schema").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in SHIPPED:
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
        assert not errors, (path.name, [e.message for e in errors])
    assert list(validator.iter_errors({"title": "x", "steps": [{"say": "a", "for": "1m", "breaths": 3}]}))
    assert list(validator.iter_errors({"title": "x", "stepz": []}))


def test_plan_table_and_json_agree():
    table = run("plan", "scripts/daily-five.yaml")
    data = json.loads(run("plan", "scripts/daily-five.yaml", "--json").stdout)
    assert table.returncode == 0
    assert data["title"] in table.stdout and "total" in table.stdout
    first_speech = next(e for e in data["events"] if e["kind"] == "speech")
    assert first_speech["text"].split()[0] in table.stdout
    assert [c["title"] for c in data["chapters"]][0] in table.stdout


def test_list_shows_title_summary_and_length():
    proc = run("list")
    assert proc.returncode == 0, proc.stderr
    for path in SHIPPED:
        title = yaml.safe_load(path.read_text())["title"]
        assert title[:20] in proc.stdout


def test_new_writes_a_starter_that_passes_check(tmp_path):
    proc = run("new", "evening-stretch", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "evening-stretch.yaml"
    assert path.exists()
    check = run("check", str(path))
    assert check.returncode == 0, check.stderr
    assert "Evening stretch" in check.stdout
    again = run("new", "evening-stretch", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert path.read_text() == path.read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (["check", "no-such-file.yaml"], "no-such-file.yaml:1:1: no such file"),
        (["plan", "scripts"], "scripts:1:1: is a directory"),
        (["render", "scripts/daily-five.yaml", "--format", "ogg"], "choose one of mp3, m4a, m4b, opus, wav"),
        (["check", "scripts/daily-five.yaml", "--pace", "fast"], "not a pace"),
        (["check", "scripts/daily-five.yaml", "--breath", "4"], "not a breath pattern"),
        (["render", "scripts/daily-five.yaml", "--engine", "nope"], "engine must be one of auto, espeak, pyttsx3"),
    ],
)
def test_bad_usage_gets_a_clear_message(args, message):
    proc = run(*args)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_version_and_help():
    assert run("--version").stdout.startswith("voiceguide ")
    out = run("--help").stdout
    for command in ("check", "plan", "render", "voices", "list", "new", "schema"):
        assert command in out
