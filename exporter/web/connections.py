"""Socket-level defences of the HTTP server: bounded request heads, read deadlines, a connection cap,
TLS handshakes off the accept loop. ``server.py`` holds what the endpoints answer.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import ThreadingHTTPServer

from exporter.web.tls import peer_allowed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    max_request_line: int = 8192
    max_header_bytes: int = 32768  # request line and headers together
    max_headers: int = 64
    max_body_bytes: int = 65536  # a GET with a body is odd but legal: read and discarded up to this
    read_timeout: float = 10.0  # for a request's line and headers, keep-alive idle time included
    write_timeout: float = 30.0
    handshake_timeout: float = 10.0
    max_connections: int = 64


class DeadlineSocketIO(io.RawIOBase):
    """Socket reads that fail once ``deadline`` has passed, however slowly the bytes trickle in."""

    def __init__(self, sock: socket.socket, idle_timeout: float) -> None:
        self._sock = sock
        self._idle_timeout = idle_timeout
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        timeout = self._idle_timeout
        if self.deadline is not None:
            timeout = self.deadline - time.monotonic()
            if timeout <= 0:
                raise TimeoutError("request head too slow")
        self._sock.settimeout(timeout)
        return self._sock.recv_into(buffer)


class RequestReader:
    """The handler's rfile: counts the bytes and lines of a request head against the limits."""

    def __init__(self, sock: socket.socket, limits: Limits) -> None:
        self._raw = DeadlineSocketIO(sock, limits.read_timeout)
        self._buffered = io.BufferedReader(self._raw)
        self._limits = limits
        self._left: int | None = None
        self._lines = 0

    def begin(self) -> None:
        self._raw.deadline = time.monotonic() + self._limits.read_timeout
        self._left, self._lines = self._limits.max_header_bytes, 0

    def end(self) -> None:
        self._raw.deadline, self._left = None, None

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
        return line

    def read(self, size: int = -1) -> bytes:
        return self._buffered.read(size)

    def close(self) -> None:
        self._buffered.close()

    @property
    def closed(self) -> bool:
        return self._buffered.closed


class Server(ThreadingHTTPServer):
    """A thread per connection, at most ``limits.max_connections``; TLS handshakes in those threads."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's 5 makes a burst of scrapers wait for SYN retransmits
    limits: Limits
    tls: ssl.SSLContext | None = None
    allowed_sans: tuple[str, ...] = ()

    def server_activate(self) -> None:
        super().server_activate()
        self._slots = threading.BoundedSemaphore(self.limits.max_connections)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        if not self._slots.acquire(blocking=False):
            log.warning("connection limit of %d reached: refusing a connection", self.limits.max_connections)
            if self.tls is None:
                with contextlib.suppress(OSError):
                    request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                    b"Connection: close\r\n\r\n")
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

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
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _handshake(self, request: socket.socket) -> ssl.SSLSocket | None:
        assert self.tls is not None
        request.settimeout(self.limits.handshake_timeout)
        try:
            connection = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ValueError) as error:
            log.debug("TLS handshake failed: %s", getattr(error, "reason", None) or type(error).__name__)
            return None
        if not peer_allowed(connection.getpeercert(), self.allowed_sans):
            log.debug("TLS client certificate names none of client_allowed_sans")
            connection.close()
            return None
        return connection

    def handle_error(self, request: object, client_address: object) -> None:
        log.exception("unexpected error while serving a request")


class Server6(Server):
    address_family = socket.AF_INET6
