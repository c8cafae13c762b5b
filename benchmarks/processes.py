"""Start, wait for, measure and stop the processes under test: the exporter and baseline (b)."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import yaml

from exporter.simulator import Simulator


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(directory: Path, sim: Simulator, rate_limit: float, max_concurrency: int,
                 poll_interval: str = "1h", name: str = "swr-exporter.yml") -> Path:
    """An exporter configuration for the simulator, at the exporter's defaults otherwise (max_series
    included); by default one poll per run (the interval outlasts it)."""
    account = sim.account
    settings = {
        "region": account.region,
        "endpoint": sim.base_url,
        "iam_endpoint": sim.base_url,
        "project_id": account.project_id,
        # The simulator's throw-away credentials, in a file only this user can read.
        "auth": {"type": "aksk", "access_key": account.ak, "secret_key": account.sk},
        "poll_interval": poll_interval,
        "rate_limit": rate_limit,
        "max_concurrency": max_concurrency,
    }
    path = directory / name
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(settings))
    return path


def peak_rss_mib(pid: int) -> float:
    """The process's high-water mark of resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found in /proc/<pid>/status")


def wait_until_ready(port: int, process: subprocess.Popen, path: str, timeout: float = 900.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with status {process.returncode} before it was ready")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        time.sleep(0.01)
    raise RuntimeError(f"not ready after {timeout:.0f} s")


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process, able to import this checkout's packages."""
    return {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), **extra}


@contextlib.contextmanager
def running(command: list[str], log: Path) -> Iterator[subprocess.Popen]:
    """A child process with its output in ``log``; SIGTERM on the way out, SIGKILL if it lingers."""
    env = child_env()
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def exporter_command(config: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "exporter", "--config.file", str(config),
            "--web.listen-address", f"127.0.0.1:{port}", "--log.level", "warn"]


def baseline_command(config: Path, port: int, timings: Path) -> list[str]:
    return [sys.executable, "-m", "benchmarks.baseline_server", "--config", str(config),
            "--port", str(port), "--timings", str(timings)]


def floor_command(port: int, plain: Path, gzipped: Path) -> list[str]:
    return [sys.executable, "-m", "benchmarks.floor", "--port", str(port), "--plain", str(plain),
            "--gzip", str(gzipped)]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def naive_command(budget: float) -> list[str]:
    return [sys.executable, "-m", "benchmarks.naive", "--budget", str(budget)]
