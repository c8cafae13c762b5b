"""Two accounts in one exporter, scraped by a real Prometheus the way the multi-target overlay says.

The Probe of deploy/kubernetes/overlays/multi-target, as rendered by kustomize, becomes the scrape
config the Prometheus Operator generates from it (each static target -> ?target=NAME, instance=NAME,
the prober as the address), beside the ServiceMonitor's /metrics job. The two targets are two simulated
accounts that both have an organization "platform" with a repository "library/web", with different
numbers, so any query that adds the two accounts together shows; both have an Enterprise instance, for
the Enterprise dashboard. Every dashboard query then runs once per value of the instance variable and
once for All, at one fixed evaluation time.
"""

from __future__ import annotations

import contextlib
import random
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from exporter.simulator import Account, Dataset, FaultRule, Simulator
from tests.artifacts.test_dashboards import PROCESS_LEVEL, dashboards, load, metric_names, variable_queries
from tests.artifacts.test_kubernetes import one, render
from tests.artifacts.test_kubernetes_pods import config_of, exporter_workloads
from tests.e2e.harness import config_for, exporter_settings, free_port, running_exporter
from tests.e2e.test_dashboards_prometheus import (
    ORGANIZATION,
    REPOSITORY,
    RULES,
    Prometheus,
    enterprise_dataset,
    panel_queries,
    regex_escape,
    sharing_dataset,
    substitute,
    wait_until,
)

pytestmark = pytest.mark.e2e


def probe_scrape_config(probe: dict[str, Any], exporter_address: str) -> dict[str, Any]:
    """What the Prometheus Operator generates for a Probe with static targets (its promcfg.go): the
    target into ?target=, the target as instance, the prober as the address, then the Probe's own
    relabellings. The prober's in-cluster address is the one thing replaced, by the test exporter's."""
    spec = probe["spec"]
    relabel = [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": exporter_address},
    ]
    relabel += [
        {_snake(key): value for key, value in rule.items()}
        for rule in spec["targets"]["staticConfig"].get("relabelingConfigs", [])
    ]
    return {
        "job_name": spec["jobName"],
        "metrics_path": spec["prober"]["path"],
        "scheme": spec["prober"]["scheme"],
        "scrape_interval": "1s",
        "static_configs": [{"targets": spec["targets"]["staticConfig"]["static"],
                            "labels": spec["targets"]["staticConfig"].get("labels", {})}],
        "relabel_configs": relabel,
    }


def _snake(key: str) -> str:
    return {"sourceLabels": "source_labels", "targetLabel": "target_label"}.get(key, key)


def second_account_dataset(now: float) -> Dataset:
    """Other data, with an organization and repository of the same names as the first account's."""
    dataset = Dataset.generate(seed=29, organizations=3, repositories=25, tags_per_repository=2,
                               shared_with_me=2, start=now)
    if dataset.organization(ORGANIZATION) is None:
        dataset.add_organization(ORGANIZATION)
    dataset.add_repository(ORGANIZATION, REPOSITORY, tags=["stable"], num_download=70, download_rate=1.0,
                           created=now - 10 * 86_400, updated=now - 86_400)
    dataset.add_share(ORGANIZATION, REPOSITORY, "partner-later", deadline=now + 5 * 86_400)
    return dataset


class TwoTargets:
    def __init__(self, prometheus: Prometheus, names: list[str], probes: dict[str, str]) -> None:
        self.prometheus, self.names, self.probes = prometheus, names, probes


def stored_enough(prometheus: Prometheus, names: list[str]) -> bool:
    try:
        samples = prometheus.instant('count_over_time(swr_up{job="swr-exporter-probe"}[1m])')
        errors = prometheus.instant("count by (instance) (swr_exporter_api_errors_total)")
        shares = prometheus.instant("count by (instance) (swr_repository_share_valid)")
        artifacts = prometheus.instant("count by (instance) (swr_enterprise_artifact_size_bytes)")
    except OSError:
        return False
    return (len(samples) == len(names) and all(float(s["value"][1]) >= 10 for s in samples)
            and len(errors) == len(names) and len(shares) == len(names) and len(artifacts) == len(names))


@pytest.fixture(scope="module")
def two_targets(tmp_path_factory) -> Iterator[TwoTargets]:
    tmp_path = tmp_path_factory.mktemp("two-targets")
    resources = render("overlays/multi-target")
    names = [target["name"] for target in config_of(resources, exporter_workloads(resources)[0])["targets"]]
    now = time.time()
    accounts = [Account.generate(), Account.generate()]
    datasets = [sharing_dataset(now), second_account_dataset(now)]
    with contextlib.ExitStack() as stack:
        simulators = [stack.enter_context(Simulator(dataset=data, account=account, evolve=True,
                                                    rng=random.Random(index),
                                                    enterprise=enterprise_dataset(now)))
                      for index, (data, account) in enumerate(zip(datasets, accounts, strict=True))]
        targets = []
        for name, simulator, account in zip(names, simulators, accounts, strict=True):
            simulator.faults.add(FaultRule("status", status=429, retry_after=0, probability=0.15))
            simulator.faults.add(FaultRule("status", status=503, probability=0.05))
            settings = exporter_settings(simulator, account)
            targets.append({"name": name, **{key: settings[key] for key in
                                             ("region", "endpoint", "iam_endpoint", "project_id", "auth")}})
        config = {"poll_interval": "1s", "retries": 3, "request_timeout": "5s",
                  "collectors": {"shares": True, "tags": True, "enterprise": True, "enterprise_jobs": True,
                                 "enterprise_artifacts": True},
                  "targets": targets}
        exporter = stack.enter_context(running_exporter(config_for(config)))
        stop = threading.Event()
        exporter.runtime.start(stop)
        address = f"127.0.0.1:{exporter.port}"
        monitor = one(resources, "ServiceMonitor")["spec"]["endpoints"][0]
        prometheus_yml = tmp_path / "prometheus.yml"
        prometheus_yml.write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(path) for path in RULES],
            "scrape_configs": [
                probe_scrape_config(one(resources, "Probe"), address),
                {"job_name": "swr-exporter", "metrics_path": monitor["path"],
                 "static_configs": [{"targets": [address]}]},
            ],
        }))
        port = free_port()
        process = subprocess.Popen(
            ["prometheus", f"--config.file={prometheus_yml}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("w"),
        )
        try:
            server = Prometheus(port)
            wait_until(lambda: stored_enough(server, names), 120, "Prometheus to store both targets' polls")
            probes = {name: exporter.get(f"/probe?target={name}")[2].decode() for name in names}
            yield TwoTargets(server, names, probes)
        finally:
            stop.set()
            exporter.runtime.join(timeout=15)
            process.terminate()
            process.wait(timeout=15)


def test_each_target_of_the_probe_has_its_series_under_its_own_instance(two_targets):
    query = 'count by (instance) (swr_repository_size_bytes{job=~"swr-exporter.*"})'
    result = two_targets.prometheus.instant(query)
    counted = {series["metric"]["instance"]: int(series["value"][1]) for series in result}
    expected = {name: sum(line.startswith("swr_repository_size_bytes{") for line in text.splitlines())
                for name, text in two_targets.probes.items()}
    assert counted == expected
    assert len(set(expected.values())) == 2, "the two accounts should differ in size"
    web = two_targets.prometheus.instant(
        f'swr_repository_downloads_total{{organization="{ORGANIZATION}", repository="{REPOSITORY}"}}')
    assert {series["metric"]["instance"] for series in web} == set(two_targets.names)


def test_the_instance_variable_lists_both_targets(two_targets):
    for path in dashboards():
        queries = dict(variable_queries(load(path)))
        selector = substitute(queries["instance"].removeprefix("label_values(").rpartition(",")[0], {},
                              {"job": ".+"})
        values = two_targets.prometheus.api("label/instance/values", **{"match[]": selector})
        assert values == sorted(two_targets.names), path.name


def evaluate(prometheus: Prometheus, expr: str, at: float) -> dict[tuple, str]:
    result = prometheus.api("query", query=expr, time=str(at))["result"]
    return {tuple(sorted(series["metric"].items())): series["value"][1] for series in result}


def test_no_dashboard_query_adds_up_two_targets(two_targets):
    """Per instance, every series a query returns is that instance's; with All, every series still
    carries an instance, and the series of one instance are the same as when it alone is selected."""
    prometheus, at = two_targets.prometheus, time.time() - 5
    everything = {"job": ".+", "instance_name": ".*", "organization": ".*", "repository": ".*"}
    mixed, changed, with_data = [], [], set()
    for name, title, panel, target in panel_queries():
        where = f"{name} / {title} [{target['refId']}]"
        all_targets = {**everything, "instance": ".+"}
        together = evaluate(prometheus, substitute(target["expr"], panel, all_targets), at)
        mixed += [f"{where}: {dict(labels)}" for labels in together if "instance" not in dict(labels)]
        if PROCESS_LEVEL & metric_names(target["expr"]):
            if together:
                with_data.add(where)
            continue  # the process's own metrics: its instance is its address, not a target name
        for instance in two_targets.names:
            selection = {**everything, "instance": regex_escape(instance)}
            alone = evaluate(prometheus, substitute(target["expr"], panel, selection), at)
            mixed += [f"{where} ({instance}): {dict(labels)}" for labels in alone
                      if dict(labels).get("instance") != instance]
            if alone:
                with_data.add(where)
            ranked = "topk(" in target["expr"] or "bottomk(" in target["expr"]
            of_instance = {k: v for k, v in together.items() if dict(k).get("instance") == instance}
            if not ranked and alone != of_instance:
                changed.append(f"{where} ({instance})")
    assert not mixed, "series of no single target:\n" + "\n".join(mixed)
    assert not changed, "a target's values change when the other is selected too:\n" + "\n".join(changed)
    queries = {f"{n} / {t} [{target['refId']}]" for n, t, _, target in panel_queries()}
    assert queries - with_data == set(), "queries without data for any target"
