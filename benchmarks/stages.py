"""The measurements bench.py runs inside a child process (so that each has a clean interpreter and its
peak RSS is its own), on a warm clip cache:

    python benchmarks/stages.py inproc ROUTINE OUT_DIR 0|1   # session() + export(); 1: under cProfile
    python benchmarks/stages.py naive ROUTINE OUT.mp3        # the naive pydub pipeline, the same product

Each prints one JSON line (read by harness.stage_child)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from harness import BITRATE, RATE


def _session(routine: Path):
    from voiceguide.session.build import session
    from voiceguide.voice import ClipCache
    from voiceguide.voice.cache import default_cache_dir

    return session(routine, engine="espeak", cache=ClipCache(default_cache_dir()))


def _timeline_facts(sess) -> dict:
    tl = sess.timeline
    speech = [e for e in tl.events if e.kind == "speech"]
    return {
        "duration": tl.duration,
        "speech_share": sum(e.length for e in speech) / tl.duration,
        "utterances": len(speech),
        "distinct_utterances": len({(e.text, e.role) for e in speech}),
        "distinct_sentences": len({x.strip() for e in speech for x in e.text.replace("?", ".").split(". ") if x.strip()}),
        "sounds": sum(1 for e in tl.events if e.kind == "sound"),
        "chapters": len(tl.chapters),
    }


PHASES = [  # (label, filename suffix, function name): cumulative times from cProfile (the mixing thread only)
    ("loudness pass (Mixer.normalise)", "voiceguide/mix/mixer.py", "normalise"),
    ("  true peak of loud blocks (dsp.true_peak)", "voiceguide/dsp.py", "true_peak"),
    ("  K-weighted energies (subblock_energies)", "voiceguide/dsp.py", "subblock_energies"),
    ("mix, both passes (Mixer.render)", "voiceguide/mix/mixer.py", "render"),
    ("  of which clip reads (Voice.clip)", "voiceguide/voice/__init__.py", "clip"),
    ("limiter, both passes (dsp.limit)", "voiceguide/dsp.py", "limit"),
    ("handing blocks to the writer (Queue.put)", "queue.py", "put"),
    ("waiting for the writer at the end (join)", "threading.py", "join"),
    ("ID3 tag + prepend", "voiceguide/export/formats/mp3.py", "prepend_tag"),
]


def mode_inproc(routine: str, out_dir: str, profile: str) -> None:
    """Warm render in this process: session(), then export() (timed clean, or under cProfile). Without the
    profile, the parts of export are then timed apart: the loudness pass alone (counting the blocks it
    re-limits) and the final mix + limiter + float->int16 pass alone (no encoder), counting what the limiter does."""
    import numpy as np

    from voiceguide import dsp
    from voiceguide.export import transcripts as sink
    from voiceguide.mix.mixer import TARGET_LUFS, Mixer
    from voiceguide.export.render import export

    t0 = time.perf_counter()
    sess = _session(Path(routine))
    t1 = time.perf_counter()
    res: dict = {"session_s": t1 - t0, **_timeline_facts(sess)}
    prof = None
    writer = {"blocks": 0, "write_s": 0.0}
    if profile == "1":
        import cProfile

        real_write = sink.Mp3Encoder.write

        def timed_write(self, block):  # runs in the writer thread, which cProfile does not see
            a = time.perf_counter()
            real_write(self, block)
            writer["write_s"] += time.perf_counter() - a
            writer["blocks"] += 1

        sink.Mp3Encoder.write = timed_write
        prof = cProfile.Profile()
        prof.enable()
    t5 = time.perf_counter()
    result = export(sess, Path(out_dir), "mp3", BITRATE)
    t6 = time.perf_counter()
    res["export_s"] = t6 - t5
    res["gain_db"] = result.gain_db
    res["total_s"] = (t1 - t0) + (t6 - t5)
    if prof is not None:
        import io
        import pstats

        prof.disable()
        st = pstats.Stats(prof)
        phases = []
        for label, suffix, func in PHASES:
            ct = sum(v[3] for (f, _, n), v in st.stats.items() if f.endswith(suffix) and n == func)
            phases.append([label, ct])
        res["phases"] = phases
        res["writer_thread"] = writer
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(10)
        text = buf.getvalue()
        res["profile_top"] = text[text.find("   ncalls"):] if "   ncalls" in text else text
    else:
        counts: dict = {}
        real_limit = dsp.limit

        def counting_limit(x, ceiling):
            y = real_limit(x, ceiling)
            counts["blocks"] += 1
            if x.size and np.abs(x).max() >= ceiling * 0.5:
                counts["envelope"] += 1  # the early exit did not apply: the true-peak envelope was computed
            counts["limited"] += y is not x
            return y

        m = Mixer(sess.timeline, sess.voice.clip)
        dsp.limit = counting_limit
        try:
            counts.update(blocks=0, envelope=0, limited=0)
            t2 = time.perf_counter()
            m.normalise(TARGET_LUFS + sink.encoder_loss_db("mp3", BITRATE))
            t3 = time.perf_counter()
            res["limiter_in_loudness_pass"] = dict(counts)
            counts.update(blocks=0, envelope=0, limited=0)
            for block in m.blocks():
                dsp.to_int16(block)
            t4 = time.perf_counter()
            res["limiter_in_final_pass"] = dict(counts)
        finally:
            dsp.limit = real_limit
        res["normalise_s"], res["final_pass_s"] = t3 - t2, t4 - t3
    print(json.dumps(res))


def mode_naive(routine: str, out_mp3: str) -> None:
    """The pipeline a newcomer writes with pydub, making the same product: the same timeline, the same cached
    clips and sounds, `+=` in a loop, peak-normalised, exported to the same format (mono, 48 kHz, 64 kbit/s)."""
    import warnings

    warnings.simplefilter("ignore")
    from pydub import AudioSegment, effects

    from voiceguide.mix.mixer import SOUND_LEVELS
    from voiceguide.export.transcripts import MP3_RATE

    sess = _session(Path(routine))  # warm: every clip is a WAV file in the cache (not timed: same as voiceguide)
    voice = sess.voice
    t0 = time.perf_counter()
    loaded: dict = {}  # generous to the newcomer: each file is read once

    def speech(text: str, role: str):
        path = voice.cache.path(voice.key(text, voice.delivery(role)))
        if path not in loaded:
            loaded[path] = AudioSegment.from_wav(path)
        return loaded[path]

    def sound(path: Path, level: float):
        if (path, level) not in loaded:
            seg = AudioSegment.from_wav(path).set_channels(1).set_frame_rate(RATE)
            loaded[(path, level)] = seg.apply_gain(20 * __import__("math").log10(level))
        return loaded[(path, level)]

    session = AudioSegment.empty()
    overlaps = 0
    for ev in sess.timeline.events:
        if ev.kind == "speech":
            clip = speech(ev.text, ev.role)
        elif ev.kind == "sound":
            clip = sound(ev.path, SOUND_LEVELS.get(ev.role, 0.6))[: int(round(ev.length * 1000))]
        else:
            continue
        start = int(round(ev.start * 1000))
        if start >= len(session):
            session += AudioSegment.silent(duration=start - len(session), frame_rate=RATE) + clip
        else:  # a sound under speech: overlay what overlaps, append the rest
            overlaps += 1
            fit = len(session) - start
            session = session.overlay(clip[:fit], position=start) + clip[fit:]
    end = int(round(sess.timeline.duration * 1000))
    if end > len(session):
        session += AudioSegment.silent(duration=end - len(session), frame_rate=RATE)
    session = effects.normalize(session, headroom=1.0)
    t1 = time.perf_counter()
    session.export(out_mp3, format="mp3", bitrate=f"{BITRATE}k", parameters=["-ar", str(MP3_RATE)])
    t2 = time.perf_counter()
    print(json.dumps({
        "build_s": t1 - t0, "export_s": t2 - t1, "total_s": t2 - t0, "overlaps": overlaps,
        "audio_s": len(session) / 1000, "duration": sess.timeline.duration, "channels": session.channels,
        "events": sum(1 for e in sess.timeline.events if e.kind in ("speech", "sound")),
    }))



STAGES = {"inproc": mode_inproc, "naive": mode_naive}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in STAGES:
        raise SystemExit(f"usage: stages.py {{{','.join(STAGES)}}} ARGS...  (run by bench.py)")
    STAGES[sys.argv[1]](*sys.argv[2:])
