"""Fakes shared by the client tests (no tests here): auth, observer, clock and a client factory."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from exporter.swr.client import SwrClient
from exporter.swr.transport import Transport

ENDPOINT = "https://swr-api.test.example"
HOST = "swr-api.test.example"
IAM_ENDPOINT = "https://iam.test.example"


@dataclass
class AuthCall:
    method: str
    host: str
    path: str
    query: str
    body: bytes | None
    base: dict[str, str]


class FakeAuth:
    """Sends a random X-Auth-Token; after a 401 it issues a new one when ``refresh`` is True."""

    def __init__(self, refresh: bool = True, project_id: str | None = None) -> None:
        self.refresh = refresh
        self.project_id = project_id
        self.token = secrets.token_hex(16)
        self.calls: list[AuthCall] = []
        self.unauthorized = 0
        self.accepted = 0

    def headers(self, method: str, host: str, path: str, query: str, body: bytes | None,
                base: Mapping[str, str]) -> dict[str, str]:
        self.calls.append(AuthCall(method, host, path, query, body, dict(base)))
        return {**base, "Host": host, "X-Auth-Token": self.token}

    def on_unauthorized(self) -> bool:
        self.unauthorized += 1
        if self.refresh:
            self.token = secrets.token_hex(16)
        return self.refresh

    def on_accepted(self) -> None:
        self.accepted += 1


@dataclass
class FakeObserver:
    requests: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    retries: list[str] = field(default_factory=list)

    def request(self, operation: str, code: str, seconds: float) -> None:
        assert seconds >= 0
        self.requests.append((operation, code))

    def error(self, operation: str, reason: str) -> None:
        self.errors.append((operation, reason))

    def retry(self, operation: str) -> None:
        self.retries.append(operation)


class FakeClock:
    """Monotonic and wall time that move only when something sleeps; sleeps are recorded."""

    def __init__(self, now: float = 1000.0, wall: float = 1_700_000_000.0) -> None:
        self.now = now
        self.wall_now = wall
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall_now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
            self.wall_now += seconds


def sequence(values: Iterable[float]) -> Any:
    """A random() that returns the given values in turn."""
    it = iter(values)
    return lambda: next(it)


@dataclass
class Harness:
    client: SwrClient
    transport: Transport
    auth: FakeAuth
    observer: FakeObserver
    clock: FakeClock


CLIENT_OPTIONS = ("endpoint", "project_id", "page_size", "max_pages")


def make_transport(clock: FakeClock, observer: FakeObserver, **overrides: Any) -> Transport:
    """A transport on the fake clock; rate limit off unless a test asks for it."""
    options: dict[str, Any] = {
        "observer": observer, "sleep": clock.sleep, "monotonic": clock.monotonic, "wall_clock": clock.wall,
        "random": lambda: 0.5, "rate_limit": 0,
    }
    options.update(overrides)
    return Transport(**options)


def make_client(**overrides: Any) -> Harness:
    """A client and its transport with fake collaborators; options go to whichever of the two takes them."""
    clock = FakeClock()
    observer = FakeObserver()
    auth = overrides.pop("auth", None) or FakeAuth()
    client_options: dict[str, Any] = {"endpoint": ENDPOINT, "auth": auth}
    client_options.update({k: overrides.pop(k) for k in CLIENT_OPTIONS if k in overrides})
    transport = make_transport(clock, observer, **overrides)
    return Harness(SwrClient(transport, **client_options), transport, auth, observer, clock)


def read_request_head(conn: Any) -> bytes | None:
    """The bytes of one request up to its blank line, from a raw socket; None when the peer closed first."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        head += chunk
    return head
