"""voiceguide: turn a written routine into a voice-guided audio session.

One pipeline, data flowing one way; a package per stage and per side. The layers, highest first
(a module imports only from the layers below its own; `a | b` are two sides of one layer that do
not know each other). pyproject.toml's [tool.importlinter] holds them and `lint-imports` checks them
(tests/test_layers.py):

    cli                         the command line (and the checks, progress and tables only it uses)
    web                         `serve` and its pages; the phone remote of a live session
    compose | live | export     a routine made from the library of moves | the session played
                                through the sound device (player, floor view, steering, listen) |
                                the session mixed and encoded to files (formats, transcripts, batch)
    session | mix               a routine voiced and planned: the front half live and export share |
                                clips and sounds placed on the timeline, loudness, limiter
    plan | voice                routine + settings + lengths -> Timeline, and "now" |
                                the TTS engines, their voices and the clip cache
    routine                     YAML with positions -> validated dataclasses; settings; routines by name
    audiofile                   reading audio files, finding ffmpeg
    dsp | errors | fsutil | text    shared utilities
"""

__version__ = "0.1.0"
