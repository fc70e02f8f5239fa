"""Steering a live session from anywhere: keys, spoken commands, a phone.

Every way of steering sends the same small set of commands, and one function applies them to the
player, so keys, `--listen` and `--remote` can never disagree about what "next" means. A
`Controller` is anything that steers a running session from its own thread (a microphone, a web
page): `play_session` starts each one once the sound has started and closes it when the session
ends, whichever way it ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .live import Player

COMMANDS = ("pause", "resume", "toggle", "next", "back", "repeat", "stop", "key")

KEYS = {" ": "toggle", "n": "next", "N": "next", "b": "back", "B": "back", "r": "repeat", "R": "repeat",
        "q": "stop", "Q": "stop", "\x1b": "stop"}


class Controller(Protocol):
    """Steers a session from its own thread by calling `steer(player, command)`.

    One may also have a `notice`: a short line the floor view keeps at its foot while the session
    plays (the remote's address, the words the microphone listens for)."""

    def start(self, player: Player) -> None: ...

    def close(self) -> None: ...


def steer(player: Player, command: str) -> None:
    """Apply one command. While a `wait` step waits, anything but stop and pause ends the wait
    (a key press, "continue", "next", ...); pausing it changes nothing, it is waiting already."""
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}")
    if command == "stop":
        player.quit()
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
