"""Hashes of large files (voice models) remembered across processes, and forgotten when the file changes."""

import hashlib
import json
import os

from voiceguide.voice.filefacts import file_hash


def test_a_hash_is_remembered_and_follows_the_file(tmp_path):
    model, memo = tmp_path / "voice.onnx", tmp_path / "cache" / "facts.json"
    model.write_bytes(b"first" * 1000)
    assert file_hash(model, memo=memo) == hashlib.sha256(b"first" * 1000).hexdigest()
    assert file_hash(model, "md5", memo=memo) == hashlib.md5(b"first" * 1000).hexdigest()
    assert len(json.loads(memo.read_text())) == 2  # both algorithms kept side by side
    # remembered: a memo that says otherwise wins while the file is unchanged
    known = json.loads(memo.read_text())
    key = next(k for k in known if k.endswith("|sha256"))
    memo.write_text(json.dumps({**known, key: "remembered"}))
    assert file_hash(model, memo=memo) == "remembered"
    # a changed file is hashed again, and its older entry dropped
    model.write_bytes(b"second")
    os.utime(model, ns=(1, 1))
    assert file_hash(model, memo=memo) == hashlib.sha256(b"second").hexdigest()
    entries = json.loads(memo.read_text())
    assert sum(k.endswith("|sha256") for k in entries) == 1 and "remembered" not in entries.values()


def test_an_unreadable_memo_only_costs_the_hashing(tmp_path):
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"x")
    memo = tmp_path / "memo-is-a-folder"
    memo.mkdir()
    assert file_hash(model, memo=memo) == hashlib.sha256(b"x").hexdigest()
    (tmp_path / "garbage.json").write_text("[1, 2")
    assert file_hash(model, memo=tmp_path / "garbage.json") == hashlib.sha256(b"x").hexdigest()
