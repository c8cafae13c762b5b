"""Socket-level defences of the HTTP server: bounded request heads with whole-head deadlines, a
connection cap that a slow or idle client cannot hold, TLS handshakes off the accept loop.
``server.py`` holds what the endpoints answer.

Every connection has a thread, at most ``Limits.max_connections`` of them. A connection is either
*waiting* (for its TLS handshake or for a request, a keep-alive connection between requests
included) or *busy* (answering a request that has arrived). When the cap is reached, the
connection that has waited longest is closed to make room for the new one: slow heads and idle
keep-alive connections give way to scrapes instead of turning them away. Only when every connection is
busy is a newcomer refused with 503.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import ThreadingHTTPServer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    max_request_line: int = 8192
    max_header_bytes: int = 32768  # request line and headers together
    max_headers: int = 64
    max_body_bytes: int = 65536  # a GET with a body is odd but legal: read and discarded up to this
    read_timeout: float = 10.0  # for a whole request (head and body), however slowly it trickles in
    idle_timeout: float = 5.0  # for the first byte of a request, keep-alive idle time included
    write_timeout: float = 30.0
    handshake_timeout: float = 10.0
    max_connections: int = 64


class DeadlineSocketIO(io.RawIOBase):
    """Socket reads that fail once ``deadline`` has passed, however slowly the bytes trickle in, or
    before any byte has come, once ``first_byte_deadline`` has. ``timeout`` bounds each read otherwise."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self._sock = sock
        self._timeout = timeout
        self.deadline: float | None = None
        self.first_byte_deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        timeout = self._timeout
        deadlines = [d for d in (self.deadline, self.first_byte_deadline) if d is not None]
        if deadlines:
            timeout = min(deadlines) - time.monotonic()
            if timeout <= 0:
                raise TimeoutError("request head too slow")
        self._sock.settimeout(timeout)
        count = self._sock.recv_into(buffer)
        if count:
            self.first_byte_deadline = None
        return count


class RequestReader:
    """The handler's rfile: counts the bytes and lines of a request head against the limits."""

    def __init__(self, sock: socket.socket, limits: Limits) -> None:
        self._raw = DeadlineSocketIO(sock, limits.read_timeout)
        self._buffered = io.BufferedReader(self._raw)
        self._limits = limits
        self._left: int | None = None
        self._lines = 0

    def begin(self) -> None:
        now = time.monotonic()
        self._raw.deadline = now + self._limits.read_timeout
        self._raw.first_byte_deadline = now + self._limits.idle_timeout
        self._left, self._lines = self._limits.max_header_bytes, 0

    def end(self) -> None:
        self._raw.deadline, self._raw.first_byte_deadline, self._left = None, None, None

    def readline(self, limit: int = -1) -> bytes:
        if self._left is None:
            return self._buffered.readline(limit)
        self._lines += 1
        if self._lines > self._limits.max_headers + 2:  # request line + headers + blank line
            raise http.client.HTTPException("too many headers")
        cap = self._left + 1 if limit < 0 else min(limit, self._left + 1)
        line = self._buffered.readline(cap)
        self._left -= len(line)
        if self._left < 0:
            raise http.client.LineTooLong("request head")
        if not line.endswith(b"\n") and len(line) < cap and (line or self._lines > 1):
            # The client closed (or was closed) mid-head: what came is no request to answer.
            raise ConnectionAbortedError("request head cut short")
        return line

    def read(self, size: int = -1) -> bytes:
        return self._buffered.read(size)

    def close(self) -> None:
        self._buffered.close()

    @property
    def closed(self) -> bool:
        return self._buffered.closed


_CONTENT_LENGTH = re.compile(r"[0-9]+", re.ASCII)
TOO_LONG = 10**18  # a Content-Length of more digits than this is as good as infinite


def content_length(fields: Sequence[str]) -> int:
    """The body length the Content-Length fields give (0 without any); ValueError when they are not one
    non-negative decimal number, as RFC 9112 section 6.3 requires: a request framed two ways could
    smuggle a second request past a proxy."""
    values = {value.strip() for field in fields for value in field.split(",")}
    if not all(_CONTENT_LENGTH.fullmatch(value) for value in values):
        raise ValueError("invalid Content-Length")
    numbers = {value.lstrip("0") or "0" for value in values}
    if len(numbers) > 1:
        raise ValueError("conflicting Content-Length")
    number = numbers.pop() if numbers else "0"
    return int(number) if len(number) < 18 else TOO_LONG


def hang_up(sock: socket.socket) -> None:
    """Wakes the connection's thread from its read. socket.socket's own shutdown, not SSLSocket's, which
    would tear down the TLS state under the reading thread."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class ConnectionTable:
    """The open connections, at most ``cap``: waiting ones with the time they began waiting, busy ones.
    A connection is unregistered before it is closed, so a hang-up never reaches a reused descriptor."""

    def __init__(self, cap: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._cap = cap
        self._monotonic = monotonic
        self._waiting: dict[socket.socket, float] = {}
        self._busy: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._warned = -float("inf")

    def admit(self, sock: socket.socket) -> bool:
        """Registers ``sock`` as waiting; at the cap, first hangs up the connection waiting longest.
        False when every connection is busy."""
        with self._lock:
            if len(self._waiting) + len(self._busy) >= self._cap:
                if not self._waiting:
                    return False
                victim = min(self._waiting, key=self._waiting.__getitem__)
                del self._waiting[victim]
                hang_up(victim)
                self._warn()
            self._waiting[sock] = self._monotonic()
            return True

    def rebind(self, old: socket.socket, new: socket.socket) -> bool:
        """``new`` (the TLS socket) takes ``old``'s place; False when ``old`` has been hung up meanwhile."""
        with self._lock:
            if old not in self._waiting:
                return False
            self._waiting[new] = self._waiting.pop(old)
            return True

    def waiting(self, sock: socket.socket) -> bool:
        with self._lock:
            if sock in self._busy:
                self._busy.discard(sock)
                self._waiting[sock] = self._monotonic()
            return sock in self._waiting

    def busy(self, sock: socket.socket) -> bool:
        """Marks ``sock`` busy; False when it has been hung up and must not be answered."""
        with self._lock:
            if self._waiting.pop(sock, None) is None:
                return False
            self._busy.add(sock)
            return True

    def release(self, sock: socket.socket) -> None:
        with self._lock:
            self._waiting.pop(sock, None)
            self._busy.discard(sock)

    def __len__(self) -> int:
        with self._lock:
            return len(self._waiting) + len(self._busy)

    def _warn(self) -> None:
        now = self._monotonic()
        if now - self._warned >= 60:
            self._warned = now
            log.warning("connection limit of %d reached: closing the connections that waited longest for "
                        "a request (logged at most once a minute)", self._cap)


class Server(ThreadingHTTPServer):
    """A thread per connection, at most ``limits.max_connections``; TLS handshakes in those threads."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's 5 makes a burst of scrapers wait for SYN retransmits
    limits: Limits
    tls: ssl.SSLContext | None = None

    def server_activate(self) -> None:
        super().server_activate()
        self.connections = ConnectionTable(self.limits.max_connections)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        if not self.connections.admit(request):
            log.warning("connection limit of %d reached, every connection busy: refusing a connection",
                        self.limits.max_connections)
            if self.tls is None:
                with contextlib.suppress(OSError):
                    request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                    b"Connection: close\r\n\r\n")
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.connections.release(request)
            raise

    def process_request_thread(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.connections.release(request)
            self.shutdown_request(request)

    def finish_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        connection = self._handshake(request)
        if connection is None:
            return
        try:
            super().finish_request(connection, client_address)
        finally:
            self.connections.release(connection)
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _handshake(self, request: socket.socket) -> ssl.SSLSocket | None:
        assert self.tls is not None
        request.settimeout(self.limits.handshake_timeout)
        connection = None
        try:
            connection = self.tls.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
            if not self.connections.rebind(request, connection):
                raise ConnectionAbortedError("closed to make room")
            connection.do_handshake()
        except (OSError, ValueError) as error:
            log.debug("TLS handshake failed: %s", getattr(error, "reason", None) or type(error).__name__)
            self._drop(connection)
            return None
        return connection

    def _drop(self, connection: ssl.SSLSocket | None) -> None:
        if connection is not None:
            self.connections.release(connection)
            connection.close()

    def handle_error(self, request: object, client_address: object) -> None:
        log.exception("unexpected error while serving a request")


class Server6(Server):
    address_family = socket.AF_INET6
