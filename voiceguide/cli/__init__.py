"""The command line: parse options, call the library, print results. Nothing else lives here.

Each module holds one family of commands and registers it on the one Typer app."""

import os

# numpy's OpenBLAS shares out a large matrix product (the limiter's true-peak envelope, the resampler)
# across every core and spins while it waits for work, taking the cores from ffmpeg's encoder and the
# synthesis threads: a warm 30-minute render with Kokoro took 7.20-7.33 s with it, 6.76-6.78 s on one
# thread (Piper 6.38-6.43 against 6.32-6.34 s), the same file to the byte. The command line owns its
# process, so it asks for one thread unless told otherwise; set before anything imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import routines, audio, listen, compose, setup  # noqa: F401, I001 - registers the commands, in the order --help lists them
from .app import app
from .entry import main

__all__ = ["app", "main"]
