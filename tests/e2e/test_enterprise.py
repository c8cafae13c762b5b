"""The Enterprise Edition collectors against the simulator over real HTTP: every metric of DESIGN.md 5's
Enterprise table with exact labels and values, a golden exposition, the paging limits kept, a repository
with ``/``, no secret anywhere at debug level, and shards that add up to the unsharded output."""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.collectors import registry
from exporter.simulator import Account, Dataset, Simulator
from exporter.simulator.enterprise_data import (
    REGISTRY_ACCESS_KEY,
    REGISTRY_SECRET,
    WEBHOOK_AUTH_HEADER,
    EnterpriseDataset,
)
from tests.e2e.harness import config_for, exporter_settings, running_exporter

pytestmark = pytest.mark.e2e

GOLDEN = Path(__file__).parent / "golden" / "enterprise.prom"
EE = {"enterprise": True, "enterprise_jobs": True, "enterprise_artifacts": True}
OPERATIONS = {
    "ListInstance", "ListInstanceStatistics", "ListInstanceNamespaces", "ListAllInstanceRepositories",
    "ListInstanceReplicationPolicies", "ListInstanceReplicationPolicyExecutions", "ListInstanceRegistries",
    "ListInstanceRetentionPolicies", "ListInstanceRetentionPolicyExecutions", "ListGcTasks",
    "ListInstanceWebhooks", "ListInstanceWebhookJobs", "ListInstanceLtCredentials", "ListInstanceArtifacts",
    "ShowInstanceArtifact"}
Sample = tuple[str, tuple[tuple[str, str], ...]]


def enterprise_dataset(instances: int = 1, repositories: int = 5) -> EnterpriseDataset:
    return EnterpriseDataset.generate(seed=5, instances=instances, repositories=repositories)


def run(enterprise: EnterpriseDataset, account: Account, **overrides) -> tuple[str, Simulator]:
    dataset = Dataset.generate(seed=7, organizations=1, repositories=1, tags_per_repository=1,
                               shared_with_me=0)
    with Simulator(dataset=dataset, account=account, enterprise=enterprise) as sim:
        settings = exporter_settings(sim, account, collectors=EE, rate_limit=1000, **overrides)
        with running_exporter(config_for(settings)) as exporter:
            snap = exporter.poll()
            assert snap.up, [s.error for s in snap.collectors if not s.success]
            return exporter.metrics(), sim


def enterprise_samples(text: str) -> dict[Sample, float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) if family.name.startswith("swr_enterprise_")
            for s in family.samples}


def ts(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def whole(seconds: float) -> float:
    return float(int(seconds))  # the simulator sends whole seconds


def expected(ds: EnterpriseDataset) -> dict[Sample, float]:
    """Every series the dataset should give, computed from its records, not from the exporter."""
    out: dict[Sample, float] = {}

    def put(name: str, value: float, **labels: str) -> None:
        out[(name, tuple(sorted(labels.items())))] = float(value)

    for i in ds.instances:
        ins = {"instance_name": i.name}
        put("swr_enterprise_instance_info", 1, **ins, instance_id=i.id, spec="swr.ee.professional",
            version="v2.10.3", charge_mode="postPaid")
        for status in ("Initial", "Creating", "Running", "Unavailable"):
            put("swr_enterprise_instance_status", status == i.status, **ins, status=status)
        if i.expires is not None:
            put("swr_enterprise_instance_expiry_timestamp_seconds", whole(i.expires), **ins)
        if i.status != "Running":
            continue
        put("swr_enterprise_storage_used_bytes", i.storage_used, **ins)
        counts = {"namespaces": (len(i.namespaces), 15), "repositories": (len(i.repositories), 5000),
                  "replication_policies": (len(i.replications), 10),
                  "retention_policies": (len(i.retentions), 10),
                  "notify_policies": (len(i.webhooks), 10), "sign_policies": (0, 10),
                  "registries": (len(i.registries), 10), "intranet_endpoints": (1, 5)}
        for resource, (count, quota) in counts.items():
            put("swr_enterprise_resources", count, **ins, resource=resource)
            put("swr_enterprise_resource_quota", quota, **ins, resource=resource)
        put("swr_enterprise_resource_quota", 20, **ins, resource="long_term_credentials")
        for name, meta in i.namespaces.items():
            put("swr_enterprise_namespace_info", 1, **ins, organization=name, **meta)
            put("swr_enterprise_namespace_repositories", sum(r.namespace == name for r in i.repositories),
                **ins, organization=name)
        for r in i.repositories:
            repo = {**ins, "organization": r.namespace, "repository": r.name}
            put("swr_enterprise_repository_pulls_total", r.pulls, **repo)
            put("swr_enterprise_repository_artifacts", len(r.artifacts), **repo)
            put("swr_enterprise_repository_tags", sum(len(a.tags) for a in r.artifacts), **repo)
            put("swr_enterprise_repository_created_timestamp_seconds", whole(r.created), **repo)
            put("swr_enterprise_repository_updated_timestamp_seconds", whole(r.updated), **repo)
            for a in r.artifacts:
                art = {**repo, "digest": a.digest}
                put("swr_enterprise_artifact_size_bytes", a.size, **art)
                put("swr_enterprise_artifact_pushed_timestamp_seconds", whole(a.pushed), **art)
                if a.pulled is not None:
                    put("swr_enterprise_artifact_pulled_timestamp_seconds", whole(a.pulled), **art)
                for tag in a.tags:
                    put("swr_enterprise_artifact_tag_info", 1, **art, tag=tag)
            latest = max(r.artifacts, key=lambda a: a.pushed)
            if latest.scan is not None:
                for severity in ("Critical", "High", "Medium", "Low", "Unknown"):
                    put("swr_enterprise_repository_latest_vulnerabilities", latest.scan.get(severity, 0),
                        **repo, severity=severity)
        for p in i.replications:
            pol = {**ins, "policy": p["name"]}
            put("swr_enterprise_replication_policy_info", 1, **pol, trigger=p["trigger"],
                enabled=str(p["enabled"]).lower())
            last = max(p["executions"], key=lambda e: e["created"])
            for status in ("InProgress", "Succeed", "Failed", "Stopped"):
                put("swr_enterprise_replication_last_execution_status", status == last["status"], **pol,
                    status=status)
            in_progress = 2 if last["status"] == "InProgress" else 0
            for result, n in (("succeed", last["succeed"]), ("failed", last["failed"]),
                              ("in_progress", in_progress), ("stopped", 0)):
                put("swr_enterprise_replication_last_execution_tasks", n, **pol, result=result)
            put("swr_enterprise_replication_last_execution_timestamp_seconds", whole(last["created"]), **pol)
        for reg in i.registries:
            put("swr_enterprise_registry_healthy", reg["status"] == "healthy", **ins, registry=reg["name"])
        for ret in i.retentions:
            status = max(ret["executions"], key=lambda e: e["start"])["status"]
            for s in ("InProgress", "Succeed", "Failed", "Stopped"):
                put("swr_enterprise_retention_last_execution_status", s == status, **ins,
                    organization=ret["namespace"], policy=ret["name"], status=s)
        gc = max(i.gc_tasks, key=lambda t: t["created"])
        for s in ("Success", "Stopped", "Running", "Pending", "Error"):
            put("swr_enterprise_gc_last_run_status", s == gc["status"], **ins, status=s)
        put("swr_enterprise_gc_last_run_timestamp_seconds", whole(gc["created"]), **ins)
        put("swr_enterprise_gc_last_freed_bytes", gc["freed"], **ins)
        for hook in i.webhooks:
            put("swr_enterprise_webhook_failed_jobs", hook["failed"], **ins, organization=hook["namespace"],
                policy=hook["name"])
        for cred in i.credentials:
            if cred["expires"] is not None:
                put("swr_enterprise_long_term_credential_expiry_timestamp_seconds", whole(cred["expires"]),
                    **ins, credential=cred["name"])
    return out


def test_every_enterprise_metric_has_exactly_the_labels_and_values_of_the_data():
    ds = enterprise_dataset(instances=2, repositories=8)
    text, _ = run(ds, Account.generate())
    got = enterprise_samples(text)
    want = expected(ds)
    assert sorted(set(got) - set(want)) == []
    assert sorted(set(want) - set(got)) == []
    assert {k: v for k, v in got.items() if want[k] != v} == {}
    names = {name.removesuffix("_total") for name, _ in got}
    catalogue = {line.split("`")[1].removesuffix("_total") for line in
                 (Path(__file__).parents[2] / "README.md").read_text().splitlines()
                 if line.startswith("| `swr_enterprise_")}
    assert names == catalogue  # every metric of the table appears


def test_golden_exposition_for_a_small_enterprise_data_set():
    """Checked by hand once against the dataset's records (enterprise_dataset(1, 5)) when first written."""
    account = dataclasses.replace(Account.generate(), domain_name="golden-account")
    text, _ = run(enterprise_dataset(), account)
    lines = [line for line in text.splitlines()
             if re.match(r"^(# (HELP|TYPE) )?swr_enterprise_", line)]
    body = "".join(line + "\n" for line in lines)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(body)
    assert body == GOLDEN.read_text()


def test_no_request_asks_above_100_or_at_an_offset_off_its_limit_and_slashes_are_double_encoded():
    ds = enterprise_dataset(instances=2, repositories=260)
    _, sim = run(ds, Account.generate())
    ee = [r for r in sim.requests if r.operation in OPERATIONS]
    assert {r.operation for r in ee} == OPERATIONS
    assert all(r.status == 200 for r in ee), Counter((r.operation, r.status) for r in ee)
    for r in ee:
        if "limit" in r.query:
            assert 1 <= int(r.query["limit"]) <= 100, r
        if "offset" in r.query:
            assert int(r.query["offset"]) % int(r.query["limit"]) == 0, r
    assert sum(r.operation == "ListAllInstanceRepositories" for r in ee) == 3  # 260 in pages of 100
    assert any("/repositories/team%252Fapi/artifacts" in r.path for r in ee)


def test_no_registry_credential_or_webhook_header_anywhere_at_debug_level(caplog):
    caplog.set_level("DEBUG")
    account = Account.generate()
    dataset = Dataset.generate(seed=7, organizations=1, repositories=1, tags_per_repository=1,
                               shared_with_me=0)
    with Simulator(dataset=dataset, account=account, enterprise=enterprise_dataset()) as sim:
        config = config_for(exporter_settings(sim, account, collectors=EE))
        with running_exporter(config) as exporter:
            snap = exporter.poll()
            emitted = [exporter.get(path)[2].decode() for path in ("/", "/metrics")]
            emitted.append(repr([snap.get(spec) for spec in registry.REGISTRY]))
    emitted.append(caplog.text)
    assert 'operation="ListInstanceRegistries"' in emitted[1] and "ee-prod" in emitted[2]
    assert any(record.levelname == "DEBUG" for record in caplog.records)
    for text in emitted:
        for secret in (REGISTRY_ACCESS_KEY, REGISTRY_SECRET, WEBHOOK_AUTH_HEADER, "simulated-webhook-token"):
            assert secret not in text


def test_three_shards_together_equal_one_unsharded_exporter():
    ds = enterprise_dataset(instances=4, repositories=20)
    account = Account.generate()
    whole_series = enterprise_samples(run(ds, account)[0])
    parts = [enterprise_samples(run(ds, account, shard={"index": i, "total": 3})[0]) for i in range(3)]
    union = Counter(key for part in parts for key in part)
    assert [key for key, n in union.items() if n > 1] == []
    assert set(union) == set(whole_series)
    assert sum(bool(part) for part in parts) >= 2, "the instances should spread over the shards"


def test_a_failing_enterprise_call_fails_its_collector_only_and_is_retried_like_any_other():
    from exporter.simulator import FaultRule

    account = Account.generate()
    dataset = Dataset.generate(seed=7, organizations=1, repositories=1, tags_per_repository=1,
                               shared_with_me=0)
    with Simulator(dataset=dataset, account=account, enterprise=enterprise_dataset()) as sim:
        sim.faults.add(FaultRule("status", operation="ListGcTasks", status=503))
        sim.faults.add(FaultRule("status", operation="ListInstanceStatistics", status=429, retry_after=0,
                                 times=1))
        settings = exporter_settings(sim, account, collectors=EE, rate_limit=1000)
        with running_exporter(config_for(settings)) as exporter:
            snap = exporter.poll()
            text = exporter.metrics()
    assert snap.status("enterprise").success
    assert not snap.status("enterprise_jobs").success
    assert "ListGcTasks" in snap.status("enterprise_jobs").error
    assert snap.status("enterprise_artifacts").success
    assert 'swr_exporter_api_retries_total{operation="ListInstanceStatistics"} 1.0' in text
    assert 'swr_exporter_api_errors_total{operation="ListGcTasks",reason="server_error"} 2.0' in text
    # what the failing collector did get is served
    assert 'swr_enterprise_registry_healthy{instance_name="ee-prod",registry="dr-site"} 1.0' in text
