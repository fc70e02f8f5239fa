"""Steering a live session from anywhere: keys, spoken commands, a phone.

Every way of steering sends the same small set of commands, and one function applies them to the
player, so keys, `--listen` and `--remote` can never disagree about what "next" means. A
`Controller` is anything that steers a running session from its own thread (a microphone, a web
page): `play_session` starts each one once the sound has started and closes it when the session
ends, whichever way it ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .. import dsp
from ..text import time_left_words

if TYPE_CHECKING:
    from .player import Player

COMMANDS = ("pause", "resume", "toggle", "next", "back", "repeat", "stop", "extend", "remaining", "key")

KEYS = {" ": "toggle", "n": "next", "N": "next", "b": "back", "B": "back", "r": "repeat", "R": "repeat",
        "+": "extend", "=": "extend", "t": "remaining", "T": "remaining",  # = is + without shift
        "q": "stop", "Q": "stop", "\x1b": "stop"}

MORE_TIME = 15.0  # seconds "more time" adds to a hold or rest


class Controller(Protocol):
    """Steers a session from its own thread by calling `steer(player, command)`. Controllers
    subclass this protocol; `notice` is optional and None by default."""

    def start(self, player: Player) -> None: ...

    def close(self) -> None: ...

    @property
    def notice(self) -> str | None:
        """A short line the floor view keeps at its foot while the session plays (the remote's
        address, the words the microphone listens for); None for none."""
        return None


def steer(player: Player, command: str) -> None:
    """Apply one command. While a `wait` step waits, anything but stop, pause, "more time" and "how
    long" ends the wait (a key press, "continue", "next", ...); pausing it changes nothing, it is
    waiting already."""
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}")
    if command == "stop":
        player.quit()
        return
    if command == "extend":
        more_time(player)
        return
    if command == "remaining":
        say_time_left(player)
        return
    if player.waiting:
        if command != "pause":
            player.key()
        return
    match command:
        case "pause":
            player.set_paused(True)
        case "resume":
            player.set_paused(False)
        case "toggle":
            player.toggle_pause()
        case "next":
            player.skip()
        case "back":
            player.back()
        case "repeat":
            player.repeat()
        case "key":
            player.key()


def command_for_key(key: str) -> str | None:
    return KEYS.get(key)


def more_time(player: Player) -> None:
    """"More time": the hold, rest or breath hold under way (or still to come in this step) lasts
    MORE_TIME longer, and all that follows it moves as much later; the note says what was done."""
    added = player.extend(MORE_TIME)
    player.notify(f"more time: +{added:g} s" if added else "more time: no hold or rest left in this step")


def say_time_left(player: Player) -> None:
    """"How long": what is left of the hold, rest or wait under way, else of the session, spoken at
    once over the session in its own voice and language (the clip is cached like any other)."""
    status = player.status()
    counting = status.countdown is not None and not status.waiting
    left = status.countdown if counting else status.duration - status.position
    words = time_left_words(left, player.timeline.settings.language or "en", session=not counting)
    player.overlay(dsp.from_int16(player.speech(words, "cue")))
    player.notify(words)

