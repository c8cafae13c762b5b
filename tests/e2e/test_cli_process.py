"""The exporter as a user runs it: a process, flags, signals, and a real Prometheus scraping it."""

from __future__ import annotations

import json
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


def config_check(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "exporter", "--config.file", str(config), "--config.check"],
                          capture_output=True, text=True, timeout=60)


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
