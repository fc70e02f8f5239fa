"""The live player driven in-process: the session rendered ahead, then played by pulling blocks as
the sound device would, so a test places a key press at a moment of the session's own clock (no
sound server, no sleeping)."""

from __future__ import annotations

import numpy as np

from testsupport import LIVE
from voiceguide import dsp

BLOCK = dsp.RATE // 100  # 10 ms


def rendered(routine: str, clips):
    """tests/live/ROUTINE prepared with espeak-ng and every clip rendered."""
    from voiceguide.live.ahead import prepare_live

    ahead = prepare_live(LIVE / routine, engine="espeak", cache=clips)
    while not ahead.all_rendered:
        ahead.render_some(10)
    return ahead


def player_for(routine: str, clips, interactive_waits: bool = False):
    from voiceguide.live.player import Player

    ahead = rendered(routine, clips)
    return Player(ahead.timeline, ahead.voice.clip, interactive_waits=interactive_waits, planner=ahead)


def play_for(player, seconds: float) -> np.ndarray:
    """`seconds` of the session, block by block."""
    return np.concatenate([np.frombuffer(player.pull(BLOCK), "<i2") for _ in range(int(seconds * 100))])


def play_until_waiting(player) -> None:
    """Pull blocks until the player waits for a key (30 s of session at most)."""
    for _ in range(3000):
        player.pull(BLOCK)
        if player.waiting:
            return


def frames(seconds: float) -> int:
    return int(round(seconds * dsp.RATE))


def play_to(player, seconds: float) -> np.ndarray:
    """Pull blocks until the position reaches `seconds` (to the block), as the device would."""
    blocks = []
    while player.position < frames(seconds) and not player.finished.is_set():
        blocks.append(np.frombuffer(player.pull(BLOCK), "<i2"))
    return np.concatenate(blocks) if blocks else np.zeros(0, np.int16)


def chapter_starts(player) -> list[float]:
    return [c.start for c in player.timeline.chapters]


def hold_of(timeline, chapter: int):
    """The hold (or rest) of chapter number `chapter`."""
    return next(e for e in timeline.events if e.kind in ("hold", "rest") and e.chapter == chapter)
