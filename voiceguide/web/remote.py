"""`play --remote`: steer a live session from a phone, and follow it there.

A small server on the local network with nothing but the remote: its page (`static/remote.*` and the
shared stylesheet), the session's state as server-sent events (`/events`, and once as
`/state.json`), and one POST endpoint per command (`/command/pause`, ...). Every command goes
through `steer()`, as keys and spoken commands do; every state is the player's own `status()`
(plan.now's `Now`), the one the floor view draws, so the terminal and the phone always show the same thing.

`Remote` is the session's `Controller`: bound (and its address printed) before the session is
prepared, so a busy port fails at once; it serves the page from then on, steers once
`play_session` hands it the player, and closes the server however the session ends.
"""

from __future__ import annotations

import ipaddress
import json
import math
import socket
import threading
from functools import partial
from http import HTTPStatus
from typing import TYPE_CHECKING, Callable, Iterator
from urllib.parse import urlsplit

from ..plan.now import Now
from ..text import countdown_clock
from ..live.steer import COMMANDS as STEER_COMMANDS, Controller, steer
from .banner import qr_banner, reach_note
from .http import (
    TEXT_TYPE,
    Answer,
    LanServer,
    Reply,
    Request,
    StreamReply,
    json_reply,
    listen,
    not_found,
    static_reply,
)
from .style import STATIC_DIR, STYLESHEET, STYLESHEET_TYPE

if TYPE_CHECKING:
    from ..live.player import Player

DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8766  # beside serve's 8765, so that both can run
COMMANDS = tuple(c for c in STEER_COMMANDS if c != "key")  # "any key" is the keyboard's: the phone has Next
PUBLISH_EVERY = 0.05  # seconds between looks at the player (a change reaches the page within this)
KEEP_ALIVE = 15.0  # seconds between comments on an idle event stream

_HTML = "text/html; charset=utf-8"
PAGE_FILES = {  # URL path -> (file, content type)
    "/": (STATIC_DIR / "remote.html", _HTML),
    "/index.html": (STATIC_DIR / "remote.html", _HTML),
    "/remote.js": (STATIC_DIR / "remote.js", "text/javascript; charset=utf-8"),
    "/remote.css": (STATIC_DIR / "remote.css", STYLESHEET_TYPE),
    "/style.css": (STYLESHEET, STYLESHEET_TYPE),
}
COMMAND_PREFIX = "/command/"


# ------------------------------------------------------------------ what the page shows


def remote_state(fs: Now | None) -> dict:
    """The player's status as the page gets it: what it shows, rounded to what it can show, so that
    an event is sent when something visible changes and not for every millisecond of the position.
    None: the session has not started. Its note is a command's short answer ("more time: +15 s"),
    as the floor view shows it."""
    if fs is None:
        return {"started": False, "finished": False}
    return {
        "note": fs.note,
        "started": True,
        "finished": fs.finished,
        "routine": fs.routine,
        "step": fs.step,
        "side": fs.side,
        "chapter": fs.chapter + 1,
        "chapters": fs.chapters,
        "countdown": fs.countdown_seconds,
        "countdown_text": None if fs.countdown_seconds is None else countdown_clock(fs.countdown_seconds),  # as the floor view
        "countdown_kind": fs.countdown_kind,
        "hold_progress": None if fs.hold_progress is None else round(fs.hold_progress, 2),
        "caption": fs.caption,
        "breath": fs.breath,
        "next_step": fs.next_step,
        "paused": fs.paused,
        "waiting": fs.waiting,
        "left": math.ceil(fs.left - 1e-6),
        "duration": round(fs.duration, 1),
        "session_progress": round(fs.session_progress, 2),
    }


def player_state(player: Player) -> dict:
    return remote_state(player.status())


def event(data: dict, name: str | None = None) -> bytes:
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode("utf-8")


class StateFeed:
    """The latest state and a version number; each event stream waits for the next version."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._state = remote_state(None)
        self._version = 0
        self._closed = False

    @property
    def state(self) -> dict:
        with self._cond:
            return self._state

    def publish(self, state: dict) -> None:
        with self._cond:
            if state != self._state:
                self._state = state
                self._version += 1
                self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def stream(self, keep_alive: float = KEEP_ALIVE) -> Iterator[bytes]:
        """An event stream: the state now, then every new state, then `end` when the session ends."""
        with self._cond:
            state, seen, closed = self._state, self._version, self._closed
        yield b"retry: 1000\n\n" + event(state)
        while not closed:
            with self._cond:
                self._cond.wait_for(lambda: self._version != seen or self._closed, timeout=keep_alive)
                fresh = self._version != seen
                state, seen, closed = self._state, self._version, self._closed
            if fresh:
                yield event(state)
            elif not closed:
                yield b": still here\n\n"
        yield event(state, "end")


# ------------------------------------------------------------------ what each path answers


def _method_not_allowed(allow: str) -> Reply:
    return Reply(HTTPStatus.METHOD_NOT_ALLOWED, f"method not allowed: use {allow}\n".encode(), TEXT_TYPE,
                 headers=(("Allow", allow),), close=True)


def _text(status: HTTPStatus, message: str, close: bool = False) -> Reply:
    return Reply(status, f"{message}\n".encode("utf-8"), TEXT_TYPE, close=close)


def route(remote: Remote, request: Request) -> Answer:
    """What to answer a request to the remote."""
    path = request.path
    if path is not None and path.startswith(COMMAND_PREFIX):
        return command(remote, request, path[len(COMMAND_PREFIX):])
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed("GET, HEAD")
    if path in PAGE_FILES:
        file, ctype = PAGE_FILES[path]
        return static_reply(file, ctype)
    if path == "/events":
        remote.opened.set()  # the page's own script follows the session: a phone is there
        return StreamReply("text/event-stream; charset=utf-8", remote.feed.stream())
    if path == "/state.json":
        return json_reply(remote.feed.state)
    return not_found()


def command(remote: Remote, request: Request, name: str) -> Reply:
    """A POST steers the session and answers its state after the command. Nothing else does: a GET
    (a prefetch, a link preview, a crawler) must never skip a step."""
    if name not in COMMANDS:
        return not_found()
    body = (request.headers.get("Content-Length") or "0").strip() not in ("", "0") or bool(
        request.headers.get("Transfer-Encoding"))  # a body we do not read: close after the reply
    if request.method != "POST":
        return _method_not_allowed("POST")
    origin = request.headers.get("Origin")
    if (origin is not None and origin != request.base) or not own_host(request.base):
        return _text(HTTPStatus.FORBIDDEN, "commands are taken from the remote's own page only", close=body)
    player = remote.player
    if player is None:
        return _text(HTTPStatus.SERVICE_UNAVAILABLE, "the session has not started yet", close=body)
    steer(player, name)
    state = player_state(player)
    remote.feed.publish(state)
    reply = json_reply(state)
    return Reply(reply.status, reply.body, reply.ctype, close=body)


def own_host(base: str) -> bool:
    """Whether the client reached us by an address (or this machine's own name), as the printed URL does.
    Any other name in the Host header is a page elsewhere whose name was pointed at us (DNS rebinding)."""
    host = urlsplit(base).hostname or ""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    name = socket.gethostname().lower()
    return host.lower() in ("localhost", name, f"{name}.local")


# ------------------------------------------------------------------ the server and the controller


class RemoteServer(LanServer):
    """A `LanServer` for one session's remote."""

    def __init__(self, address, remote: Remote, log: Callable[[str], None] | None = None):
        super().__init__(address, partial(route, remote), log)


class Remote(Controller):
    """The remote of one session: serves from `open()`, steers from `start(player)`, gone after `close()`."""

    def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, log: Callable[[str], None] | None = None):
        self.host, self.port, self.log = host, port, log
        self.feed = StateFeed()
        self.player: Player | None = None
        self.server: RemoteServer | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self.opened = threading.Event()  # a phone has opened the page (its event stream)

    def open(self) -> Remote:
        """Bind (a busy port is a VoiceguideError with one clear line) and serve on a thread."""
        self.server = listen(RemoteServer, self.host, self.port, self, log=self.log)
        self._spawn(self.server.serve_forever, "remote-server")
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.page_url

    @property
    def notice(self) -> str:
        """The floor view's reminder of where the phone page is (the QR code is printed before the session)."""
        return f"phone remote: {self.url}"

    def banner(self, command: str, ansi: bool = True) -> str:
        """What `play --remote` prints before the session: the address, a QR code of it, who can reach it."""
        assert self.server is not None
        lines = [f"Remote: {self.url}   (open it on your phone to follow and steer this session)", ""]
        lines += qr_banner(self.url, ansi=ansi)
        lines += reach_note(self.server, command, "follow and steer this session")
        return "\n".join(lines)

    # -- the Controller protocol (live/steer.py)
    def start(self, player: Player) -> None:
        self.player = player
        self._spawn(self._publish, "remote-state")

    def close(self) -> None:
        """Ends the event streams (each gets a last state and `end`) and closes the server. Idempotent."""
        self._stop.set()
        if self.player is not None:
            self.feed.publish(player_state(self.player))
        self.feed.close()
        server, self.server = self.server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(5)

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _publish(self) -> None:
        """Looks at the player a few times a second and publishes what changed."""
        while not self._stop.wait(PUBLISH_EVERY):
            player = self.player
            if player is not None:
                self.feed.publish(player_state(player))
