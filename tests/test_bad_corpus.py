"""The bad-input corpus: every broken routine must be rejected with a clear, positioned message.

Each `tests/bad/*.yaml` starts with one or more lines

    # expect: LINE:COL: SUBSTRING

and the real CLI (`python -m voiceguide check FILE`, run as a subprocess) must
print, on stderr, a line `FILE:LINE:COL: ...SUBSTRING...` for each of them, exit
with 1, never show a traceback or an "internal error", and finish quickly.

The expectations say what a user *should* see. Cases that the program does not
handle that way yet fail here on purpose; they are defects in the program, not
in this corpus.

Cases that cannot be committed as text (bad encodings, binary junk, a NUL byte,
a huge file, a directory, a missing file, a zero-byte file) are generated into
pytest's `tmp_path` at run time.
"""

from __future__ import annotations

import random
import re
import resource
import subprocess
from pathlib import Path

import pytest
from testsupport.cli import voiceguide

REPO = Path(__file__).resolve().parent.parent
BAD = REPO / "tests" / "bad"
CORPUS = sorted(BAD.glob("*.yaml"))

TIMEOUT = 10.0  # seconds before a run counts as hung
# CPU seconds (user + system, the child and what it ran) for one `check` of one small file, Python
# start-up included. CPU time, not wall time: on a busy 2-core machine the wall time of the same
# run went from under 1 s to 4.7 s, while what it costs (the input is refused before anything big
# is done) does not change.
MAX_SECONDS = 2.0
EXPECT_RE = re.compile(r"^# expect: (\d+):(\d+): (.+)$")


def run_check(*paths: str, timeout: float = TIMEOUT) -> tuple[subprocess.CompletedProcess, float]:
    """Run the real CLI on `paths` (as given) from the repository root; returns the result and the CPU
    time it took (MAX_SECONDS)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        # espeak-ng: the expected messages quote measured speech lengths, and the time limit is about
        # refusing input, not about loading the natural voice's model (its own test: test_voice_start)
        proc = voiceguide("check", "--engine", "espeak", *paths, cwd=REPO, encoding="utf-8", timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`voiceguide check {' '.join(paths)[:200]}` hung: no answer within {timeout:g}s")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return proc, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def expectations(path: Path) -> list[tuple[int, int, str]]:
    """The `# expect:` lines at the top of a corpus file."""
    out = []
    for line in path.read_bytes().decode("utf-8").splitlines():
        m = EXPECT_RE.match(line)
        if not m:
            break
        out.append((int(m[1]), int(m[2]), m[3]))
    return out


def assert_rejected(
    proc: subprocess.CompletedProcess, seconds: float, shown: str, expected: list[tuple[int, int, str]]
) -> None:
    """The common contract for one rejected file, with a readable failure message."""
    err = proc.stderr
    report = f"\n--- stderr ---\n{err}--- stdout ---\n{proc.stdout}"
    assert "Traceback" not in err, f"{shown}: the checker crashed{report}"
    assert "internal error" not in err, f"{shown}: the checker hit an internal error{report}"
    assert proc.returncode == 1, f"{shown}: exit code {proc.returncode}, expected 1{report}"
    lines = err.splitlines()
    for line_no, col, substring in expected:
        prefix = f"{shown}:{line_no}:{col}: "
        hit = any(line.startswith(prefix) and substring in line[len(prefix) :] for line in lines)
        assert hit, f"{shown}: no stderr line '{prefix}...{substring}...'{report}"
    assert seconds < MAX_SECONDS, f"{shown}: took {seconds:.2f} s of CPU (limit {MAX_SECONDS} s){report}"


# ------------------------------------------------------------------ the committed corpus


def test_corpus_is_well_formed():
    assert len(CORPUS) >= 45, f"only {len(CORPUS)} files in {BAD}"
    for path in CORPUS:
        first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
        assert EXPECT_RE.match(first), f"{path.name}: the first line must be '# expect: LINE:COL: SUBSTRING'"
        assert expectations(path), path.name


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_bad_file_is_rejected(path: Path):
    shown = path.relative_to(REPO).as_posix()
    proc, seconds = run_check(shown)
    assert_rejected(proc, seconds, shown, expectations(path))


def test_whole_corpus_in_one_run():
    """One `check` over every corpus file: each file gets at least one positioned line, none stops the rest."""
    shown = [p.relative_to(REPO).as_posix() for p in CORPUS]
    proc, _ = run_check(*shown, timeout=30.0)
    err = proc.stderr
    assert "Traceback" not in err, err[-3000:]
    assert "internal error" not in err, err[-3000:]
    assert proc.returncode == 1, f"exit code {proc.returncode}\n{err[-3000:]}"
    missing = [s for s in shown if not re.search(rf"^{re.escape(s)}:\d+:\d+: ", err, re.MULTILINE)]
    assert not missing, f"no positioned line for {len(missing)} file(s): {missing}\n--- stderr tail ---\n{err[-3000:]}"
    assert f"{len(shown)} of {len(shown)} routine(s) have problems" in err, err[-3000:]


# ------------------------------------------------------------------ generated at run time


def _first_bad_utf8(data: bytes) -> tuple[int, int]:
    """Line and column (in characters, 1-based) of the first byte that is not UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8")
        line = good.count("\n") + 1
        return line, len(good) - (good.rfind("\n") + 1) + 1
    raise AssertionError("the generated junk happens to be valid UTF-8; pick another seed")


def test_latin1_bytes(tmp_path: Path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"title: Morning\nsteps:\n  - say: Un caf\xe9 noir, puis on commence.\n    for: 30s\n")
    proc, seconds = run_check(str(path))
    assert_rejected(proc, seconds, str(path), [(3, 16, "not UTF-8")])


def test_binary_junk(tmp_path: Path):
    path = tmp_path / "junk.yaml"
    data = random.Random(20240521).randbytes(64 * 1024)
    path.write_bytes(data)
    line, col = _first_bad_utf8(data)
    proc, seconds = run_check(str(path))
    assert_rejected(proc, seconds, str(path), [(line, col, "not UTF-8")])


def test_nul_byte(tmp_path: Path):
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"title: Morning\nsteps:\n  - say: Stand\x00 tall.\n    for: 30s\n")
    proc, seconds = run_check(str(path))
    assert_rejected(proc, seconds, str(path), [(3, 15, "0000")])


def test_zero_byte_file(tmp_path: Path):
    path = tmp_path / "zero.yaml"
    path.write_bytes(b"")
    proc, seconds = run_check(str(path))
    assert_rejected(proc, seconds, str(path), [(1, 1, "the file is empty")])


def test_huge_file_rejected_by_size(tmp_path: Path):
    """100 MB of comment lines: valid YAML, so only a size check (without reading it) rejects it quickly."""
    path = tmp_path / "huge.yaml"
    chunk = b"# aaaa\n" * (1 << 17)  # 896 KiB
    with open(path, "wb") as f:
        f.write(b"title: Huge\nsteps:\n  - say: Stand tall.\n")
        while f.tell() < 100 * 1024 * 1024:
            f.write(chunk)
    proc, seconds = run_check(str(path))
    assert_rejected(proc, seconds, str(path), [(1, 1, "at most")])


def test_directory_given_as_file(tmp_path: Path):
    path = tmp_path / "routine.yaml"
    path.mkdir()
    proc, seconds = run_check(str(path))
    assert_rejected(proc, seconds, str(path), [(1, 1, "is a directory")])


def test_missing_file(tmp_path: Path):
    path = tmp_path / "no-such-routine.yaml"
    proc, seconds = run_check(str(path))
    assert_rejected(proc, seconds, str(path), [(1, 1, "no such file")])
