"""HTTP endpoints: /, the telemetry path, /probe, /-/healthy, /-/ready and /-/reload, hardened for an
open network.

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
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import cast
from urllib.parse import urlsplit

from exporter import __version__
from exporter.exposition.cache import Exposition, wants_gzip, wants_openmetrics
from exporter.polling.snapshot import Snapshot
from exporter.web import landing
from exporter.web.access import REALM
from exporter.web.app import READ_METHODS, RELOAD_METHODS, App, BadRequest, known_name, query_params
from exporter.web.connections import Limits, RequestReader, Server, content_length
from exporter.web.listen import bind
from exporter.web.sending import send_body

log = logging.getLogger(__name__)

class Handler(BaseHTTPRequestHandler):
    server_version = f"swr-exporter/{__version__}"
    protocol_version = "HTTP/1.1"
    # Headers, block and tail go out in separate writes; Nagle would hold each write's last partial
    # segment back until the client's (possibly delayed) ACK arrives.
    disable_nagle_algorithm = True
    site: Callable[[], App]  # the current App; reload swaps it
    app: App  # the one this request is answered from, fixed when it arrives
    limits: Limits
    rfile: RequestReader  # type: ignore[assignment]
    _headers_buffer: list[bytes]  # BaseHTTPRequestHandler's, which typeshed leaves out; see _send

    def setup(self) -> None:
        super().setup()
        self.rfile.close()
        self.rfile = RequestReader(self.connection, self.limits)

    def handle_one_request(self) -> None:
        self.command, self.requestline, self.request_version = None, "", "HTTP/1.1"  # type: ignore[assignment]
        connections = cast(Server, self.server).connections
        self.app = type(self).site()
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

    def _handle(self) -> None:
        head = self.command == "HEAD"
        path = urlsplit(self.path).path
        denied = self.app.access.check(path, self.headers.get("Authorization"))
        route = self._routes().get(path)
        if denied is not None:
            extra = {"WWW-Authenticate": REALM} if denied == HTTPStatus.UNAUTHORIZED else {}
            self._text(denied, denied.phrase, head, extra)
        elif route is None:
            self._text(HTTPStatus.NOT_FOUND, "Not found", head)
        elif self.command not in route[0]:
            allow = {"Allow": ", ".join(route[0])}
            self._text(HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed", head, allow)
        else:
            try:
                route[1](head)
            except BadRequest as error:
                self._text(HTTPStatus.BAD_REQUEST, f"Bad request: {error}", head)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _handle

    def _routes(self) -> Mapping[str, tuple[Sequence[str], Callable[[bool], None]]]:
        read = {self.app.telemetry_path: self._metrics, "/probe": self._probe, "/": self._landing,
                "/-/healthy": self._healthy, "/-/ready": self._ready}
        return {**{path: (READ_METHODS, answer) for path, answer in read.items()},
                "/-/reload": (RELOAD_METHODS, self._reload)}

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

    def _reload(self, head: bool) -> None:
        if self.app.reload is None:
            self._text(HTTPStatus.SERVICE_UNAVAILABLE, "Reload is not available", head)
            return
        error = self.app.reload()
        if error is None:
            self._text(HTTPStatus.OK, "Reloaded", head)
        else:  # the configuration's own error text, as at start-up; nothing the client sent
            self._text(HTTPStatus.INTERNAL_SERVER_ERROR, f"failed to reload config: {error}", head)

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
        if head:
            self.end_headers()
            return
        # The head goes out with the body, in one system call: one GIL hand-back less (sending.py).
        self._headers_buffer.append(b"\r\n")  # what end_headers() adds before it writes
        head_bytes = b"".join(self._headers_buffer)
        self._headers_buffer = []
        send_body(self.connection, [head_bytes, *parts], self.limits.write_timeout)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The stdlib page echoes the request line back; a plain reason is enough and echoes nothing.
        self.close_connection = True
        self.request_version = self.protocol_version  # else an error on the request line has no status line
        status = HTTPStatus(code)
        self._text(status, status.phrase, head=self.command == "HEAD")

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def make_server(address: str, app: App | Callable[[], App], *, limits: Limits | None = None,
                tls: ssl.SSLContext | None = None) -> Server:
    """A server for one ``--web.listen-address`` (``listen.py``: ``:port`` is IPv6 and IPv4 alike).
    ``app``: the App, or a callable giving the current one (reload replaces it). ``tls``: the server's
    context; client_allowed_sans is checked inside the handshake (``web.tls.SANCheckedSocket``), so it
    follows the web config file like the rest. Each server has its own connection limits."""
    limits = limits or Limits()
    site = app if callable(app) else (lambda: app)
    handler = type("BoundHandler", (Handler,), {"site": staticmethod(site), "limits": limits})
    return bind(address, handler, {"limits": limits, "tls": tls})

