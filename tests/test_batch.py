"""Batches: several routines on worker processes, failures kept apart, the same bytes as one at a time."""

import os
import re
import signal

from testsupport import ROOT
from testsupport.cli import interrupt_render, processes_mentioning, voiceguide

GOOD = ["scripts/two-minute-reset.yaml", "scripts/daily-five.yaml"]


def vg(*args, env, **kw):
    return voiceguide(*args, env=env, timeout=900, **kw)


def cold_env(tmp_path, name):
    return dict(os.environ, VOICEGUIDE_CACHE_DIR=str(tmp_path / name))


def test_one_bad_routine_does_not_stop_the_others(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: Bad\nsteps:\n  - say: Hello.\n    for: banana\n")
    out = tmp_path / "out"
    proc = vg("render", GOOD[0], str(bad), GOOD[1], "-o", str(out), "--engine", "espeak", "--jobs", "2",
              env=cold_env(tmp_path, "cache"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 2  # a line per file written, in the order given
    assert re.search(r"two-minute-reset\.mp3\s+\d+:\d\d\.\d\s+[\d.]+ MB\s+\d+ chapters", lines[0]), lines
    assert re.search(r"daily-five\.mp3\s+\d+:\d\d\.\d\s+[\d.]+ MB\s+\d+ chapters", lines[1]), lines
    assert f"failed: {bad}" in proc.stderr
    assert re.search(rf"{re.escape(str(bad))}:4:\d+: for: 'banana' is not a duration", proc.stderr), proc.stderr
    assert f"2 of 3 rendered; failed: {bad}" in proc.stderr
    for stem in ("two-minute-reset", "daily-five"):
        assert (out / f"{stem}.mp3").stat().st_size > 100_000
        assert (out / f"{stem}.vtt").read_text().startswith("WEBVTT")
    assert not (out / "bad.mp3").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_parallel_renders_match_serial_ones_byte_for_byte(tmp_path):
    """--jobs 2 on one cold clip cache (both workers filling it at once) gives the very bytes of renders
    made one at a time, each on a cold cache of its own."""
    routines = ["scripts/breathing-reset.yaml", "scripts/two-minute-reset.yaml"]
    parallel = vg("render", *routines, "-o", str(tmp_path / "parallel"), "--engine", "espeak", "--jobs", "2",
                  "--format", "m4a", env=cold_env(tmp_path, "shared-cold"))
    assert parallel.returncode == 0, parallel.stderr
    assert "2 of 2 rendered" in parallel.stderr
    for i, routine in enumerate(routines):
        alone = vg("render", routine, "-o", str(tmp_path / "serial"), "--engine", "espeak", "--format", "m4a",
                   env=cold_env(tmp_path, f"own-cold-{i}"))
        assert alone.returncode == 0, alone.stderr
    for routine in routines:
        stem = routine.split("/")[-1][:-5]
        for suffix in ("m4a", "srt", "vtt", "json"):
            assert (tmp_path / "parallel" / f"{stem}.{suffix}").read_bytes() == \
                (tmp_path / "serial" / f"{stem}.{suffix}").read_bytes(), (stem, suffix)
    assert not [p for p in (tmp_path / "shared-cold").rglob("*") if p.name.startswith(".")]  # no stray temp files


def test_same_output_name_twice_is_refused_not_raced(tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "daily-five.yaml").write_text((ROOT / "scripts" / "daily-five.yaml").read_text())
    proc = vg("render", "scripts/daily-five.yaml", str(other / "daily-five.yaml"), "-o", str(tmp_path / "out"),
              "--engine", "espeak", env=cold_env(tmp_path, "cache"))
    assert proc.returncode == 1
    assert "would write" in proc.stderr and "1 of 2 rendered" in proc.stderr
    assert (tmp_path / "out" / "daily-five.mp3").exists()


def test_sigterm_stops_every_worker_and_leaves_nothing_half_written(tmp_path):
    env = cold_env(tmp_path, "cache")
    out = tmp_path / "out"
    routines = ["scripts/partner-hip-massage.yaml", "scripts/glute-release.yaml", "scripts/daily-five.yaml"]
    assert vg("render", routines[0], "-o", str(out), "--engine", "espeak", env=env).returncode == 0
    before = (out / "partner-hip-massage.mp3").read_bytes()
    rc, err = interrupt_render(*routines, "-o", str(out), "--engine", "espeak", "--jobs", "2", "--bitrate", "96",
                               out=out, name="partner-hip-massage.mp3", sig=signal.SIGTERM, env=env)
    assert rc == 143, err
    assert "Traceback" not in err and "nothing half-written" in err
    assert (out / "partner-hip-massage.mp3").read_bytes() == before
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert not (out / "daily-five.mp3").exists()  # queued, never started
    assert not processes_mentioning(out)  # no worker or ffmpeg left
