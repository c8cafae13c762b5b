"""Several accounts in one process: one client, poller and snapshot each, scraped through /probe."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from exporter.simulator import Account, Dataset, Simulator
from tests.e2e.harness import config_for, exporter_settings, free_port, running_exporter
from tests.e2e.test_cli_process import wait_for
from tests.e2e.test_exporter_against_simulator import value

pytestmark = pytest.mark.e2e

SCRAPE_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "scrape-config.yml"


def target_entry(name: str, sim: Simulator, account: Account, **extra) -> dict:
    settings = exporter_settings(sim, account, **extra)
    entry = {key: settings[key] for key in ("region", "endpoint", "iam_endpoint", "project_id", "auth")}
    return {"name": name, **entry}


@contextlib.contextmanager
def two_accounts(break_second: bool = False):
    first, second = Account.generate(), Account.generate()
    data_a = Dataset.generate(seed=1, organizations=1, repositories=3, tags_per_repository=1,
                              shared_with_me=0)
    data_b = Dataset.generate(seed=2, organizations=2, repositories=5, tags_per_repository=1,
                              shared_with_me=0)
    with (
        Simulator(dataset=data_a, account=first) as sim_a,
        Simulator(dataset=data_b, account=second) as sim_b,
    ):
        entry_b = target_entry("prod-b", sim_b, second)
        if break_second:
            entry_b["auth"] = {**entry_b["auth"], "secret_key": first.sk}
        settings = {"retries": 0, "targets": [target_entry("prod-a", sim_a, first), entry_b]}
        with running_exporter(config_for(settings)) as exporter:
            for target in exporter.runtime.targets:
                target.poller.poll_once()
                target.poller.first_poll_done.set()
                assert target.renders.settled(timeout=60)
            yield exporter


def count(text: str, prefix: str) -> int:
    return sum(line.startswith(prefix) for line in text.splitlines())


def test_each_target_is_scraped_through_probe_and_metrics_keeps_only_the_exporters_own():
    with two_accounts() as exporter:
        probe_a = exporter.get("/probe?target=prod-a")[2].decode()
        probe_b = exporter.get("/probe?target=prod-b")[2].decode()
        own = exporter.metrics()
        page = exporter.get("/")[2].decode()
    assert count(probe_a, "swr_repository_size_bytes{") == 3
    assert count(probe_b, "swr_repository_size_bytes{") == 5
    assert value(probe_a, "swr_up") == 1 and value(probe_b, "swr_up") == 1
    assert (
        value(probe_a, "swr_exporter_api_requests_total", {"operation": "ListReposDetails", "code": "200"})
        == 1
    )
    assert "swr_repository_" not in own and "swr_up" not in own
    assert "swr_exporter_build_info{" in own
    assert "prod-a" in page and "prod-b" in page


def test_a_failing_target_fails_alone():
    with two_accounts(break_second=True) as exporter:
        probe_a = exporter.get("/probe?target=prod-a")[2].decode()
        probe_b = exporter.get("/probe?target=prod-b")[2].decode()
    assert value(probe_a, "swr_up") == 1
    assert value(probe_b, "swr_up") == 0
    assert (
        value(
            probe_b,
            "swr_exporter_api_errors_total",
            {"operation": "ListNamespaces", "reason": "unauthorized"},
        )
        == 1
    )
    assert value(probe_a, "swr_exporter_api_errors_total") is None


@pytest.mark.parametrize(
    "query",
    ["", "?target=", "?target=%3Cscript%3Eprod", "?target=prod-a&target=prod-b", "?target=prod-a&x=1"],
)
def test_probe_rejects_what_is_not_one_known_target_without_echoing_it(query):
    with two_accounts() as exporter:
        status, _, body = exporter.get("/probe" + query)
    assert status == 400
    assert b"script" not in body and b"prod" not in body


def test_a_real_prometheus_scrapes_every_target_with_the_documented_relabelling(tmp_path):
    example = yaml.safe_load(SCRAPE_CONFIG.read_text())
    [job] = [job for job in example["scrape_configs"] if job.get("metrics_path") == "/probe"]
    with two_accounts() as exporter:
        job["static_configs"] = [{"targets": ["prod-a", "prod-b"]}]
        job["relabel_configs"][-1]["replacement"] = f"127.0.0.1:{exporter.port}"
        job["scrape_interval"] = "1s"
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({"scrape_configs": [job]}))
        port = free_port()
        prometheus = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            query = f"http://127.0.0.1:{port}/api/v1/query?query=count+by+(instance)(swr_repository_size_bytes)"
            deadline = time.monotonic() + 60
            while True:
                result = json.loads(wait_for(query))["data"]["result"]
                if len(result) == 2:
                    break
                assert time.monotonic() < deadline, f"Prometheus saw {result}"
                time.sleep(0.5)
        finally:
            prometheus.terminate()
            prometheus.wait(timeout=15)
    assert {r["metric"]["instance"]: r["value"][1] for r in result} == {"prod-a": "3", "prod-b": "5"}
