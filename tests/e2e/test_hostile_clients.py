"""Hostile clients against the running exporter, over real sockets on loopback: slow request heads and
idle keep-alive connections by the hundred do not keep Prometheus from scraping, and a request framed
two ways or without an HTTP version gets no metrics."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from exporter.simulator import Dataset, Simulator
from exporter.web.server import Limits
from tests.e2e.harness import Exporter, config_for, exporter_settings, running_exporter

pytestmark = pytest.mark.e2e

SLOW_CLIENTS = 200
IDLE_CONNECTIONS = 500
UNDER_FULL_ATTACK = 2.5  # seconds of scraping once every hostile connection has been opened
SLOW_HEAD = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 200  # never finished


@pytest.fixture(scope="module")
def exporter() -> Iterator[Exporter]:
    dataset = Dataset.generate(seed=15, organizations=2, repositories=20, tags_per_repository=1,
                               shared_with_me=1)
    with Simulator(dataset=dataset) as sim:
        with running_exporter(config_for(exporter_settings(sim, sim.account))) as running:
            running.poll()
            yield running


def connect(port: int) -> socket.socket | None:
    with contextlib.suppress(OSError):
        return socket.create_connection(("127.0.0.1", port), timeout=2)
    return None


def send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.settimeout(0.05)
        sock.sendall(data)
        return True
    except OSError:
        return False


def hung_up(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


@dataclass
class Attack:
    """From one thread: SLOW_CLIENTS connections that send one byte of their head a second each and
    are reopened when the exporter drops them, and IDLE_CONNECTIONS that make one keep-alive request
    and then stay silent (not even reading the answer)."""

    port: int
    stop: threading.Event = field(default_factory=threading.Event)
    all_open: threading.Event = field(default_factory=threading.Event)
    slow: dict[socket.socket, int] = field(default_factory=dict)  # socket -> bytes of SLOW_HEAD sent
    idle: list[socket.socket] = field(default_factory=list)
    opened: int = 0

    def run(self) -> None:
        for _ in range(SLOW_CLIENTS):
            self._open_slow()
        for _ in range(IDLE_CONNECTIONS):
            sock = connect(self.port)
            if sock is not None and send(sock, b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"):
                self.idle.append(sock)
                self.opened += 1
        self.all_open.set()
        while not self.stop.wait(1.0):
            self._trickle()

    def _open_slow(self) -> None:
        sock = connect(self.port)
        if sock is not None and send(sock, SLOW_HEAD[:1]):
            self.slow[sock] = 1
            self.opened += 1

    def _trickle(self) -> None:
        for sock, sent in list(self.slow.items()):
            if self.stop.is_set():
                return
            if not hung_up(sock) and send(sock, SLOW_HEAD[sent:sent + 1]):
                self.slow[sock] = sent + 1
            else:  # dropped: a persistent attacker comes straight back
                sock.close()
                del self.slow[sock]
                self._open_slow()

    def close(self) -> None:
        for sock in [*self.slow, *self.idle]:
            sock.close()


def scrape(port: int) -> tuple[int | str, float]:
    began = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        body = response.read()
        status: int | str = response.status
        if status == 200 and b"swr_repository_size_bytes" not in body:
            status = "no data"
    except (OSError, http.client.HTTPException) as error:
        status = type(error).__name__
    finally:
        conn.close()
    return status, time.monotonic() - began


def test_scrapes_answer_200_within_a_second_while_slow_and_idle_clients_hold_connections(exporter):
    attack = Attack(exporter.port)
    attacker = threading.Thread(target=attack.run, name="attacker")
    threads_before = threading.active_count()
    attacker.start()
    results, most_threads = [], 0
    try:
        give_up, until = time.monotonic() + 20, None
        while time.monotonic() < min(give_up, until or give_up):
            results.append(scrape(exporter.port))
            most_threads = max(most_threads, threading.active_count())
            if until is None and attack.all_open.is_set():
                until = time.monotonic() + UNDER_FULL_ATTACK
            time.sleep(0.1)
    finally:
        attack.stop.set()
        attacker.join(timeout=10)
        attack.close()
    assert attack.all_open.is_set() and attack.opened > SLOW_CLIENTS + IDLE_CONNECTIONS  # slow ones reopened
    assert len(results) >= 20
    assert [status for status, _ in results] == [200] * len(results)
    assert max(seconds for _, seconds in results) < 1.0
    # A thread per connection, never more than the cap (plus the attacker's and the ones winding down).
    assert most_threads <= threads_before + Limits().max_connections + 16


def exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(data)
        chunks = []
        with contextlib.suppress(OSError):  # a reset, or kept open: what came is the answer
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


def test_a_request_smuggled_behind_conflicting_content_lengths_is_not_answered(exporter):
    smuggled = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
    head = (b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: %d\r\n\r\n"
            % len(smuggled))
    answer = exchange(exporter.port, head + smuggled)
    assert answer.startswith(b"HTTP/1.1 400 ") and answer.count(b"HTTP/1.1 ") == 1
    assert b"swr_" not in answer


def test_an_http_0_9_request_gets_no_metrics(exporter):
    answer = exchange(exporter.port, b"GET /metrics\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ") and b"swr_" not in answer
