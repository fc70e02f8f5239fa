"""M4A, M4B, Opus and WebVTT on real parts: espeak-ng, ffmpeg, files read back with ffprobe and decoded."""

import json
import os
import re
import signal
import subprocess
import threading
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from testsupport.audio import decode, ffprobe, onset_lag
from testsupport import ROOT
from testsupport.routines import plan_text
from testsupport.cli import interrupt_render, processes_mentioning, voiceguide
from voiceguide import dsp
from voiceguide.voice import ClipCache, Voice

TOLERANCE = 0.050  # seconds: how closely the file must follow `plan --json`
ROUTINE = "scripts/daily-five.yaml"


def vg(*args, env, cwd=ROOT, **kw):
    return voiceguide(*args, cwd=cwd, env=env, **kw)


def loudness(path: Path) -> tuple[float, float]:
    err = subprocess.run(["ffmpeg", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", err)[-1]), float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", err)[-1])


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return dict(os.environ, VOICEGUIDE_CACHE_DIR=str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def plan(env):
    proc = vg("plan", ROUTINE, "--json", "--engine", "espeak", env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def cover(tmp_path_factory):
    from voiceguide.web.cover import cover_png

    folder = tmp_path_factory.mktemp("covered")
    (folder / "daily-five.png").write_bytes(cover_png([3, 1, 2], "test", size=300))
    return folder


@pytest.fixture(scope="module")
def renders(tmp_path_factory, env, cover):
    """daily-five as M4A (with a cover beside it in the output folder), M4B (none) and Opus."""
    files = {}
    for fmt in ("m4a", "m4b", "opus"):
        out = cover if fmt == "m4a" else tmp_path_factory.mktemp(fmt)
        proc = vg("render", ROUTINE, "-o", str(out), "--engine", "espeak", "--format", fmt, env=env)
        assert proc.returncode == 0, proc.stderr
        assert re.search(rf"daily-five\.{fmt}\s+\d+:\d\d\.\d\s+[\d.]+ MB\s+\d+ chapters", proc.stdout), proc.stdout
        files[fmt] = out / f"daily-five.{fmt}"
    return files


@pytest.mark.parametrize("fmt, brand", [("m4a", "M4A "), ("m4b", "M4B ")])
def test_mp4_reads_back_as_planned(renders, plan, fmt, brand):
    info = ffprobe(renders[fmt])
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
    assert len(audio) == 1 and audio[0]["codec_name"] == "aac" and audio[0]["channels"] == 1
    assert info["format"]["tags"]["major_brand"] == brand
    assert abs(float(info["format"]["duration"]) - plan["duration"]) < TOLERANCE
    tags = info["format"]["tags"]
    assert tags["title"] == plan["title"] and tags["artist"] == "voiceguide" and tags["album"] == plan["title"]
    assert tags["comment"] == plan["summary"] and tags["genre"] == "Speech"
    chapters = info["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [c["title"] for c in plan["chapters"]]
    errors = [abs(float(got["start_time"]) - want["start"]) for got, want in zip(chapters, plan["chapters"])]
    assert max(errors) < TOLERANCE, errors
    assert abs(float(chapters[-1]["end_time"]) - plan["duration"]) < TOLERANCE


def _boxes(data: bytes, start: int, end: int, path: str = ""):
    """(path, offset, size) of every MP4 box under the containers that hold tracks and metadata."""
    import struct

    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        here = f"{path}/{kind.decode('latin1')}"
        yield here, i, size
        if kind in (b"moov", b"trak", b"mdia", b"udta", b"tref", b"edts"):
            yield from _boxes(data, i + 8, i + size, here)
        i += size


def test_mp4_chapters_are_quicktime_and_nero(renders):
    """Apple's players read the QuickTime chapter track: a text track, not enabled (so it is no subtitle),
    named by the audio track's tref/chap. VLC and others read Nero's chpl box. Both are there, the audio
    has an edit list (AAC's priming hidden) and the index is at the front (faststart)."""
    data = renders["m4a"].read_bytes()
    boxes = list(_boxes(data, 0, len(data)))
    names = [b[0] for b in boxes]
    assert names.index("/moov") < names.index("/mdat")
    assert "/moov/udta/chpl" in names
    tracks = [b for b in boxes if b[0] == "/moov/trak"]
    assert len(tracks) == 2
    first = tracks[0]
    audio = [b for b in boxes if b[0].startswith("/moov/trak/") and first[1] <= b[1] < first[1] + first[2]]
    assert "/moov/trak/tref/chap" in [b[0] for b in audio] and "/moov/trak/edts/elst" in [b[0] for b in audio]
    flags = {which: data[next(o for n, o, _ in boxes if n == "/moov/trak/tkhd" and t[1] <= o < t[1] + t[2]) + 11]
             for which, t in zip(("audio", "text"), tracks)}
    assert flags["audio"] & 1 and not flags["text"] & 1, flags  # track_enabled: audio yes, chapters no
    info = ffprobe(renders["m4a"])
    assert any(s.get("codec_tag_string") == "text" for s in info["streams"])


def test_m4b_is_an_audiobook(renders):
    from mutagen.mp4 import MP4

    assert MP4(renders["m4b"]).tags["stik"] == [2]
    assert "stik" not in (MP4(renders["m4a"]).tags or {})


def test_cover_is_embedded_when_there_is_one(renders, cover):
    pictures = [s for s in ffprobe(renders["m4a"])["streams"] if s["codec_type"] == "video"]
    assert len(pictures) == 1 and pictures[0]["disposition"]["attached_pic"] == 1 and pictures[0]["codec_name"] == "png"
    from mutagen.mp4 import MP4

    assert bytes(MP4(renders["m4a"]).tags["covr"][0]) == (cover / "daily-five.png").read_bytes()
    assert not [s for s in ffprobe(renders["m4b"])["streams"] if s["codec_type"] == "video"]


@pytest.mark.parametrize("fmt", ["m4a", "m4b", "opus"])
def test_decoded_audio_follows_the_plan(renders, plan, env, fmt):
    """Decoded (the edit list drops AAC's priming, Opus's pre-skip its delay): as long as the plan, and every
    utterance begins where the plan says, found by cross-correlating its clip with the decoded audio."""
    audio = decode(renders[fmt])
    assert abs(audio.size / dsp.RATE - plan["duration"]) < TOLERANCE
    s = plan["settings"]
    voice = Voice.create(s["engine"], s["voice"], s["language"], s["speech_rate"],
                         ClipCache(Path(env["VOICEGUIDE_CACHE_DIR"])))
    lags = [onset_lag(audio, dsp.from_int16(voice.clip(e["text"], e.get("role", "narration"))), e["start"])
            for e in plan["events"] if e["kind"] == "speech"]
    assert len(lags) > 20 and max(abs(x) for x in lags) < TOLERANCE, max(lags, key=abs)


def test_a_click_lands_on_time(tmp_path, env):
    """A routine whose only sound after a silent hold is a short tone at a known time: its onset in the
    decoded M4A, found by its energy, is where the plan puts it."""
    import wave

    rate = 22050
    t = np.arange(int(0.05 * rate)) / rate
    click = (0.8 * np.sin(2 * np.pi * 1000 * t) * 32767).astype("<i2")
    with wave.open(str(tmp_path / "click.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate), w.writeframes(click.tobytes())
    (tmp_path / "click.yaml").write_text("title: Click\nsteps:\n  - title: Quiet\n    rest: 7s\n"
                                         "  - title: Click\n    sound: click.wav\n  - rest: 3s\n")
    proc = vg("plan", str(tmp_path / "click.yaml"), "--json", "--engine", "espeak", env=env)
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    at = next(e["start"] for e in plan["events"] if e["kind"] == "sound" and "click" in (e.get("sound") or ""))
    for fmt in ("m4a", "opus"):
        assert vg("render", str(tmp_path / "click.yaml"), "-o", str(tmp_path), "--format", fmt, "--engine", "espeak",
                  env=env).returncode == 0
        audio = decode(tmp_path / f"click.{fmt}")
        loud = np.flatnonzero(np.abs(audio) > 0.1)
        onset = loud[(loud / dsp.RATE > at - 1.0) & (loud / dsp.RATE < at + 1.0)][0] / dsp.RATE
        assert abs(onset - at) < 0.010, (fmt, onset, at)
        assert abs(audio.size / dsp.RATE - plan["duration"]) < TOLERANCE


@pytest.mark.parametrize("fmt", ["m4a", "m4b", "opus"])
def test_loudness_of_the_decoded_file(renders, fmt):
    integrated, peak = loudness(renders[fmt])
    assert abs(integrated - (-16.0)) <= 0.5, integrated
    assert peak <= -1.0


def test_opus_chapters_and_tags(renders, plan):
    from mutagen.oggopus import OggOpus

    info = ffprobe(renders["opus"])
    assert info["streams"][0]["codec_name"] == "opus"
    assert abs(float(info["format"]["duration"]) - plan["duration"]) < TOLERANCE
    errors = [abs(float(got["start_time"]) - want["start"]) for got, want in zip(info["chapters"], plan["chapters"])]
    assert len(info["chapters"]) == len(plan["chapters"]) and max(errors) < TOLERANCE, errors
    tags = OggOpus(renders["opus"]).tags
    assert tags["TITLE"] == [plan["title"]] and tags["CHAPTER001NAME"] == [plan["chapters"][0]["title"]]
    assert tags["CHAPTER002"] == [_clock(plan["chapters"][1]["start"])]


def _clock(t: float) -> str:
    ms = int(round(t * 1000))
    return f"{ms // 3600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


@pytest.mark.parametrize("fmt", ["m4a", "opus"])
def test_rerender_is_byte_identical(tmp_path, renders, cover, env, fmt):
    out = tmp_path / "again"
    out.mkdir()
    if fmt == "m4a":
        (out / "daily-five.png").write_bytes((cover / "daily-five.png").read_bytes())
    assert vg("render", ROUTINE, "-o", str(out), "--engine", "espeak", "--format", fmt, env=env).returncode == 0
    assert (out / f"daily-five.{fmt}").read_bytes() == renders[fmt].read_bytes()


def test_interrupted_m4a_keeps_the_earlier_file(tmp_path, renders, env):
    from voiceguide.export.render import export
    from voiceguide.session.build import session

    cache = ClipCache(Path(env["VOICEGUIDE_CACHE_DIR"]))
    sess = session(ROOT / ROUTINE, engine="espeak", cache=cache)
    good = export(sess, tmp_path, "m4a").path
    before = good.read_bytes()

    def stop(stage, done, total):
        if stage == "encode" and done > total / 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export(sess, tmp_path, "m4a", progress=stop)
    assert good.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"daily-five.{x}" for x in ("json", "lrc", "m4a", "srt", "vtt")]


def test_sigterm_mid_m4a_leaves_the_earlier_file_and_no_temporaries(tmp_path, env):
    routine, out = "scripts/partner-hip-massage.yaml", tmp_path / "out"
    assert vg("render", routine, "-o", str(out), "--engine", "espeak", "--format", "m4b", env=env).returncode == 0
    good = out / "partner-hip-massage.m4b"
    before = good.read_bytes()
    rc, err = interrupt_render(routine, "-o", str(out), "--engine", "espeak", "--format", "m4b", "--bitrate", "96",
                               out=out, name="partner-hip-massage.m4b", sig=signal.SIGTERM, env=env)
    assert rc == 143 and "Traceback" not in err
    assert good.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [f"partner-hip-massage.{x}" for x in ("json", "lrc", "m4b", "srt", "vtt")]
    assert not processes_mentioning(out)  # no ffmpeg left behind


def test_full_disk_m4a_is_a_clear_error_and_leaves_nothing(tmp_path, env):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mnt)]).returncode != 0:
        pytest.fail("cannot mount a small tmpfs (the tests need root for this check)")
    try:
        proc = vg("render", "scripts/glute-release.yaml", "-o", str(mnt), "--engine", "espeak", "--format", "m4a", env=env)
        assert proc.returncode == 1
        assert "no space left" in proc.stderr.lower() and "Traceback" not in proc.stderr
        assert list(mnt.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)])


# ------------------------------------------------------------------ WebVTT


def _cues(text: str, sep: str) -> list[tuple[str, str, str]]:
    blocks = [b.splitlines() for b in text.strip().split("\n\n")]
    return [(b[0], b[1].replace(sep, "."), b[2]) for b in blocks]


def test_vtt_has_the_srt_cues_in_webvtt_syntax(renders):
    folder = renders["m4b"].parent
    vtt = (folder / "daily-five.vtt").read_text(encoding="utf-8")
    srt = (folder / "daily-five.srt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n\n")
    body = vtt[len("WEBVTT\n\n"):]
    for block in body.strip().split("\n\n"):
        lines = block.splitlines()
        assert len(lines) == 3 and lines[0].isdigit()
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}", lines[1]), lines[1]
    assert _cues(body, ".") == _cues(srt, ",")


def test_vtt_escapes_markup():
    from voiceguide.export.transcripts import vtt

    timeline = plan_text("""
        title: Markup
        steps:
          - say: Press <gently> & slowly --> then rest.
    """)
    text = vtt(timeline)
    assert "Press &lt;gently&gt; &amp; slowly --&gt; then rest." in text
    assert text.count("-->") == len(timeline.speech())


def test_serve_offers_the_vtt_and_m4a_sessions(renders):
    from xml.etree import ElementTree as ET

    from voiceguide.web.serve import NS_PODCAST, make_server

    folder = renders["m4b"].parent  # daily-five.m4b, .srt, .vtt, .json
    server = make_server(folder, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        feed = ET.fromstring(urllib.request.urlopen(server.base_url + "/feed.xml", timeout=10).read())
        item = feed.find("channel/item")
        enclosure = item.find("enclosure")
        assert enclosure.get("url").endswith("/media/daily-five.m4b") and enclosure.get("type") == "audio/mp4"
        transcripts = {t.get("type"): t.get("url") for t in item.findall(f"{{{NS_PODCAST}}}transcript")}
        assert transcripts["text/vtt"].endswith("/media/daily-five.vtt")
        assert transcripts["application/x-subrip"].endswith("/media/daily-five.srt")
        reply = urllib.request.urlopen(transcripts["text/vtt"], timeout=10)
        assert reply.headers["Content-Type"].split(";")[0] == "text/vtt"
        assert reply.read() == (folder / "daily-five.vtt").read_bytes()
        sessions = json.loads(urllib.request.urlopen(server.base_url + "/sessions.json", timeout=10).read())["sessions"]
        assert sessions[0]["captions"] == "/media/daily-five.vtt" and sessions[0]["audio"] == "/media/daily-five.m4b"
        reply = urllib.request.urlopen(server.base_url + "/media/daily-five.m4b", timeout=10)
        assert reply.headers["Content-Type"] == "audio/mp4" and reply.read() == renders["m4b"].read_bytes()
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("fmt", ["mp3", "opus"])
def test_mp3_and_opus_carry_the_cover_too(tmp_path, cover, env, fmt):
    picture = (cover / "daily-five.png").read_bytes()
    routine = tmp_path / "daily-five.yaml"  # the cover beside the routine this time
    routine.write_text((ROOT / ROUTINE).read_text())
    (tmp_path / "daily-five.png").write_bytes(picture)
    assert vg("render", str(routine), "-o", str(tmp_path / "out"), "--engine", "espeak", "--format", fmt,
              env=env).returncode == 0
    path = tmp_path / "out" / f"daily-five.{fmt}"
    if fmt == "mp3":
        from mutagen.id3 import ID3

        frames = ID3(path).getall("APIC")
        assert len(frames) == 1 and frames[0].mime == "image/png" and frames[0].data == picture
        assert len(ffprobe(path)["chapters"]) > 5  # the chapters still read after the picture
    else:
        import base64

        from mutagen.flac import Picture
        from mutagen.oggopus import OggOpus

        block = OggOpus(path).tags["METADATA_BLOCK_PICTURE"][0]
        assert Picture(base64.b64decode(block)).data == picture


def test_page_gives_the_player_the_vtt_as_captions(renders):
    """In headless Chromium: opening a session puts a captions track on the <audio>, and its cues load."""
    from testsupport.browser import CHROMIUM, CHROMIUM_ARGS, browser_or_fail, page_wait_until

    from voiceguide.web.serve import make_server

    sync_playwright = browser_or_fail()
    folder = renders["m4b"].parent
    server = make_server(folder, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    problems = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
                page.goto(server.page_url + "#/daily-five")
                page.wait_for_selector("#steps .step", timeout=20_000)
                track = page.evaluate("(() => { const t = document.querySelector('#audio track');"
                                      " return t && [t.kind, t.getAttribute('src'), t.srclang]; })()")
                assert track == ["captions", "/media/daily-five.vtt", "en"]
                page.evaluate("document.getElementById('audio').textTracks[0].mode = 'hidden'")
                cues = (folder / "daily-five.vtt").read_text().count(" --> ")
                page_wait_until(page, f"document.getElementById('audio').textTracks[0].cues?.length === {cues}",
                           what="the WebVTT cues")
                first = page.evaluate("(() => { const c = document.getElementById('audio').textTracks[0].cues[0];"
                                      " return [c.startTime, c.endTime, c.text]; })()")
                srt_first = (folder / "daily-five.srt").read_text().split("\n\n")[0].splitlines()
                assert first[2] == srt_first[2]
                h, m, sec = srt_first[1].split(" --> ")[0].replace(",", ".").split(":")
                assert abs(first[0] - (int(h) * 3600 + int(m) * 60 + float(sec))) < 0.001
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert not problems, problems
