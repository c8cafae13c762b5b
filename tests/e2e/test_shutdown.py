"""SIGTERM ends the exporter process at once, whatever the API is doing: here, never answering."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import exporter_process, free_port
from tests.fakes.http import read_request_head

pytestmark = pytest.mark.e2e


class SilentApi:
    """Accepts every connection, reads the request, and never answers (until the test ends)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests = threading.Semaphore(0)
        self.stop = threading.Event()
        self.connections: list[socket.socket] = []

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self.hold, args=(conn,), daemon=True).start()

    def hold(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            if read_request_head(conn) is None:
                return
            self.requests.release()
            self.stop.wait(120)


@contextlib.contextmanager
def silent_api() -> Iterator[SilentApi]:
    api = SilentApi()
    threading.Thread(target=api.serve, daemon=True).start()
    try:
        yield api
    finally:
        api.stop.set()
        api.listener.close()
        for conn in api.connections:
            conn.close()


AUTH = {
    "aksk": {"type": "aksk", "access_key": "ak", "secret_key": "sk"},
    # The first request is then IAM's, with every collector waiting for its token.
    "password": {"type": "password", "domain": "d", "username": "u", "password": "pw"},
}


def config_file(tmp_path: Path, endpoint: str, auth: str = "aksk") -> Path:
    config = tmp_path / "swr-exporter.yml"
    config.write_text(json.dumps({  # JSON is YAML
        "region": "cn-north-4", "endpoint": endpoint, "iam_endpoint": endpoint, "project_id": "p1",
        "auth": AUTH[auth], "request_timeout": "60s", "retries": 3,
    }))
    return config


@pytest.mark.parametrize("auth", sorted(AUTH))
def test_sigterm_during_a_hanging_request_exits_0_within_2_seconds_without_traceback(tmp_path, auth):
    output = tmp_path / "exporter.log"
    with silent_api() as api:
        process = exporter_process(output, "--config.file", str(config_file(tmp_path, api.endpoint, auth)),
                                   "--web.listen-address", f"127.0.0.1:{free_port()}")
        try:
            assert api.requests.acquire(timeout=30), output.read_text()
            time.sleep(0.3)  # the other collectors of the first phase are in flight by now too
            sent = time.monotonic()
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=10)
            seconds = time.monotonic() - sent
        finally:
            process.kill()
            process.wait()
    log = output.read_text()

    assert code == 0, log
    assert seconds < 2, log
    assert "Traceback" not in log
    assert "cannot schedule new futures" not in log
