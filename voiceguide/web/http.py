"""A small HTTP server for the local network, shared by voiceguide's servers.

A server is a `LanServer` bound with `listen()` and an app: a function from a `Request` to a `Reply`
(bytes made on request), a `FileReply` (a file sent with byte ranges, ETag and Last-Modified) or a
`StreamReply` (bytes sent as they are made: server-sent events).
The handler only translates between the two; what a server serves is all in its app. It also
carries what every server sends alike: the address a phone can reach and the same security
headers on every page. What the servers print (a QR code, who can reach them) is in `banner`.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import socket
import sys
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable, Union
from urllib.parse import unquote, urlsplit

from .. import __version__
from ..errors import VoiceguideError

EVERY_INTERFACE = ("0.0.0.0", "::", "")
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    ),
)
TEXT_TYPE = "text/plain; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
_HOST_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


# ------------------------------------------------------------------ requests and replies


@dataclass(frozen=True)
class Request:
    method: str
    path: str | None  # decoded; None when it is not a plain path (see request_path)
    base: str  # 'http://host:port' as this client reached us
    headers: Message = field(compare=False)

    @property
    def head(self) -> bool:
        return self.method == "HEAD"


@dataclass(frozen=True)
class Reply:
    status: HTTPStatus
    body: bytes
    ctype: str
    cache: str = "no-cache"
    headers: tuple[tuple[str, str], ...] = ()  # sent after Cache-Control
    close: bool = False  # close the connection after it (a request body it did not read)


@dataclass(frozen=True)
class FileReply:
    path: Path
    ctype: str


@dataclass(frozen=True)
class StreamReply:
    """A reply sent while it is made (server-sent events): each chunk goes out as soon as it is
    yielded; the connection closes when the chunks end."""

    ctype: str
    chunks: Iterable[bytes] = field(compare=False)


Answer = Union[Reply, FileReply, StreamReply]
App = Callable[[Request], Answer]


def not_found() -> Reply:
    return Reply(HTTPStatus.NOT_FOUND, b"not found\n", TEXT_TYPE)


def json_reply(data, ctype: str = JSON_TYPE) -> Reply:
    return Reply(HTTPStatus.OK, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"), ctype)


def static_reply(path: Path, ctype: str) -> Reply:
    """One of a server's own files, read on each request."""
    try:
        body = path.read_bytes()
    except OSError:
        return not_found()
    return Reply(HTTPStatus.OK, body, ctype)


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def request_path(target: str) -> str | None:
    """The request's path, decoded; None for anything that is not a plain path (.., \\, NUL, //)."""
    try:
        raw = urlsplit(target).path
        path = unquote(raw, errors="strict")
    except (ValueError, UnicodeDecodeError):
        return None
    if not path.startswith("/") or "\x00" in path or "\\" in path or "//" in path:
        return None
    if any(part in (".", "..") for part in path.split("/")):
        return None
    return path


def request_base(host_header: str | None, fallback: str) -> str:
    """'http://host:port' as the client reached us (the Host header), else the server's own address."""
    host = (host_header or "").strip()
    if host and _HOST_RE.match(host):
        return f"http://{host}"
    return fallback


# ------------------------------------------------------------------ files: validators and ranges


def parse_byte_range(header: str, size: int) -> tuple[int, int] | str | None:
    """One byte range of a `size`-byte file: (first, last) inclusive, 'unsatisfiable', or None to
    ignore the header and send the whole file (malformed, or several ranges, as RFC 9110 allows)."""
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header or "")
    if not m or (not m.group(1) and not m.group(2)):
        return None
    first, last = m.group(1), m.group(2)
    if first:
        a = int(first)
        b = int(last) if last else size - 1
        if last and b < a:
            return None
        if a >= size:
            return "unsatisfiable"
        return a, min(b, size - 1)
    n = int(last)  # a suffix: the last n bytes
    if n == 0 or size == 0:
        return "unsatisfiable"
    return max(0, size - n), size - 1


@dataclass(frozen=True)
class FileAnswer:
    """What to send for a file: status and headers in order, then `length` bytes from `first`."""

    status: HTTPStatus
    headers: tuple[tuple[str, str], ...]
    first: int = 0
    length: int = 0


def answer_file(st: os.stat_result, ctype: str, headers: Message) -> FileAnswer:
    """The reply to a GET of a file with this stat: 304 for the client's current copy, 416 for a
    range past its end, 206 for one range (unless If-Range names another version), else 200."""
    size = st.st_size
    etag = f'"{st.st_mtime_ns:x}-{size:x}"'
    modified = http_date(st.st_mtime)
    validators = (("ETag", etag), ("Last-Modified", modified), ("Accept-Ranges", "bytes"))
    inm = headers.get("If-None-Match")
    if inm and (inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")]):
        return FileAnswer(HTTPStatus.NOT_MODIFIED, validators + (("Content-Length", "0"),))
    rng = headers.get("Range")
    if_range = headers.get("If-Range")
    if rng and if_range and if_range.strip() not in (etag, modified):
        rng = None  # the client's copy is of another version: send the whole file
    first, last, status = 0, size - 1, HTTPStatus.OK
    if rng:
        r = parse_byte_range(rng, size)
        if r == "unsatisfiable":
            unsatisfiable = (("Content-Range", f"bytes */{size}"), ("Content-Length", "0"))
            return FileAnswer(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, unsatisfiable + validators)
        if r is not None:
            first, last = r
            status = HTTPStatus.PARTIAL_CONTENT
    length = max(0, last - first + 1)
    sent = [("Content-Type", ctype), ("Content-Length", str(length))]
    if status == HTTPStatus.PARTIAL_CONTENT:
        sent.append(("Content-Range", f"bytes {first}-{last}/{size}"))
    sent += [*validators, ("Cache-Control", "no-cache"), *SECURITY_HEADERS]
    return FileAnswer(status, tuple(sent), first, length)


# ------------------------------------------------------------------ the handler


class Handler(BaseHTTPRequestHandler):
    """Hands every request to the server's app and sends what it answers."""

    server_version = f"voiceguide/{__version__}"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle keep-alive connection (phones keep them) is closed after this long

    server: "LanServer"

    def _dispatch(self) -> None:
        request = Request(
            method=self.command,
            path=request_path(self.path),
            base=request_base(self.headers.get("Host"), self.server.base_url),
            headers=self.headers,
        )
        try:
            answer = self.server.app(request)
            if isinstance(answer, FileReply):
                self._send_file(answer, request)
            elif isinstance(answer, StreamReply):
                self._send_stream(answer, request.head)
            else:
                self._send(answer, request.head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the listener went away (a phone seeking does this a lot)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch
    do_OPTIONS = do_PROPFIND = do_MKCOL = do_MOVE = do_COPY = _dispatch

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        self.server.log(f"{self.address_string()} {format % args}")

    def _send(self, reply: Reply, head: bool) -> None:
        if reply.close:
            self.close_connection = True
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.ctype)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Cache-Control", reply.cache)
        for k, v in reply.headers + SECURITY_HEADERS:
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(reply.body)

    def _send_stream(self, reply: StreamReply, head: bool) -> None:
        """No length and no keep-alive: the stream ends when the connection closes. Nagle is off, so
        that a small event is not held back waiting for the client's (delayed) acknowledgement."""
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", reply.ctype)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        for k, v in SECURITY_HEADERS:
            self.send_header(k, v)
        self.end_headers()
        if head:
            return
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.wfile.flush()
        for chunk in reply.chunks:
            self.wfile.write(chunk)
            self.wfile.flush()

    def _send_file(self, reply: FileReply, request: Request) -> None:
        """The file's bytes with sendfile where the OS has it; opened once, so it cannot change under us."""
        try:
            f = open(reply.path, "rb")
        except OSError:
            return self._send(not_found(), request.head)
        with f:
            answer = answer_file(os.fstat(f.fileno()), reply.ctype, request.headers)
            self.send_response(answer.status)
            for k, v in answer.headers:
                self.send_header(k, v)
            self.end_headers()
            if request.head or answer.length == 0:
                return
            self.wfile.flush()
            self.connection.sendfile(f, answer.first, answer.length)


# ------------------------------------------------------------------ the server


class LanServer(ThreadingHTTPServer):
    """A threaded server that knows the address others reach it at (`base_url`)."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, address, app: App, log: Callable[[str], None] | None = None):
        self.app = app
        self._log = log
        super().__init__(address, Handler)
        host, port = self.server_address[:2]
        self.port = port
        self.bound_host = host
        shown = host
        if host in EVERY_INTERFACE:
            shown = lan_address() or "127.0.0.1"
        if ":" in shown:
            shown = f"[{shown}]"
        self.base_url = f"http://{shown}:{port}"

    @property
    def page_url(self) -> str:
        return f"{self.base_url}/"

    @property
    def everywhere(self) -> bool:
        """Bound to every interface: reachable from the local network."""
        return self.bound_host in EVERY_INTERFACE

    @property
    def local_only(self) -> bool:
        return self.bound_host.startswith("127.") or self.bound_host in ("::1", "localhost")

    def log(self, message: str) -> None:
        if self._log:
            self._log(message)

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # a client that went away
        self.log(f"{client_address[0]} internal error: {type(exc).__name__}: {exc}")


def listen(server_class: type[LanServer], host: str, port: int, *args, **kwargs) -> LanServer:
    """`server_class((host, port), *args, **kwargs)`, over IPv6 for an IPv6 host; clear errors for a busy port."""
    if ":" in host:
        server_class = type(server_class.__name__ + "6", (server_class,), {"address_family": socket.AF_INET6})
    try:
        return server_class((host, port), *args, **kwargs)
    except OSError as exc:
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise VoiceguideError(f"port {port} is already in use; choose another with --port") from None
        raise VoiceguideError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None


def lan_address() -> str | None:
    """This machine's address on the local network (the one its default route uses), if it has one.

    A UDP socket's connect() only chooses a route: it sends nothing."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): never a real host
            ip = s.getsockname()[0]
            if ip and not ip.startswith("127.") and ip != "0.0.0.0":
                return ip
    except OSError:
        pass
    try:
        for ip in socket.gethostbyname_ex(socket.gethostname())[2]:
            if not ip.startswith("127."):
                return ip
    except OSError:
        pass
    return None
