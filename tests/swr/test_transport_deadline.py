"""Transport over real sockets: ``timeout`` bounds the whole attempt, and ``close()`` ends one in flight.

The servers here are tiny raw-socket ones, so an answer can drip a byte at a time or never come.
"""

from __future__ import annotations

import contextlib
import gc
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from exporter.swr.errors import ApiError
from exporter.swr.transport import Transport
from tests.fakes.http import FakeObserver, read_request_head

DRIP_SECONDS = 0.5
DRIP_FOR = 8.0  # long enough that only a deadline ends it in time, short enough not to hang the suite
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
BODY = b'[{"name": "' + b"x" * 200 + b'"}]'

Answer = Callable[[socket.socket, threading.Event], None]


def drip(conn: socket.socket, data: bytes, stop: threading.Event) -> None:
    deadline = time.monotonic() + DRIP_FOR
    for byte in data:
        if stop.wait(DRIP_SECONDS) or time.monotonic() > deadline:
            return
        conn.sendall(bytes([byte]))


def dripped_head(conn: socket.socket, stop: threading.Event) -> None:
    drip(conn, HEAD + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY, stop)


def dripped_body(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % len(BODY))
    drip(conn, BODY, stop)


def dripped_body_until_close(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEAD + b"Connection: close\r\n\r\n")
    drip(conn, BODY, stop)


def silence(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(DRIP_FOR)


def prompt(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY)


class RawServer:
    """Answers the n-th request on a connection with ``answers[n]`` (the last one for the rest)."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = answers
        self.requests = threading.Semaphore(0)
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.threads: list[threading.Thread] = []

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self.handle, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def handle(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            for number in range(len(self.answers) + 10):
                if read_request_head(conn) is None:
                    return
                self.requests.release()
                self.answers[min(number, len(self.answers) - 1)](conn, self.stop)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def raw_server(*answers: Answer) -> Iterator[RawServer]:
    server = RawServer(*answers)
    acceptor = threading.Thread(target=server.serve, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.listener.close()
        for thread in server.threads:
            thread.join(DRIP_FOR)


def transport(observer: FakeObserver, timeout: float = 1.0) -> Transport:
    return Transport(timeout=timeout, retries=0, rate_limit=0, observer=observer)


def timed(fn: Callable[[], object]) -> tuple[float, BaseException | None]:
    started = time.monotonic()
    try:
        fn()
    except ApiError as error:
        return time.monotonic() - started, error
    return time.monotonic() - started, None


@pytest.mark.parametrize("answer", [dripped_head, dripped_body, dripped_body_until_close, silence])
def test_an_answer_dripping_a_byte_every_half_second_is_cut_at_the_request_timeout(answer):
    observer = FakeObserver()
    with raw_server(answer) as server:
        t = transport(observer)
        seconds, error = timed(lambda: t.send("ListNamespaces", "GET", server.endpoint, "/", auth=None))
        t.close()

    assert isinstance(error, ApiError) and error.reason == "timeout", error
    assert 0.9 < seconds < 1.5
    assert observer.errors == [("ListNamespaces", "timeout")]
    assert "within 1s" in str(error)


def test_a_pooled_connection_reused_for_a_dripping_answer_is_cut_too():
    observer = FakeObserver()
    with raw_server(prompt, dripped_body) as server:
        t = transport(observer)
        first = t.send("ListNamespaces", "GET", server.endpoint, "/v2/manage/namespaces", auth=None)
        seconds, error = timed(lambda: t.send("ListNamespaces", "GET", server.endpoint, "/", auth=None))
        t.close()

    assert first.data == [{"name": "x" * 200}]
    assert isinstance(error, ApiError) and error.reason == "timeout"
    assert seconds < 1.5


def test_a_prompt_answer_is_not_cut_and_the_deadline_does_not_outlive_it():
    observer = FakeObserver()
    with raw_server(prompt) as server:
        t = transport(observer, timeout=0.5)
        for _ in range(3):
            assert t.send("ListNamespaces", "GET", server.endpoint, "/x", auth=None).status == 200
            time.sleep(0.3)  # an expired deadline of an earlier attempt must not touch the pooled socket
        t.close()

    assert observer.errors == []


def test_close_interrupts_a_request_blocked_on_a_silent_server_at_once():
    observer = FakeObserver()
    outcome: list[tuple[float, BaseException | None]] = []
    with raw_server(silence) as server:
        t = transport(observer, timeout=60.0)
        thread = threading.Thread(target=lambda: outcome.append(
            timed(lambda: t.send("ListNamespaces", "GET", server.endpoint, "/", auth=None))))
        thread.start()
        assert server.requests.acquire(timeout=5)
        closed_at = time.monotonic()
        t.close()
        thread.join(DRIP_FOR + 2)
        ended = time.monotonic() - closed_at

    assert outcome, "the request is still blocked after close()"
    error = outcome[0][1]
    assert isinstance(error, ApiError) and error.reason == "network" and "client closed" in str(error)
    assert ended < 0.5


def hang_up(conn: socket.socket, stop: threading.Event) -> None:
    conn.close()


class Bulky:
    """Stands for a page or the records in a caller's locals while the request fails."""


def test_a_network_error_leaves_no_reference_cycle_holding_the_callers_locals():
    observer = FakeObserver()
    with raw_server(hang_up) as server:
        t = transport(observer)

        def caller() -> None:
            bulky = Bulky()  # noqa: F841 -- a local of a frame on the failing request's stack
            with contextlib.suppress(ApiError):
                t.send("ListNamespaces", "GET", server.endpoint, "/", auth=None)

        gc.collect()
        gc.disable()  # only the collection below may find the failed request's garbage
        try:
            caller()
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            kept = [obj for obj in gc.garbage if isinstance(obj, Bulky)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
        t.close()
    assert observer.errors == [("ListNamespaces", "network")]
    assert kept == []
