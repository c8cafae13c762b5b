"""Runs the whole exporter in-process against the simulator, over real HTTP on loopback."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from exporter.cli import Runtime, build_app, build_runtime
from exporter.config import Config, parse_config
from exporter.server import make_server
from exporter.simulator import Account, Simulator


def exporter_settings(simulator: Simulator, account: Account, **overrides) -> dict:
    settings = {
        "region": "cn-north-4",
        "endpoint": simulator.base_url,
        "iam_endpoint": simulator.base_url,
        "project_id": account.project_id,
        "auth": {"type": "aksk", "access_key": account.ak, "secret_key": account.sk},
        "retries": 1,
        "request_timeout": "5s",
    }
    settings.update(overrides)
    return settings


def config_for(settings: dict) -> Config:
    return parse_config(settings, base_dir=Path("."), environ={}, hostname=lambda: "e2e-0")


@dataclass
class Exporter:
    runtime: Runtime
    port: int

    @property
    def poller(self):
        return self.runtime.pollers[0]

    def poll(self):
        return self.poller.poll_once()

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, dict(response.getheaders()), body

    def metrics(self) -> str:
        status, _, body = self.get("/metrics")
        assert status == 200
        return body.decode()


@contextlib.contextmanager
def running_exporter(config: Config) -> Iterator[Exporter]:
    runtime = build_runtime(config)
    server = make_server("127.0.0.1:0", build_app(config, runtime, "/metrics"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Exporter(runtime, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        runtime.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sample_lines(exposition: str, prefix: str) -> list[str]:
    return sorted(line for line in exposition.splitlines() if line.startswith(prefix))
