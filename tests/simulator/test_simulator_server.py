"""The simulator's HTTP plumbing: how it treats clients that go away."""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time

import pytest

from exporter.simulator.replies import Reply
from exporter.simulator.server import HttpServer, Outcome
from exporter.simulator.verify import Incoming


def test_a_client_that_hangs_up_before_the_answer_is_logged_in_one_line_without_a_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    hung_up = threading.Event()

    def processor(_: Incoming) -> Outcome:
        hung_up.wait(5)
        return Outcome(reply=Reply(200, raw=b"x" * (4 << 20)))

    caplog.set_level(logging.DEBUG, logger="exporter.simulator.server")
    server = HttpServer(processor)
    port = server.start("127.0.0.1", 0)
    try:
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"GET /v2/manage/namespaces HTTP/1.1\r\nHost: x\r\n\r\n")
        # Linger 0: close() sends RST, so the server's write fails as it does when an exporter stops.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        hung_up.set()
        deadline = time.monotonic() + 5
        while not _dropped(caplog) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        server.stop()
    dropped = _dropped(caplog)
    assert dropped and all(r.exc_info is None for r in dropped)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_failure_inside_the_simulator_is_logged_as_an_error_with_its_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    def processor(_: Incoming) -> Outcome:
        raise RuntimeError("simulator bug")

    server = HttpServer(processor)
    port = server.start("127.0.0.1", 0)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(100) == b""  # the server closes the connection it could not answer
    finally:
        server.stop()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and errors[0].exc_info is not None and "simulator bug" in str(errors[0].exc_info[1])


def _dropped(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "dropped" in r.getMessage()]
