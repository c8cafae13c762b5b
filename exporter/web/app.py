"""What the HTTP endpoints serve (``App``), and the checks of what a request may ask for.

``server.py`` answers requests; this module holds the state they read, built in ``runtime.py`` and
replaced as a whole on reload, so a request sees one configuration from start to end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from exporter import __version__
from exporter.exposition.cache import Exposition
from exporter.polling.poller import Poller
from exporter.web.access import AccessControl

READ_METHODS = ("GET", "HEAD")
RELOAD_METHODS = ("POST",)
FIXED_PATHS = ("/", "/probe", "/-/healthy", "/-/ready", "/-/reload")  # besides the telemetry path


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


def check_telemetry_path(path: str) -> str:
    """The metrics path, if a scraper can reach it: a plain absolute path that no other endpoint has."""
    if not path.startswith("/") or not path.isprintable() or any(char in path for char in "?# "):
        raise ValueError(f"must be a plain absolute path such as /metrics, got {path!r}")
    if path in FIXED_PATHS:
        raise ValueError(f"{path} is already an endpoint of the exporter")
    return path


@dataclass
class App:
    """Everything a request handler needs, wired in runtime.py.

    ``reload``: what ``POST /-/reload`` runs; None when the answer is an error text, else the reload
    took. Without it (tests, tools) the endpoint answers 503.
    """

    exposition: Exposition
    pollers: Sequence[Poller]
    alive: Callable[[], bool]
    telemetry_path: str = "/metrics"
    multi_target: bool = False
    version: str = __version__
    clock: Callable[[], float] = time.time
    access: AccessControl = field(default_factory=AccessControl)
    probes: Mapping[str, Exposition] = field(default_factory=dict)  # /probe?target=NAME, one per target
    reload: Callable[[], str | None] | None = None
    # Set once every target has polled; shared by the Apps a reload builds, so a target added later
    # does not take a serving exporter out of its load balancer until that target's first poll.
    was_ready: threading.Event = field(default_factory=threading.Event)
    demo: bool = False  # --demo: the landing page says so

    def ready(self) -> bool:
        if not self.was_ready.is_set() and all(poller.first_poll_done.is_set() for poller in self.pollers):
            self.was_ready.set()
        return self.was_ready.is_set()
