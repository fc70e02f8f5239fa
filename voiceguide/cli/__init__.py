"""The command line: parse options, call the library, print results. Nothing else lives here.

Each module holds one family of commands and registers it on the one Typer app."""

from . import routines, audio, compose, setup  # noqa: F401, I001 - registers the commands, in the order --help lists them
from .app import app
from .entry import main

__all__ = ["app", "main"]
