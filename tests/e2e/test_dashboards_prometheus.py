"""Every dashboard query and every rule, run by a real Prometheus scraping the exporter.

The exporter polls the simulator every second, with the shares and tags collectors on and some API
answers throttled or failing, so the health panels have errors and retries to show. Prometheus (the
Debian package) scrapes it every second; once a few polls are stored, each panel's query runs with
Grafana's variables substituted the way Grafana would, and must return data.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter.simulator import Account, Dataset, FaultRule, Simulator
from exporter.simulator.enterprise_data import EeArtifact, EeRepository, EnterpriseDataset
from tests.artifacts.test_dashboards import dashboards, load, query_panels, variable_queries
from tests.e2e.harness import config_for, exporter_settings, free_port, running_exporter

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
JOB = "swr-exporter"
SCRAPE_SECONDS = 1
# What Grafana assumes of a Prometheus data source unless told otherwise.
GRAFANA_SCRAPE_INTERVAL = 15
RANGE_SECONDS = 60
MAX_DATA_POINTS = 1000
# The repository the "one repository" pass selects: it has every kind of data (see sharing_dataset).
ORGANIZATION, REPOSITORY = "platform", "library/web"


def sharing_dataset(now: float) -> Dataset:
    """Generated data plus one repository with a share expiring in 3 days, one expired, one forever."""
    dataset = Dataset.generate(seed=11, organizations=4, repositories=40, tags_per_repository=3,
                               shared_with_me=4, start=now)
    if dataset.organization(ORGANIZATION) is None:
        dataset.add_organization(ORGANIZATION)
    dataset.add_repository(ORGANIZATION, REPOSITORY, tags=["latest", "v1.0.0"], is_public=True,
                           num_download=1000, download_rate=5.0, created=now - 90 * 86_400,
                           updated=now - 3 * 86_400)
    dataset.add_share(ORGANIZATION, REPOSITORY, "partner-soon", deadline=now + 3 * 86_400)
    dataset.add_share(ORGANIZATION, REPOSITORY, "partner-gone", deadline=now - 86_400)
    dataset.add_share(ORGANIZATION, REPOSITORY, "partner-always", deadline="forever")
    return dataset


def enterprise_dataset(now: float) -> EnterpriseDataset:
    """Generated Enterprise data plus the selected repository in ee-prod: scanned, pulled, and with an
    artifact not pulled for 100 days, so every Enterprise panel has data for it too."""
    dataset = EnterpriseDataset.generate(seed=11, instances=1, repositories=8, start=now)
    prod = dataset.instances[0]
    repo = EeRepository(999, ORGANIZATION, REPOSITORY, 500, 1.0, now - 200 * 86_400, now - 86_400, [
        EeArtifact("sha256:" + "a" * 64, 10_000_000, now - 150 * 86_400, now - 100 * 86_400, ("v1.0.0",),
                   None),
        EeArtifact("sha256:" + "b" * 64, 12_000_000, now - 86_400, now - 3600, ("latest",),
                   {"Critical": 1, "High": 2})])
    prod.repositories.append(repo)
    prod.namespaces.setdefault(ORGANIZATION, {"public": "false", "auto_scan": "true", "prevent_vul": "false",
                                              "severity": "high"})
    return dataset


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


class Prometheus:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def api(self, path: str, **params: str) -> dict[str, Any]:
        answer = get_json(f"{self.base}/api/v1/{path}?{urllib.parse.urlencode(params)}")
        assert answer["status"] == "success", answer
        return answer["data"]

    def instant(self, expr: str) -> list[dict[str, Any]]:
        return self.api("query", query=expr)["result"]

    def range(self, expr: str, seconds: int) -> list[dict[str, Any]]:
        end = time.time()
        return self.api("query_range", query=expr, start=str(end - seconds), end=str(end), step="2")["result"]


def prometheus_config(tmp_path: Path, exporter_port: int) -> Path:
    config = {
        "global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "evaluation_interval": f"{SCRAPE_SECONDS}s"},
        "rule_files": [str(path) for path in RULES],
        "scrape_configs": [
            {"job_name": JOB, "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}]}
        ],
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def stored_enough(prometheus: Prometheus) -> bool:
    """Several polls stored, and the fault injection has produced errors and retries."""
    try:
        samples = prometheus.instant(f'count_over_time(swr_up{{job="{JOB}"}}[1m])')
        errors = prometheus.instant("swr_exporter_api_errors_total")
        retries = prometheus.instant("swr_exporter_api_retries_total")
        shares = prometheus.instant("swr_repository_share_valid")
        tags = prometheus.instant("swr_image_size_bytes")
        artifacts = prometheus.instant("swr_enterprise_artifact_size_bytes")
        jobs = prometheus.instant("swr_enterprise_gc_last_run_status")
    except OSError:
        return False
    enterprise = artifacts and jobs
    return bool(samples and float(samples[0]["value"][1]) >= 12 and errors and retries and shares and tags
                and enterprise)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory) -> Iterator[Prometheus]:
    tmp_path = tmp_path_factory.mktemp("prometheus")
    now = time.time()
    account = Account.generate()
    with Simulator(dataset=sharing_dataset(now), account=account, evolve=True,
                   rng=random.Random(3), enterprise=enterprise_dataset(now)) as simulator:
        simulator.faults.add(FaultRule("status", status=429, retry_after=0, probability=0.15))
        simulator.faults.add(FaultRule("status", status=503, probability=0.05))
        settings = exporter_settings(simulator, account, poll_interval="1s", retries=3,
                                     collectors={"shares": True, "tags": True, "enterprise": True,
                                                 "enterprise_jobs": True, "enterprise_artifacts": True})
        with running_exporter(config_for(settings)) as exporter:
            stop = threading.Event()
            exporter.runtime.start(stop)
            port = free_port()
            process = subprocess.Popen(
                ["prometheus", f"--config.file={prometheus_config(tmp_path, exporter.port)}",
                 f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("w"),
            )
            try:
                server = Prometheus(port)
                wait_until(lambda: stored_enough(server), 90, "Prometheus to store enough polls")
                yield server
            finally:
                stop.set()
                exporter.runtime.join(timeout=15)
                process.terminate()
                process.wait(timeout=15)


def rate_interval(panel: dict[str, Any]) -> int:
    """Grafana's $__rate_interval in seconds: max($__interval + scrape interval, 4 x scrape interval)."""
    interval = max(RANGE_SECONDS / MAX_DATA_POINTS, seconds(panel.get("interval") or "15s"))
    return int(max(interval + GRAFANA_SCRAPE_INTERVAL, 4 * GRAFANA_SCRAPE_INTERVAL))


def seconds(duration: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([smhd])", duration).groups()
    return int(number) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


def regex_escape(value: str) -> str:
    """How Grafana formats one selected value for a Prometheus regex matcher."""
    return re.sub(r"[\\^$*+?.()|{}\[\]]", lambda m: "\\\\" + m.group(0), value)


def substitute(expr: str, panel: dict[str, Any], selection: dict[str, str]) -> str:
    values = {
        "__rate_interval": f"{rate_interval(panel)}s",
        "__interval": f"{max(1, seconds(panel.get('interval') or '15s'))}s",
        "__range": f"{RANGE_SECONDS}s",
        **selection,
    }

    def replace(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        assert name in values, f"unknown variable ${name} in {expr}"
        return values[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", replace, expr)


ALL = {"job": ".+", "instance": ".+", "instance_name": ".*", "organization": ".*", "repository": ".*"}
ONE = {"job": JOB, "instance": ".+", "instance_name": "ee-prod", "organization": regex_escape(ORGANIZATION),
       "repository": regex_escape(REPOSITORY)}


def panel_queries() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    cases = []
    for path in dashboards():
        for panel in query_panels(load(path)):
            for target in panel["targets"]:
                cases.append((path.name, panel["title"], panel, target))
    return cases


@pytest.mark.parametrize("selection", [ALL, ONE], ids=["all", "one-repository"])
def test_every_dashboard_query_returns_data(prometheus, selection):
    empty, failed = [], []
    for name, title, panel, target in panel_queries():
        expr = substitute(target["expr"], panel, selection)
        try:
            if target.get("instant"):
                result = prometheus.instant(expr)
            else:
                result = prometheus.range(expr, RANGE_SECONDS)
        except (AssertionError, OSError) as error:
            failed.append(f"{name} / {title}: {expr}: {error}")
            continue
        if not result:
            empty.append(f"{name} / {title} [{target['refId']}]: {expr}")
    assert not failed, "\n".join(failed)
    assert not empty, "queries without data:\n" + "\n".join(empty)


def test_every_dashboard_variable_lists_values(prometheus):
    for path in dashboards():
        for name, query in variable_queries(load(path)):
            match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", query)
            assert match, query
            selector = substitute(match.group(1), {}, ALL)
            values = prometheus.api(f"label/{match.group(2)}/values", **{"match[]": selector})
            assert values, f"{path.name}: variable {name} lists nothing"
            if name == "job":
                assert JOB in values


def rule_exprs() -> list[tuple[str, str]]:
    rules = []
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend((rule.get("record") or rule["alert"], rule["expr"]) for rule in group["rules"])
    return rules


def test_prometheus_loads_every_rule_and_their_expressions_run(prometheus):
    loaded = prometheus.api("rules")["groups"]
    names = {rule["name"] for group in loaded for rule in group["rules"]}
    assert names == {name for name, _ in rule_exprs()}
    for name, expr in rule_exprs():
        prometheus.instant(expr)  # raises on an error; alerts may rightly find nothing
        if name.startswith(("organization:", "instance:")):
            assert prometheus.instant(expr), f"recording rule {name} finds no data"


def test_the_expiring_share_and_the_expired_third_party_share_alert_conditions_hold(prometheus):
    """The alert expressions, without their `for`, pick exactly what the data says."""
    alerts = dict(rule_exprs())
    expiring = prometheus.instant(alerts["SWRShareExpiringSoon"])
    assert [(s["metric"]["repository"], s["metric"]["shared_with"]) for s in expiring] == [
        (REPOSITORY, "partner-soon")
    ]
    expired = prometheus.instant(alerts["SWRThirdPartyShareExpired"])
    assert expired and all(s["metric"]["direction"] == "thirdparty" for s in expired)
