"""HTTP plumbing: a threading server whose handler hands each request to a processing function.

Keeps track of open connections so that ``stop()`` also ends idle keep-alive connections: a client's
pooled connection must not reach a stopped simulator.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from exporter.simulator.replies import Reply
from exporter.simulator.verify import Incoming

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What to do with a connection: answer ``reply``, or ``drop`` it ("close" or "reset")."""

    reply: Reply | None = None
    drop: str | None = None


Processor = Callable[[Incoming], Outcome]


CONNECTION_THREAD = "swr-simulator-connection"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], processor: Processor,
                 tls: ssl.SSLContext | None = None) -> None:
        super().__init__(address, _Handler)
        self.processor = processor
        self.tls = tls
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        # A keep-alive client holds one such thread per open connection; tests that count the
        # exporter's own threads tell these apart by their name.
        threading.current_thread().name = CONNECTION_THREAD
        super().process_request_thread(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            # A client that hangs up mid-answer (an exporter stopping, a timed-out retry) is routine
            # for a server: one line, no traceback.
            log.debug("connection from %s dropped: %s", client_address, type(error).__name__)
            return
        log.error("simulator failed to serve %s", client_address, exc_info=True)

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        if self.server.tls is not None:
            # The handshake runs in this connection's thread; a client that refuses our certificate
            # ends only its own connection (handle_error logs it at debug level).
            self.request.settimeout(10)
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()
        if self.server.tls is not None:
            self.connection.close()

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        outcome = self.server.processor(Incoming(self.command, path, query, headers, body))
        if outcome.drop is not None or outcome.reply is None:
            self._drop(outcome.drop or "close")
            return
        self._write(outcome.reply)

    def _write(self, reply: Reply) -> None:
        body = reply.body()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drop(self, how: str) -> None:
        self.close_connection = True
        if how == "reset":
            # Linger 0 makes close() send RST instead of FIN: the client sees "connection reset".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Nothing: the simulator logs each request itself, once, when asked to (``request_log``)."""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class HttpServer:
    def __init__(self, processor: Processor, tls: ssl.SSLContext | None = None) -> None:
        self._processor = processor
        self._tls = tls
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, host: str, port: int) -> int:
        if self._server is not None:
            raise RuntimeError("already started")
        self._server = _Server((host, port), self._processor, self._tls)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="swr-simulator", daemon=True)
        self._thread.start()
        return int(self._server.server_address[1])

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
