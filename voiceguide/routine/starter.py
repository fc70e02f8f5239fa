"""`voiceguide new`: a documented starter routine that passes `check`."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import VoiceguideError
from ..fsutil import atomic_write_text
from .lookup import every_routine, user_routines_dir

TEMPLATE = """\
# {title}: a voiceguide routine (format version 1).
# Check it:          voiceguide check {file}
# See its timeline:  voiceguide plan {file}
# Editor completion: voiceguide schema > routine.schema.json   (the line below points at it)
# yaml-language-server: $schema=routine.schema.json

title: {title}
summary: A short routine to start from. Change every line to suit you.
language: en
pace: normal            # gentle | normal | brisk | a number from 0.5 to 2.0
breath: {{in: 4, out: 6}} # seconds per breath phase at pace 1.0

safety:
  - Stop if you feel sharp, shooting pain, numbness or tingling.

intro: |
  Find a quiet spot and lie on your back. [pause 2s] Let your breathing settle.

steps:
  # A spoken step: just narration, then a short gap.
  - title: Settle in
    say: Bend your knees and rest your feet flat on the floor.

  # A breath hold: a number of breaths (or a range such as 5-6) at the breath pattern.
  - title: Slow breaths
    say: Breathe slowly through your nose for {{breaths}} breaths.
    breaths: 4
    breath_cues: 2        # the first two breaths are spoken, then soft tones

  # A timed hold with sides: runs once per side, with a spoken switch between.
  - title: Knee to chest
    sides: [right, left]
    say: Hug your {{side}} knee towards your chest and keep your {{other}} leg long.
    brief: Now hug your {{side}} knee.
    for: 20-30s           # a range: the pace chooses how far into it to go
    cues:
      - at: half
        say: Halfway. Keep breathing.
      - countdown: 3

  # A rest, with optional narration spoken at its start.
  - rest: 10s
    say: Relax both legs.

outro: Well done. Take a moment before you get up.
"""


def write_starter(name: Path, mention: str | None = None) -> Path:
    """Write the starter as NAME.yaml; its comments say to type `mention` (default: the file's name)."""
    path = name if name.suffix in (".yaml", ".yml") else name.with_name(name.name + ".yaml")
    if path.exists():
        raise VoiceguideError(f"{path}: already exists; choose another name (nothing was written)")
    if not path.parent.is_dir():
        raise VoiceguideError(f"{path.parent}: no such folder")
    stem = re.sub(r"[-_]+", " ", path.stem).strip() or "My routine"
    title = stem[0].upper() + stem[1:]
    atomic_write_text(path, TEMPLATE.format(title=title, file=mention or path.name))
    return path


def save_starter(name: str) -> tuple[Path, str | None]:
    """`new NAME --save`: the starter in your routines folder, so that its name works from any folder;
    and a note when, in the current folder, the name means another file, or when it hides a shipped routine.
    A name with a folder in it is a ValueError."""
    if Path(name).name != name or name in (".", ".."):
        raise ValueError(f"--save takes a name such as evening-stretch, not a path ({name})")
    folder = user_routines_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VoiceguideError(f"{folder}: cannot make your routines folder ({exc.strerror or exc})") from None
    path = write_starter(folder / name, mention=Path(name).stem)
    files = every_routine().get(path.stem, [])
    if files and files[0].path.resolve() != path.resolve():
        return path, f"in this folder, {path.stem} means {files[0].path} (a routine here comes first)"
    if any(f.origin == "shipped" for f in files):
        return path, f"it hides the shipped routine {path.stem}"
    return path, None
