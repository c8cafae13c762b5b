"""HTTP endpoints: /, the telemetry path, /-/healthy and /-/ready, hardened for an open network.

A scrape reads the current snapshot's cached exposition and never calls the SWR API, so any number of
Prometheus replicas cost the API nothing extra. One thread per connection, at most
``Limits.max_connections`` of them, and slow or idle clients give way to new ones (``connections.py``).
Each request must arrive within ``Limits.read_timeout``, its head within ``Limits.max_header_bytes``; one
framed ambiguously (HTTP/0.9, conflicting or invalid Content-Length) gets 400 and the connection closed,
so nothing behind it is taken for a request. No answer echoes anything the client sent.
"""

from __future__ import annotations

import http.client
import logging
import ssl
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import cast
from urllib.parse import parse_qsl, urlsplit

from exporter import __version__
from exporter.exposition.cache import Exposition, wants_gzip, wants_openmetrics
from exporter.polling.poller import Poller
from exporter.polling.snapshot import Snapshot
from exporter.web import landing
from exporter.web.access import REALM, AccessControl
from exporter.web.connections import Limits, RequestReader, Server, Server6, content_length

log = logging.getLogger(__name__)

READ_METHODS = ("GET", "HEAD")


class BadRequest(Exception):
    """A request the server refuses with 400; the message is fixed text, never the client's input."""


def query_params(query: str, allowed: Collection[str], max_length: int = 2048) -> dict[str, str]:
    """The query string as a dict: each allowed name at most once, nothing else. For /probe and the like."""
    if len(query) > max_length:
        raise BadRequest("query string too long")
    if query.count("&") > 2 * len(allowed):
        raise BadRequest("too many query parameters")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("malformed query string") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name not in allowed:
            raise BadRequest("unknown query parameter")
        if name in params:
            raise BadRequest("repeated query parameter")
        params[name] = value
    return params


def known_name(value: str | None, names: Collection[str], what: str = "target") -> str:
    """``value`` when it is one of ``names``; else BadRequest naming ``what`` but not the value."""
    if not value:
        raise BadRequest(f"missing {what}")
    if value not in names:
        raise BadRequest(f"unknown {what}")
    return value


FIXED_PATHS = ("/", "/probe", "/-/healthy", "/-/ready")  # the routes besides the telemetry path


def check_telemetry_path(path: str) -> str:
    """The metrics path, if a scraper can reach it: a plain absolute path that no other endpoint has."""
    if not path.startswith("/") or not path.isprintable() or any(char in path for char in "?# "):
        raise ValueError(f"must be a plain absolute path such as /metrics, got {path!r}")
    if path in FIXED_PATHS:
        raise ValueError(f"{path} is already an endpoint of the exporter")
    return path


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
    access: AccessControl = field(default_factory=AccessControl)
    probes: Mapping[str, Exposition] = field(default_factory=dict)  # /probe?target=NAME, one per target
    demo: bool = False  # --demo: the landing page says so

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
    # Headers, block and tail go out in separate writes; Nagle would hold each write's last partial
    # segment back until the client's (possibly delayed) ACK arrives.
    disable_nagle_algorithm = True
    app: App
    limits: Limits
    rfile: RequestReader  # type: ignore[assignment]

    def setup(self) -> None:
        super().setup()
        self.rfile.close()
        self.rfile = RequestReader(self.connection, self.limits)

    def handle_one_request(self) -> None:
        self.command, self.requestline, self.request_version = None, "", "HTTP/1.1"  # type: ignore[assignment]
        connections = cast(Server, self.server).connections
        try:
            # waiting() and busy() are False once the connection has been hung up to make room.
            if not connections.waiting(self.connection) or not self._read_request():
                self.close_connection = True
                return
            if not connections.busy(self.connection):
                self.close_connection = True
                return
            self.connection.settimeout(self.limits.write_timeout)
            method = getattr(self, "do_" + self.command, None)
            if method is None:
                self.send_error(HTTPStatus.NOT_IMPLEMENTED)
                return
            method()
            self.wfile.flush()
        except http.client.HTTPException:  # the request line alone exceeded the head budget
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        except OSError as error:  # timed out, reset, hung up, TLS alert: nobody left to answer
            log.debug("%s: connection dropped: %s", self.address_string(), type(error).__name__)
            self.close_connection = True

    def _read_request(self) -> bool:
        """The request line and headers, parsed, and the body, dropped, all within ``read_timeout``; False
        when there is no request to answer (any error already answered)."""
        self.rfile.begin()
        self.raw_requestline = self.rfile.readline(self.limits.max_request_line + 1)
        if not self.raw_requestline:
            return False
        if len(self.raw_requestline) > self.limits.max_request_line:
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return False
        if len(str(self.raw_requestline, "iso-8859-1").split()) == 2:  # HTTP/0.9: no version, no headers
            self.send_error(HTTPStatus.BAD_REQUEST)
            return False
        if not self.parse_request() or not self._drain_body():
            return False
        self.rfile.end()
        return True

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def _not_allowed(self) -> None:
        self._handle(head=False)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    def _handle(self, head: bool) -> None:
        path = urlsplit(self.path).path
        denied = self.app.access.check(path, self.headers.get("Authorization"))
        if denied is not None:
            extra = {"WWW-Authenticate": REALM} if denied == HTTPStatus.UNAUTHORIZED else {}
            self._text(denied, denied.phrase, head, extra)
        elif not self._routes().get(path):
            self._text(HTTPStatus.NOT_FOUND, "Not found", head)
        elif self.command not in READ_METHODS:
            self._text(HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed", head, {"Allow": "GET, HEAD"})
        else:
            try:
                self._routes()[path](head)
            except BadRequest as error:
                self._text(HTTPStatus.BAD_REQUEST, f"Bad request: {error}", head)

    def _routes(self) -> Mapping[str, Callable[[bool], None]]:
        return {self.app.telemetry_path: self._metrics, "/probe": self._probe, "/": self._landing,
                "/-/healthy": self._healthy, "/-/ready": self._ready}

    def _drain_body(self) -> bool:
        """Read and drop a small body, so it is not taken for the next request; refuse a large one, and
        one whose length is not clear, closing the connection."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._text(HTTPStatus.LENGTH_REQUIRED, "Length required", head=False)
            return False
        try:
            size = content_length(self.headers.get_all("Content-Length") or ())
        except ValueError as error:
            self.close_connection = True
            self._text(HTTPStatus.BAD_REQUEST, f"Bad request: {error}", head=False)
            return False
        if size > self.limits.max_body_bytes:
            self.close_connection = True
            self._text(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request too large", head=False)
            return False
        if size:
            self.rfile.read(size)
        return True

    def _landing(self, head: bool) -> None:
        app = self.app
        targets = [landing.TargetView.of(poller) for poller in app.pollers]
        page = landing.render(app.version, app.telemetry_path, targets, app.clock(), demo=app.demo)
        self._send(HTTPStatus.OK, "text/html; charset=utf-8", page, head)

    def _healthy(self, head: bool) -> None:
        ok = self.app.alive()
        self._text(HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE,
                   "Healthy" if ok else "Unhealthy", head)

    def _ready(self, head: bool) -> None:
        ok = self.app.ready()
        self._text(HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE,
                   "Ready" if ok else "Not ready: first poll in progress", head)

    def _metrics(self, head: bool) -> None:
        """With one top-level target its data and the exporter's own metrics; with ``targets:`` only
        the latter, the targets being scraped through /probe."""
        app = self.app
        snapshot = None if app.multi_target or not app.pollers else app.pollers[0].snapshot
        self._expose(app.exposition, snapshot, head)

    def _probe(self, head: bool) -> None:
        """The data and health of one configured target (the multi-target pattern of blackbox_exporter)."""
        params = query_params(urlsplit(self.path).query, allowed=("target",))
        name = known_name(params.get("target"), self.app.probes)
        poller = next(p for p in self.app.pollers if p.target.name == name)
        self._expose(self.app.probes[name], poller.snapshot, head)

    def _expose(self, exposition: Exposition, snapshot: Snapshot | None, head: bool) -> None:
        openmetrics = wants_openmetrics(self.headers.get("Accept"))
        gzip = wants_gzip(self.headers.get("Accept-Encoding"))
        # Two pieces, written one after the other: joining them would copy the whole cached block.
        body = exposition.parts(snapshot, openmetrics, gzip)
        extra = {"Content-Encoding": "gzip"} if gzip else {}
        self._send(HTTPStatus.OK, exposition.content_type(openmetrics), body, head, extra)

    def _text(self, status: HTTPStatus, text: str, head: bool, extra: dict[str, str] | None = None) -> None:
        self._send(status, "text/plain; charset=utf-8", (text + "\n").encode(), head, extra)

    def _send(self, status: HTTPStatus, content_type: str, body: bytes | Sequence[bytes], head: bool,
              extra: dict[str, str] | None = None) -> None:
        parts = (body,) if isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(sum(len(part) for part in parts)))
        self.send_header("Vary", "Accept, Accept-Encoding")
        for name, value in {**self.app.access.headers, **(extra or {})}.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            for part in parts:
                self.wfile.write(part)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The stdlib page echoes the request line back; a plain reason is enough and echoes nothing.
        self.close_connection = True
        self.request_version = self.protocol_version  # else an error on the request line has no status line
        status = HTTPStatus(code)
        self._text(status, status.phrase, head=self.command == "HEAD")

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def make_server(address: str, app: App, *, limits: Limits | None = None,
                tls: ssl.SSLContext | None = None) -> Server:
    """``tls``: the server's context; client_allowed_sans is checked inside the handshake
    (``web.tls.SANCheckedSocket``), so it follows the web config file like the rest."""
    limits = limits or Limits()
    host, port = parse_listen_address(address)
    handler = type("BoundHandler", (Handler,), {"app": app, "limits": limits})
    server_class = type("BoundServer", (Server6 if ":" in host else Server,),
                        {"limits": limits, "tls": tls})
    return server_class((host or "0.0.0.0", port), handler)
