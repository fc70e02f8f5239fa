"""The onnxruntime session a Piper voice runs on, set up so that a long render's memory stays flat.

A cold render with the natural voice peaked at 723 MB for 60 minutes and 843 MB for 120 (measured
with /usr/bin/time). Two things in how the session was made grew or kept memory, each measured on
its own (130 sentences on 2 threads, straight on the session):

- onnxruntime's memory pattern: it plans and keeps buffers per input shape, and every sentence is a
  shape of its own (its phoneme count), so the arena grew for as long as new sentences came: 300 MB
  over the loaded model after 130 sentences, and still rising. Without it the arena stops at what
  the two longest sentences at once need (150 MB at the voice's own rate), reached within the first
  20 sentences, for the same CPU time (30.5 s against 28.3-30.5 s) and the same samples to the bit
  (the pattern only decides where tensors live).
- A session made from bytes keeps them (`InferenceSession` holds them for its whole life, to be able
  to make the session again): 63 MB, for as long as the model is loaded. The patched model is
  written to a temporary file instead (20 ms), from its pieces, and the session reads that.

The arena itself stays: without it those sentences took 50-54 s of CPU against 30 (the decoder's
tensors, tens of MB each, are then allocated and faulted in afresh by every operator), and the peak
was no lower: two sentences synthesised at once need what they need, 16 MB per second of speech each
when the decoder runs whole. Piper's decoder now runs in windows (`onnxsplit`), which took the peak
from 460 to 351 MB; the rest, measured on the same 60-minute cold render, came from:

- one arena per session (Piper's model is two sessions now, Kokoro's another), each grown in
  doublings: one arena registered with onnxruntime's environment and shared by every session;
- glibc's heap arenas, one per thread that ever allocated (up to eight per core), each keeping what
  its thread freed: `bound_heap_arenas` caps them at two, and `now_and_then_return_freed_memory` gives
  freed memory back at most once a second while sentences are synthesised.

Together with a smaller sentence memo: 351 -> 276 MB, for the same CPU time (102 against 100 s).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import tempfile
import threading
import time

HEAP_ARENAS = 2  # glibc's default is eight per core; two kept the render at 276 MB against 290
TRIM_INTERVAL = 1.0  # seconds between returns of freed memory while synthesising

_ALLOCATOR_LOCK = threading.Lock()
_SHARED_ALLOCATOR: list[bool] = []
_TRIMMED_AT = [0.0]


def session_options(threads: int):
    """Options for one synthesis at a time per thread: `threads` for an operator, no memory pattern,
    and no graph optimisation (for Piper's voices it took 1.3 s to create the session instead of
    0.35 s, for Kokoro's 0.68 s instead of 0.34 s, and neither synthesised faster)."""
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    opts.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.enable_mem_pattern = False
    if threads > 1:  # an idle operator thread spins for work by default, taking a core from the other
        # sentence and the player: without it two sentences at once lost 13 % instead of 26 %
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if _shared_allocator():
        opts.add_session_config_entry("session.use_env_allocators", "1")
    return opts


def _shared_allocator() -> bool:
    """Register one CPU arena with onnxruntime's environment, once per process: every session that
    asks uses it instead of growing an arena of its own. False if this onnxruntime cannot."""
    import onnxruntime

    with _ALLOCATOR_LOCK:
        if not _SHARED_ALLOCATOR:
            try:
                info = onnxruntime.OrtMemoryInfo("Cpu", onnxruntime.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0,
                                                 onnxruntime.OrtMemType.DEFAULT)
                onnxruntime.create_and_register_allocator(info, onnxruntime.OrtArenaCfg(0, 0, -1, -1))
                _SHARED_ALLOCATOR.append(True)
            except (AttributeError, RuntimeError):  # an onnxruntime without environment allocators
                _SHARED_ALLOCATOR.append(False)
        return _SHARED_ALLOCATOR[0]


_BUILDS = threading.Condition()
_BUILDING = [0]  # sessions being made now, in any thread
_ENDING: list[bool] = []  # set once by end_sessions: no session is made after it


_RUNNING: dict[int, object] = {}  # the RunOptions of the runs going on now (`stoppable_run`), by id


def end_sessions(timeout: float = 5.0) -> None:
    """The process is ending (Ctrl-C, SIGTERM): stop the runs going on (`stoppable_run`), wait (a
    while) for the sessions other threads are making, and refuse new ones. onnxruntime aborts a
    process that exits while a session is being made ("terminate called without an active
    exception", exit -6): a warm live session makes its model's in the thread that renders ahead, and
    Ctrl-C about 1.5 s into it did that one time in six. And the interpreter's exit waits for the
    sentence being spoken, 1-4 s of Kokoro's on two cores, unless its run is stopped."""
    with _BUILDS:
        _ENDING.append(True)
        for options in _RUNNING.values():
            options.terminate = True
        _BUILDS.wait_for(lambda: _BUILDING[0] == 0, timeout)


@contextlib.contextmanager
def stoppable_run():
    """RunOptions for one `session.run`, which `end_sessions` stops between two operators (the run
    then raises). Already stopped once the process is ending."""
    import onnxruntime

    options = onnxruntime.RunOptions()
    with _BUILDS:
        options.terminate = bool(_ENDING)
        _RUNNING[id(options)] = options
    try:
        yield options
    finally:
        with _BUILDS:
            _RUNNING.pop(id(options), None)


def open_session(model: list | str, threads: int):
    """A CPU session for the model, given as its path or as the byte pieces that make it in order
    (`onnxpatch.deterministic_parts`, Kokoro's joined parts): they are written to a temporary file, so
    that no copy of the whole model is made in memory or kept by the session. RuntimeError once the
    process is ending (`end_sessions`)."""
    with _BUILDS:
        if _ENDING:
            raise RuntimeError("the process is ending: no new onnxruntime session")
        _BUILDING[0] += 1
    try:
        return _open_session(model, threads)
    finally:
        with _BUILDS:
            _BUILDING[0] -= 1
            _BUILDS.notify_all()


def _open_session(model: list | str, threads: int):
    import onnxruntime

    if isinstance(model, str):
        return onnxruntime.InferenceSession(model, sess_options=session_options(threads),
                                            providers=["CPUExecutionProvider"])
    try:
        fd, path = tempfile.mkstemp(prefix="voiceguide-", suffix=".onnx")
    except OSError:  # no writable temporary folder: the model's bytes, kept by the session
        return onnxruntime.InferenceSession(b"".join(model), sess_options=session_options(threads),
                                            providers=["CPUExecutionProvider"])
    try:
        with os.fdopen(fd, "wb") as f:
            f.writelines(model)
        return _open_session(path, threads)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _glibc():
    if sys.platform != "linux" or "CS_GNU_LIBC_VERSION" not in os.confstr_names:
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def bound_heap_arenas() -> None:
    """Cap glibc's heap arenas (see the module's docstring) for the threads made from now on: called
    once at start, before the synthesis threads exist. A no-op off glibc."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(-8, HEAP_ARENAS)  # M_ARENA_MAX


def now_and_then_return_freed_memory() -> None:
    """`return_freed_memory`, at most once every TRIM_INTERVAL seconds (it takes a few milliseconds)."""
    now = time.monotonic()
    with _ALLOCATOR_LOCK:
        if now - _TRIMMED_AT[0] < TRIM_INTERVAL:
            return
        _TRIMMED_AT[0] = now
    return_freed_memory()


def return_freed_memory() -> None:
    """Give the memory freed so far back to the system. glibc keeps what is freed in the arena of the
    thread that freed it, and reuses it only for that thread's own allocations: the 40 MB that
    onnxruntime frees once a session is made (the parsed model) stayed resident beside the
    synthesis threads' memory for the whole render. A no-op off glibc."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
