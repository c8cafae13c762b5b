"""Runs the whole exporter in-process against the simulator, over real HTTP on loopback."""

from __future__ import annotations

import contextlib
import datetime
import http.client
import ipaddress
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from exporter.config.loader import Config, parse_config
from exporter.runtime import Runtime, build_app, build_runtime
from exporter.simulator import Account, Simulator
from exporter.web.server import make_server


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
        """One poll, and its snapshot rendered: /metrics serves it from then on."""
        snapshot = self.poller.poll_once()
        assert self.runtime.targets[0].renders.settled(timeout=60)
        return snapshot

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
def running_exporter(config: Config, clock: Callable[[], float] = time.time) -> Iterator[Exporter]:
    """``clock``: the pollers' wall clock, to move time past max_staleness without waiting."""
    runtime = build_runtime(config, clock=clock)
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


@dataclass(frozen=True)
class TlsFiles:
    """A throw-away CA, a server certificate for localhost/127.0.0.1 and a client certificate."""

    ca: Path
    cert: Path
    key: Path
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, issuer: str, public_key, signing_key, *, ca: bool,
                 sans: list[x509.GeneralName]) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _write_key(path: Path, key) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def make_tls_files(directory: Path, client_name: str = "scraper.example") -> TlsFiles:
    """Keys are generated per test run and live only in ``directory`` (a pytest tmp_path)."""
    ca_key, server_key, client_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _certificate("swr-exporter test CA", "swr-exporter test CA", ca_key.public_key(), ca_key,
                      ca=True, sans=[])
    server = _certificate("localhost", "swr-exporter test CA", server_key.public_key(), ca_key, ca=False,
                          sans=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    client = _certificate(client_name, "swr-exporter test CA", client_key.public_key(), ca_key, ca=False,
                          sans=[x509.DNSName(client_name)])
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem",
                     directory / "client.pem", directory / "client-key.pem")
    for path, cert in ((files.ca, ca), (files.cert, server), (files.client_cert, client)):
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(files.key, server_key)
    _write_key(files.client_key, client_key)
    return files


def exporter_process(output: Path, *args: str) -> subprocess.Popen:
    """The exporter as a user runs it, its output in ``output``: a pipe nobody reads while a test runs
    fills up and then blocks the exporter's logger, and with it every request that logs."""
    with output.open("w") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "exporter", *args], stdout=sink, stderr=subprocess.STDOUT, text=True
        )
