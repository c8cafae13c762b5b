"""The whole exporter against an API that lies, nests without end or drips: a failed collector each time,
found fast, and ``/metrics`` keeps answering.

The API is a tiny local server: the simulator answers honestly, and these answers are not.
"""

from __future__ import annotations

import contextlib
import json
import resource
import signal
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.harness import config_for, exporter_process, free_port, running_exporter

pytestmark = pytest.mark.e2e

DEEP = ("[" * 100_000 + "]" * 100_000).encode()
ADDRESS_SPACE = 2 * 2**30
Answer = Callable[[BaseHTTPRequestHandler, threading.Event], None]


def send(handler: BaseHTTPRequestHandler, body: bytes, headers: dict[str, str] | None = None) -> None:
    handler.send_response(200)
    for name, value in {"Content-Type": "application/json", "Content-Length": str(len(body)),
                        **(headers or {})}.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def lying_total(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    page = [{"name": f"repo-{i}", "namespace": "team"} for i in range(7)]
    send(handler, json.dumps(page).encode(), {"Content-Range": "0-7/1000000000"})


def deeply_nested(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    send(handler, DEEP)


def dripping(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    body = json.dumps({"namespaces": [{"name": "team", "auth": 7}]}).encode()
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.flush()
    for byte in body[:20]:  # 10 s at most: only a deadline ends it within the test's bound
        if stop.wait(0.5):
            return
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()


class HostileApi:
    """Answers the paths in ``answers`` as told, everything else with a quick 404."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers
        self.stop = threading.Event()
        self.hits: dict[str, int] = {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                api.hits[path] = api.hits.get(path, 0) + 1
                with contextlib.suppress(OSError):
                    if path in api.answers:
                        api.answers[path](self, api.stop)
                    else:
                        self.send_error(404)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"


@contextlib.contextmanager
def hostile_api(answers: dict[str, Answer]) -> Iterator[HostileApi]:
    api = HostileApi(answers)
    thread = threading.Thread(target=api.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        api.stop.set()
        api.server.shutdown()
        api.server.server_close()


def settings(api: HostileApi) -> dict:
    return {"region": "cn-north-4", "endpoint": api.endpoint, "iam_endpoint": api.endpoint,
            "project_id": "p1", "auth": {"type": "aksk", "access_key": "ak", "secret_key": "sk"},
            "retries": 0, "request_timeout": "1s"}


def wait_for_line(output: Path, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while text not in output.read_text():
        assert time.monotonic() < deadline, output.read_text()
        time.sleep(0.1)
    return output.read_text()


def wait_for_metrics(port: int, text: str, timeout: float = 10.0) -> str:
    """``/metrics`` once it has ``text`` (the poll is published when it ends), each answer a 200."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            assert response.status == 200
            metrics = response.read().decode()
        if text in metrics or time.monotonic() > deadline:
            return metrics
        time.sleep(0.1)


def peak_rss(pid: int) -> int:
    """VmHWM: the most resident memory the process has ever had, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmHWM:"))


def test_a_lying_total_of_a_billion_fails_the_repositories_collector_fast_with_bounded_memory(tmp_path):
    config, output, port = tmp_path / "swr-exporter.yml", tmp_path / "exporter.log", free_port()
    with hostile_api({"/v2/manage/repos": lying_total}) as api:
        config.write_text(json.dumps(settings(api)))  # JSON is YAML
        process = exporter_process(output, "--config.file", str(config), "--web.listen-address",
                                   f"127.0.0.1:{port}")
        try:
            # Believing the total takes gigabytes: capped, that is a MemoryError, not this machine's memory.
            resource.prlimit(process.pid, resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
            started = time.monotonic()
            log = wait_for_line(output, "collector=repositories")
            seconds = time.monotonic() - started
            peak = peak_rss(process.pid)
            metrics = wait_for_metrics(port, 'swr_exporter_collector_success{collector="repositories"}')
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            process.kill()
            process.wait()

    assert "invalid response" in log and "1000000000" in log
    assert "Traceback" not in output.read_text()
    assert api.hits["/v2/manage/repos"] == 1
    assert seconds < 5
    assert peak < 100 * 2**20, f"peak RSS {peak / 2**20:.0f} MiB"
    assert 'swr_exporter_collector_success{collector="repositories"} 0.0' in metrics


def test_json_nested_100000_deep_is_an_invalid_response_not_an_internal_error():
    with hostile_api({"/v2/manage/namespaces": deeply_nested}) as api:
        with running_exporter(config_for(settings(api))) as exporter:
            snap = exporter.poll()
            status, _, _ = exporter.get("/metrics")

    organizations = snap.status("organizations")
    assert organizations is not None and not organizations.success
    assert "nested too deeply" in (organizations.error or "")
    assert not any("internal error" in (s.error or "") for s in snap.collectors)
    assert status == 200


def test_an_answer_dripping_a_byte_every_half_second_fails_its_collector_at_request_timeout():
    with hostile_api({"/v2/manage/namespaces": dripping}) as api:
        with running_exporter(config_for(settings(api))) as exporter:
            snap = exporter.poll()
            status, _, _ = exporter.get("/metrics")

    organizations = snap.status("organizations")
    assert organizations is not None and not organizations.success
    assert "within 1s" in (organizations.error or "")
    assert organizations.duration_seconds < 1.5
    assert status == 200
