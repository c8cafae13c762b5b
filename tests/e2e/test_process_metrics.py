"""The exporter's own process metrics (``process_*``) on /metrics, in both modes, and never on /probe."""

from __future__ import annotations

import signal
import time

import pytest
import yaml
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from exporter.simulator import Account, Dataset, Simulator
from tests.e2e.harness import exporter_process, exporter_settings, free_port
from tests.e2e.test_cli_process import wait_for

pytestmark = pytest.mark.e2e

PROCESS_FAMILIES = {
    "process_cpu_seconds": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_virtual_memory_bytes": "gauge",
    "process_start_time_seconds": "gauge",
    "process_open_fds": "gauge",
    "process_max_fds": "gauge",
}


def fetch(url: str, openmetrics: bool = False) -> str:
    import urllib.request

    accept = "application/openmetrics-text; version=1.0.0" if openmetrics else "text/plain"
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def process_families(text: str, openmetrics: bool = False) -> dict:
    parse = parse_openmetrics if openmetrics else parse_text
    return {f.name: f for f in parse(text) if f.name.startswith("process_")}


def stop(process) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0


def check_process_metrics(base: str, spawned: float) -> None:
    for openmetrics in (False, True):
        found = process_families(fetch(f"{base}/metrics", openmetrics), openmetrics)
        assert {name: f.type for name, f in found.items()} == PROCESS_FAMILIES
        memory = found["process_resident_memory_bytes"].samples[0].value
        assert 10 * 2**20 < memory < 2**31  # a Python process with the exporter loaded, not the test's
        assert found["process_open_fds"].samples[0].value >= 3
    started = process_families(fetch(f"{base}/metrics"))["process_start_time_seconds"].samples[0].value
    assert spawned - 2 <= started <= time.time()  # the exporter's own start, not the test runner's


def test_process_metrics_are_on_metrics_of_the_demo(tmp_path):
    port, spawned = free_port(), time.time()
    process = exporter_process(tmp_path / "exporter.log", "--demo",
                               "--web.listen-address", f"127.0.0.1:{port}")
    try:
        wait_for(f"http://127.0.0.1:{port}/-/ready")
        check_process_metrics(f"http://127.0.0.1:{port}", spawned)
        stop(process)
    finally:
        process.kill()
        process.wait()


def test_process_metrics_are_on_metrics_with_targets_but_not_on_probe(tmp_path):
    account = Account.generate()
    dataset = Dataset.generate(seed=3, organizations=1, repositories=2, tags_per_repository=1,
                               shared_with_me=0)
    with Simulator(dataset=dataset, account=account) as sim:
        settings = exporter_settings(sim, account)
        entry = {key: settings[key] for key in ("region", "endpoint", "iam_endpoint", "project_id", "auth")}
        config = tmp_path / "swr-exporter.yml"
        config.write_text(yaml.safe_dump({"targets": [{"name": "prod", **entry}]}))
        port, spawned = free_port(), time.time()
        process = exporter_process(tmp_path / "exporter.log", "--config.file", str(config),
                                   "--web.listen-address", f"127.0.0.1:{port}")
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/-/ready")
            check_process_metrics(base, spawned)
            probe = fetch(f"{base}/probe?target=prod")
            assert "swr_up 1.0" in probe
            assert not process_families(probe)
            stop(process)
        finally:
            process.kill()
            process.wait()
