"""The exporter as a user runs it: a process, flags, signals, and a real Prometheus scraping it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.harness import exporter_process, free_port

pytestmark = pytest.mark.e2e


def wait_for(url: str, timeout: float = 30.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


ROOT = Path(__file__).resolve().parents[2]


def run_exporter(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m exporter`` of this checkout, from any working directory."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "exporter", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd, env=env)


def config_check(config: Path) -> subprocess.CompletedProcess[str]:
    return run_exporter("--config.file", str(config), "--config.check")


def test_config_check_reports_every_problem_and_exits_1_without_traceback(tmp_path):
    config = tmp_path / "bad.yml"
    config.write_text("region: cn-north-4\npoll_interval: 5 minutes\ncolectors: {}\n")
    result = config_check(config)
    assert result.returncode == 1
    assert "poll_interval" in result.stderr and "colectors" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_check_accepts_a_valid_file(tmp_path):
    config = tmp_path / "good.yml"
    config.write_text("region: cn-north-4\nproject_id: p\nauth: {access_key: a, secret_key: b}\n")
    result = config_check(config)
    assert result.returncode == 0, result.stderr


def test_config_check_prints_each_targets_endpoints_and_collectors_with_their_intervals(tmp_path):
    (tmp_path / "password").write_text("not-a-real-password\n")
    config = tmp_path / "swr-exporter.yml"
    config.write_text(
        "poll_interval: 2m\n"
        "collectors: {tags: true, overview: false}\n"
        "collector_intervals: {quotas: 30m}\n"
        "targets:\n"
        "  - name: prod\n"
        "    region: cn-north-4\n"
        "    project_id: 0123456789abcdef0123456789abcdef\n"
        "    auth: {type: aksk, access_key: AK, secret_key: SK}\n"
        "  - name: lab\n"
        "    region: ap-southeast-1\n"
        "    endpoint: https://swr.lab.example:8443\n"
        "    auth: {type: password, username: monitoring, domain: acme, password_file: password}\n"
    )
    result = config_check(config)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"{config}: configuration is valid (2 targets)\n")
    prod, lab = out.split("\ntarget prod: ")[1].split("\ntarget lab: ")
    assert prod.startswith("region cn-north-4, project 0123456789abcdef0123456789abcdef, auth aksk\n")
    assert "  SWR endpoint   https://swr-api.cn-north-4.myhuaweicloud.com\n" in prod
    assert "  IAM endpoint   not used\n" in prod
    assert "  poll interval  2m\n" in prod
    assert re.search(r"\n {4}repositories +every 2m\n", prod)
    assert re.search(r"\n {4}tags +every 1h\n", prod) and re.search(r"\n {4}quotas +every 30m\n", prod)
    assert "\n    not run: shares, overview" in prod
    assert lab.startswith("region ap-southeast-1, project looked up at the first poll, auth password\n")
    assert "  SWR endpoint   https://swr.lab.example:8443\n" in lab
    assert ("  IAM endpoint   https://iam.ap-southeast-1.myhuaweicloud.com "
            "(password login (KeystoneCreateUserTokenByPassword))\n") in lab
    for secret in ("AK", "SK", "not-a-real-password"):
        assert not re.search(rf"\b{secret}\b", out)


def test_help_shows_the_default_of_every_flag():
    result = run_exporter("--help")
    assert result.returncode == 0
    usage, options = result.stdout.split("options:\n", 1)
    # One entry per flag: its line and the indented lines of its help below it.
    entries = {flag: " ".join(line.split()) for flag, line in
               re.findall(r"^  (--[a-z][a-z.-]+)(.*(?:\n {6,}.*)*)", options, re.M)}
    assert set(entries) == set(re.findall(r"\[(--[a-z][a-z.-]+)", usage)) - {"--help"}
    assert len(entries) >= 10
    missing = [flag for flag, text in entries.items() if "(default: " not in text]
    assert missing == []
    assert "(default: swr-exporter.yml)" in entries["--config.file"]
    assert "(default: :9878)" in entries["--web.listen-address"]
    assert "(default: /metrics)" in entries["--web.telemetry-path"]
    assert "(default: info)" in entries["--log.level"] and "(default: logfmt)" in entries["--log.format"]
    assert "(default: off)" in entries["--demo"]


def test_without_arguments_or_default_file_it_says_which_file_it_wanted_and_suggests_the_demo(tmp_path):
    result = run_exporter(cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert f"no configuration file swr-exporter.yml in {tmp_path}" in result.stderr
    assert "default of --config.file" in result.stderr
    assert "swr-exporter --demo" in result.stderr


def test_demo_serves_metrics_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    output = tmp_path / "exporter.log"
    process = exporter_process(output, "--demo", "--web.listen-address", f"127.0.0.1:{port}")
    try:
        wait_for(f"http://127.0.0.1:{port}/-/ready")
        text = wait_for(f"http://127.0.0.1:{port}/metrics").decode()
        assert "swr_repository_size_bytes{" in text
        assert "swr_up 1.0" in text
        # one SWR Enterprise Edition instance beside the shared edition
        assert 'swr_enterprise_instance_status{instance_name="ee-prod",status="Running"} 1.0' in text
        assert text.count("swr_enterprise_instance_info{") == 1
        # no key at all: temporary credentials of the simulator's metadata service, renewed before expiry
        expiry = re.search(r"^swr_exporter_credentials_expiry_timestamp_seconds (\S+)$", text, re.M)
        assert expiry and time.time() < float(expiry.group(1)) <= time.time() + 900
        assert 'swr_exporter_api_requests_total{code="200",operation="GetMetadataSecurityKey"}' in text
        landing = wait_for(f"http://127.0.0.1:{port}/").decode()
        assert "<p class=demo><strong>Demo.</strong>" in landing and "<td>cn-north-4</td>" in landing
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        process.kill()
        process.wait()
    printed = output.read_text()
    assert f"http://127.0.0.1:{port}/metrics" in printed
    assert "Traceback" not in printed


def test_a_real_prometheus_scrapes_the_demo(tmp_path):
    exporter_port, prometheus_port = free_port(), free_port()
    exporter = exporter_process(
        tmp_path / "exporter.log", "--demo", "--web.listen-address", f"127.0.0.1:{exporter_port}"
    )
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: swr\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
    )
    prometheus = subprocess.Popen(
        ["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
         f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{prometheus_port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{exporter_port}/-/ready")
        query = f"http://127.0.0.1:{prometheus_port}/api/v1/query?query=count(swr_repository_size_bytes)"
        deadline = time.monotonic() + 60
        while True:
            answer = json.loads(wait_for(query))
            if answer["data"]["result"]:
                break
            assert time.monotonic() < deadline, "Prometheus never stored swr_repository_size_bytes"
            time.sleep(0.5)
        assert float(answer["data"]["result"][0]["value"][1]) == 150
        up = json.loads(wait_for(f"http://127.0.0.1:{prometheus_port}/api/v1/query?query=up"))
        assert up["data"]["result"][0]["value"][1] == "1"
    finally:
        for process in (exporter, prometheus):
            process.terminate()
            process.wait(timeout=15)
