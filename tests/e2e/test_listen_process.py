"""--web.listen-address in a real process: ``:PORT`` (the default's form) answers on IPv6 and IPv4, the flag
repeated serves every address, and a bad address stops the start with its reason."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.e2e.harness import exporter_process, free_port

pytestmark = pytest.mark.e2e


def healthy(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family) as sock:
            sock.settimeout(5)
            sock.connect((host, port))
            sock.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return sock.recv(64).startswith(b"HTTP/1.1 200 ")
    except OSError:
        return False


def free_dual_port() -> int:
    """A port free on IPv4 and IPv6 alike (free_port checks IPv4 only)."""
    while True:
        port = free_port()
        with socket.socket(socket.AF_INET6) as sock:
            try:
                sock.bind(("::1", port))
                return port
            except OSError:
                continue


@contextmanager
def exporter(tmp_path, *addresses: str) -> Iterator[subprocess.Popen]:
    flags = [arg for address in addresses for arg in ("--web.listen-address", address)]
    process = exporter_process(tmp_path / "exporter.log", "--demo", *flags)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def wait_healthy(host: str, port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not healthy(host, port):
        assert time.monotonic() < deadline, f"nothing answers on {host} port {port}"
        time.sleep(0.2)


def test_an_address_without_host_answers_on_ipv6_and_ipv4_loopback(tmp_path):
    port = free_dual_port()
    with exporter(tmp_path, f":{port}"):
        wait_healthy("::1", port)
        assert healthy("127.0.0.1", port)
    log = (tmp_path / "exporter.log").read_text()
    assert f"listening on http://[::]:{port}," in log
    assert f"http://localhost:{port}/metrics" in log  # the demo's link opens in a browser


def test_every_address_given_answers_and_an_ipv6_literal_in_brackets_is_one(tmp_path):
    first, second = free_port(), free_dual_port()
    with exporter(tmp_path, f"127.0.0.1:{first}", f"[::1]:{second}"):
        wait_healthy("127.0.0.1", first)
        wait_healthy("::1", second)
        assert not healthy("127.0.0.1", second)  # [::1] is IPv6 loopback only


@pytest.mark.parametrize("address", ["::1:9878", "localhost"])
def test_a_bad_address_stops_the_start_with_the_reason(address):
    result = subprocess.run([sys.executable, "-m", "exporter", "--demo", "--web.listen-address",
                             "127.0.0.1:0", "--web.listen-address", address],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot listen on {address}: invalid listen address" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
