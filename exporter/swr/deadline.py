"""A deadline for a whole HTTP attempt, and a way to cancel attempts in flight: both shut sockets down.

A socket timeout bounds each read, so an answer that drips a byte every half second is never timed out
by it. Here every attempt is watched instead: when its deadline passes, or when its transport is
closed, the sockets it is using are shut down, which ends a read blocked in a TLS handshake, a head or
a body at once (the read sees end-of-file or an error), whatever the server does.

Sockets are found through the connection classes of :func:`new_session`: each new socket, and each
pooled one when it is reused, is registered with the attempt running on the same thread. The registry
keeps a duplicate of the file descriptor, so shutting down never touches a descriptor that has since
been closed and reused for something else. TCP connect and name resolution happen before a socket
exists: connect is bounded by the socket timeout, name resolution by the system resolver.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class Attempt:
    """The sockets of one attempt; ``expired`` or ``cancelled`` once they have been shut down."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self.cancelled = False
        self._lock = threading.Lock()
        self._done = False
        self._sockets: dict[int, socket.socket] = {}  # original descriptor -> our duplicate

    @property
    def done(self) -> bool:
        return self._done

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            if self._done or sock.fileno() < 0 or sock.fileno() in self._sockets:
                return
            try:
                duplicate = socket.socket(fileno=socket.dup(sock.fileno()))
            except OSError:
                return
            self._sockets[sock.fileno()] = duplicate
            if self.expired or self.cancelled:
                _shut(duplicate)

    def expire(self) -> None:
        self._stop("expired")

    def cancel(self) -> None:
        self._stop("cancelled")

    def finish(self) -> None:
        with self._lock:
            self._done = True
            for duplicate in self._sockets.values():
                duplicate.close()
            self._sockets.clear()

    def _stop(self, flag: str) -> None:
        with self._lock:
            if self._done:
                return
            setattr(self, flag, True)
            for duplicate in self._sockets.values():
                _shut(duplicate)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One thread for the whole process: expires attempts in deadline order."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, Attempt]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, attempt: Attempt) -> None:
        with self._wake:
            heapq.heappush(self._heap, (attempt.deadline, next(self._order), attempt))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="swr-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][2] is attempt:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                attempt = heapq.heappop(self._heap)[2]
            attempt.expire()


_WATCHDOG = _Watchdog()


class Deadlines:
    """The attempts of one transport: each ends ``timeout`` seconds after it began, all at ``cancel()``.

    Deadlines are on the real monotonic clock whatever clock the transport was given: they are
    measured against real sockets.
    """

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._lock = threading.Lock()
        self._attempts: set[Attempt] = set()
        self._cancelled = False

    @contextlib.contextmanager
    def attempt(self) -> Iterator[Attempt]:
        attempt = Attempt(time.monotonic() + self._timeout)
        with self._lock:
            attempt.cancelled = self._cancelled
            self._attempts.add(attempt)
        _WATCHDOG.watch(attempt)
        _current.attempt = attempt
        try:
            yield attempt
        finally:
            _current.attempt = None
            with self._lock:
                self._attempts.discard(attempt)
            attempt.finish()

    def cancel(self) -> None:
        """Shut down the sockets of every attempt in flight, and of every attempt begun from now on."""
        with self._lock:
            self._cancelled = True
            attempts = list(self._attempts)
        for attempt in attempts:
            attempt.cancel()


def _register(sock: socket.socket | None) -> None:
    attempt: Attempt | None = getattr(_current, "attempt", None)
    if attempt is not None and sock is not None:
        attempt.add(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _register(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self.sock)  # a pooled connection, reused by this attempt
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _register(sock)  # before the TLS handshake, which a slow server can drip too
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(*args, **kwargs)
        _watch_pools(manager)
        return manager


def _watch_pools(manager: Any) -> None:
    manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def new_session(pool_size: int) -> requests.Session:
    """A session whose sockets the attempts of :class:`Deadlines` can shut down; no urllib3 retries."""
    session = requests.Session()
    adapter = _WatchedAdapter(pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
