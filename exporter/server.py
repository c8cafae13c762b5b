"""HTTP endpoints: /, the telemetry path, /-/healthy and /-/ready.

A scrape reads the current snapshot's cached exposition and never calls the SWR API, so any number of
Prometheus replicas cost the API nothing extra. One thread per connection: a slow client holds only its
own thread.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import __version__, landing
from .exposition import Exposition, wants_gzip, wants_openmetrics
from .poller import Poller

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything a request handler needs, wired in cli.py."""

    exposition: Exposition
    pollers: Sequence[Poller]
    alive: Callable[[], bool]
    telemetry_path: str = "/metrics"
    multi_target: bool = False
    version: str = __version__
    clock: Callable[[], float] = time.time

    def ready(self) -> bool:
        return all(poller.first_poll_done.is_set() for poller in self.pollers)


def parse_listen_address(address: str) -> tuple[str, int]:
    """``:9878``, ``0.0.0.0:9878``, ``[::1]:9878`` -> (host, port); empty host listens everywhere."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"invalid listen address {address!r}: expected [host]:port")
    return host.strip("[]"), int(port)


class Handler(BaseHTTPRequestHandler):
    server_version = f"swr-exporter/{__version__}"
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that stops sending is dropped instead of holding its thread forever
    app: App

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def _dispatch(self, head: bool) -> None:
        path = urlsplit(self.path).path
        app = self.app
        if path == app.telemetry_path:
            self._metrics(head)
        elif path == "/":
            targets = [(p.target.name, p.snapshot) for p in app.pollers]
            page = landing.render(app.version, app.telemetry_path, targets, app.clock())
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", page, head)
        elif path == "/-/healthy":
            ok = app.alive()
            self._text(
                HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE,
                "Healthy" if ok else "Unhealthy",
                head,
            )
        elif path == "/-/ready":
            ok = app.ready()
            status = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
            self._text(status, "Ready" if ok else "Not ready: first poll in progress", head)
        else:
            self._text(HTTPStatus.NOT_FOUND, "Not found", head)

    def _metrics(self, head: bool) -> None:
        app = self.app
        openmetrics = wants_openmetrics(self.headers.get("Accept"))
        gzip = wants_gzip(self.headers.get("Accept-Encoding"))
        snapshot = None if app.multi_target or not app.pollers else app.pollers[0].snapshot
        body = app.exposition.body(snapshot, openmetrics, gzip)
        extra = {"Content-Encoding": "gzip"} if gzip else {}
        self._send(HTTPStatus.OK, app.exposition.content_type(openmetrics), body, head, extra)

    def _text(self, status: HTTPStatus, text: str, head: bool) -> None:
        self._send(status, "text/plain; charset=utf-8", (text + "\n").encode(), head)

    def _send(
        self,
        status: HTTPStatus,
        content_type: str,
        body: bytes,
        head: bool,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept, Accept-Encoding")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The stdlib page echoes the request line back; a plain reason is enough and echoes nothing.
        self.close_connection = True
        self._text(HTTPStatus(code), HTTPStatus(code).phrase, head=self.command == "HEAD")

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Server6(Server):
    address_family = socket.AF_INET6


def make_server(address: str, app: App) -> Server:
    host, port = parse_listen_address(address)
    handler = type("BoundHandler", (Handler,), {"app": app})
    server_class = Server6 if ":" in host else Server
    return server_class((host or "0.0.0.0", port), handler)
