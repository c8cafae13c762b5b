"""--web.config.file in a real process: TLS and basic auth, checked with Python's TLS client and with a
real Prometheus (Go's TLS stack) scraping over HTTPS with a password."""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import ssl
import subprocess
import sys
import time
import urllib.request

import bcrypt
import pytest

from tests.e2e.harness import exporter_process, free_port, make_tls_files

pytestmark = pytest.mark.e2e


def web_config(tmp_path, password: str) -> tuple:
    tls = make_tls_files(tmp_path)
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$")
    path = tmp_path / "web.yml"
    path.write_text(f"tls_server_config:\n  cert_file: {tls.cert}\n  key_file: {tls.key}\n"
                    f"basic_auth_users:\n  prometheus: '{hashed}'\n"
                    "basic_auth_excluded_paths: [/-/healthy]\n")
    return path, tls, hashed


def https(port: int, path: str, context: ssl.SSLContext, auth: tuple[str, str] | None = None) -> int:
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    conn = http.client.HTTPSConnection("localhost", port, context=context, timeout=5)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def wait_until_up(port: int, context: ssl.SSLContext, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if https(port, "/-/healthy", context) == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "the exporter did not come up"
        time.sleep(0.2)


def test_tls_and_basic_auth_guard_a_running_exporter_and_prometheus_scrapes_through_them(tmp_path):
    password = secrets.token_hex(12)
    config, tls, hashed = web_config(tmp_path, password)
    port, prom_port = free_port(), free_port()
    output = tmp_path / "exporter.log"
    exporter = exporter_process(output, "--demo", "--web.listen-address", f"127.0.0.1:{port}",
                                "--web.config.file", str(config), "--log.level", "debug")
    def job(name: str, secret: str) -> str:
        return (f"  - job_name: {name}\n    scheme: https\n"
                f"    tls_config: {{ca_file: {tls.ca}, server_name: localhost}}\n"
                f"    basic_auth: {{username: prometheus, password: '{secret}'}}\n"
                f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n")

    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s}\nscrape_configs:\n" + job("good", password) + job("wrong", "nope"))
    prometheus = subprocess.Popen(
        ["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
         f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        context = ssl.create_default_context(cafile=str(tls.ca))
        wait_until_up(port, context)
        assert https(port, "/metrics", context) == 401
        assert https(port, "/metrics", context, ("prometheus", "wrong")) == 401
        assert https(port, "/metrics", context, ("prometheus", password)) == 200
        assert https(port, "/", context, ("prometheus", password)) == 200
        with pytest.raises(ssl.SSLCertVerificationError):
            https(port, "/-/healthy", ssl.create_default_context())
        assert prometheus_up(prom_port) == {"good": "1", "wrong": "0"}
    finally:
        for process in (exporter, prometheus):
            process.terminate()
            process.wait(timeout=15)
    stderr = output.read_text()
    assert "https://" in stderr and "Traceback" not in stderr
    assert password not in stderr and hashed not in stderr


def prometheus_up(port: int, timeout: float = 60) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/query?query=up", timeout=5) as r:
                result = json.loads(r.read())["data"]["result"]
            up = {item["metric"]["job"]: item["value"][1] for item in result}
            # Wait for a good scrape: the first one may race the demo's first poll under a 1 s timeout.
            if len(up) == 2 and up["good"] == "1":
                return up
        except OSError:
            pass
        assert time.monotonic() < deadline, "Prometheus never scraped both jobs"
        time.sleep(0.5)


def test_an_invalid_web_config_stops_the_exporter_with_every_problem_and_no_hash(tmp_path):
    hashed = "$2y$10$" + "z" * 50
    config = tmp_path / "web.yml"
    config.write_text("tls_server_config: {cert_file: missing.pem}\n"
                      f"basic_auth_users: {{bob: '{hashed}'}}\n")
    result = subprocess.run([sys.executable, "-m", "exporter", "--demo", "--web.config.file", str(config)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [  # one block, as for the configuration file: nothing else
        f"invalid web configuration file {config}:",
        "  - tls_server_config.cert_file: file does not exist",
        "  - tls_server_config.key_file: required with tls_server_config (or key inline)",
        "  - basic_auth_users.bob: must be a bcrypt hash ($2y$..., 60 characters), "
        "e.g. from htpasswd -nBC 10",
    ]
    assert hashed not in result.stderr
