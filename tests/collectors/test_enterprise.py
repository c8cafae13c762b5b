"""The Enterprise Edition collectors on a FakeClient account: exact series, state sets, absent values,
secrets never kept, instance filter and shards."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from exporter.collectors import registry
from exporter.exposition.cache import render_snapshot
from exporter.exposition.families import SnapshotCollector
from exporter.polling.poller import Poller
from tests.fakes import enterprise as data
from tests.fakes.swr import Clock, FakeClient, target

EE = {"enterprise": True, "enterprise_jobs": True, "enterprise_artifacts": True}


def poll(client: FakeClient, **settings):
    clock = Clock()
    return Poller(target(collectors=EE, **settings), client, clock=clock, monotonic=clock).poll_once()


def sampled(snap) -> CollectorRegistry:
    reg = CollectorRegistry()
    reg.register(SnapshotCollector(lambda: snap))
    return reg


def test_instances_statistics_namespaces_and_repositories():
    snap = poll(FakeClient(enterprise=data.answers()))
    assert all(s.success for s in snap.collectors), snap.collectors
    r = sampled(snap)
    v = r.get_sample_value
    assert v("swr_enterprise_instance_info", {"instance_name": "ee-prod", "instance_id": "ins-1",
             "spec": "swr.ee.professional", "version": "v2.8", "charge_mode": "postPaid"}) == 1
    assert v("swr_enterprise_instance_status", {"instance_name": "ee-prod", "status": "Running"}) == 1
    assert v("swr_enterprise_instance_status", {"instance_name": "ee-prod", "status": "Creating"}) == 0
    assert v("swr_enterprise_instance_status", {"instance_name": "ee-new", "status": "Creating"}) == 1
    assert v("swr_enterprise_instance_expiry_timestamp_seconds", {"instance_name": "ee-prod"}) == 1893456000
    assert v("swr_enterprise_instance_expiry_timestamp_seconds", {"instance_name": "ee-new"}) is None
    assert v("swr_enterprise_storage_used_bytes", {"instance_name": "ee-prod"}) == 5000
    assert v("swr_enterprise_resources", {"instance_name": "ee-prod", "resource": "namespaces"}) == 2
    assert v("swr_enterprise_resource_quota", {"instance_name": "ee-prod", "resource": "repositories"}) == 100
    assert v("swr_enterprise_resource_quota",
             {"instance_name": "ee-prod", "resource": "long_term_credentials"}) == 20
    assert v("swr_enterprise_resources",
             {"instance_name": "ee-prod", "resource": "long_term_credentials"}) is None
    assert v("swr_enterprise_resources", {"instance_name": "ee-prod", "resource": "sign_policies"}) is None
    assert v("swr_enterprise_namespace_info", {"instance_name": "ee-prod", "organization": "team", "public":
             "false", "auto_scan": "true", "prevent_vul": "false", "severity": "high"}) == 1
    repo = {"instance_name": "ee-prod", "organization": "team", "repository": "app/web"}
    assert v("swr_enterprise_repository_pulls_total", repo) == 7
    assert v("swr_enterprise_repository_updated_timestamp_seconds", repo) == 1704240000.5
    # the repository of an instance this account does not watch is not exported
    assert v("swr_enterprise_repository_pulls_total",
             {"instance_name": "ee-prod", "organization": "x", "repository": "elsewhere"}) is None


def test_creating_instances_get_no_per_instance_calls():
    client = FakeClient(enterprise=data.answers())
    poll(client)
    assert not [call for call in client.calls if "ins-2" in call]


def test_jobs_latest_execution_registries_gc_webhooks_credentials():
    r = sampled(poll(FakeClient(enterprise=data.answers())))
    v = r.get_sample_value
    assert v("swr_enterprise_replication_policy_info", {"instance_name": "ee-prod", "policy": "to-dr",
             "trigger": "scheduled", "enabled": "true"}) == 1
    status = {"instance_name": "ee-prod", "policy": "to-dr"}
    assert v("swr_enterprise_replication_last_execution_status", {**status, "status": "Failed"}) == 1
    assert v("swr_enterprise_replication_last_execution_status", {**status, "status": "Succeed"}) == 0
    assert v("swr_enterprise_replication_last_execution_tasks", {**status, "result": "failed"}) == 2
    assert v("swr_enterprise_replication_last_execution_timestamp_seconds", status) == 1706832000
    assert v("swr_enterprise_registry_healthy", {"instance_name": "ee-prod", "registry": "dr-site"}) == 0
    assert v("swr_enterprise_retention_last_execution_status", {"instance_name": "ee-prod",
             "organization": "team", "policy": "keep-10", "status": "Succeed"}) == 1
    assert v("swr_enterprise_gc_last_run_status", {"instance_name": "ee-prod", "status": "Success"}) == 1
    assert v("swr_enterprise_gc_last_run_status", {"instance_name": "ee-prod", "status": "Error"}) == 0
    assert v("swr_enterprise_gc_last_freed_bytes", {"instance_name": "ee-prod"}) == 2048
    assert v("swr_enterprise_webhook_failed_jobs", {"instance_name": "ee-prod", "organization": "team",
             "policy": "notify"}) == 4
    cred = "swr_enterprise_long_term_credential_expiry_timestamp_seconds"
    assert v(cred, {"instance_name": "ee-prod", "credential": "ci"}) == 1735689600
    assert v(cred, {"instance_name": "ee-prod", "credential": "forever"}) is None


def test_artifacts_zero_pull_time_is_absent_and_the_latest_scan_is_by_severity():
    r = sampled(poll(FakeClient(enterprise=data.answers())))
    v = r.get_sample_value
    base = {"instance_name": "ee-prod", "organization": "team", "repository": "app/web"}
    assert v("swr_enterprise_artifact_size_bytes", {**base, "digest": "sha256:aa"}) == 100
    assert v("swr_enterprise_artifact_pulled_timestamp_seconds", {**base, "digest": "sha256:aa"}) is None
    pulled = "swr_enterprise_artifact_pulled_timestamp_seconds"
    assert v(pulled, {**base, "digest": "sha256:bb"}) == 1714694400
    assert v("swr_enterprise_artifact_tag_info", {**base, "digest": "sha256:bb", "tag": "latest"}) == 1
    vulns = "swr_enterprise_repository_latest_vulnerabilities"
    assert v(vulns, {**base, "severity": "Critical"}) == 2
    assert v(vulns, {**base, "severity": "Low"}) == 0


def test_a_repository_never_scanned_has_no_vulnerability_series():
    answers = data.answers()
    answers[("ShowInstanceArtifact", "ins-1", "team", "app/web", "sha256:bb")] = {"digest": "sha256:bb"}
    text = render_snapshot(poll(FakeClient(enterprise=answers)), False).decode()
    assert 'swr_enterprise_repository_latest_vulnerabilities{' not in text


def test_registry_credentials_and_webhook_headers_are_never_kept():
    snap = poll(FakeClient(enterprise=data.answers()))
    kept = repr([snap.get(spec) for spec in registry.REGISTRY]) + render_snapshot(snap, True).decode()
    for secret in (data.SECRET_AK, data.SECRET_SK, data.SECRET_HEADER, "hooks.example"):
        assert secret not in kept


def test_the_instance_filter_leaves_instances_out_and_counts_them():
    snap = poll(FakeClient(enterprise=data.answers()), enterprise={"instances": {"exclude": ["ee-new"]}})
    r = sampled(snap)
    assert r.get_sample_value("swr_enterprise_instance_status",
                              {"instance_name": "ee-new", "status": "Creating"}) is None
    assert r.get_sample_value("swr_exporter_series_dropped", {"reason": "filter"}) == 1


def test_shards_split_instances_by_name_and_together_export_each_series_once():
    def series(snap) -> set[str]:
        return {line.rsplit(" ", 1)[0] for line in render_snapshot(snap, False).decode().splitlines()
                if line.startswith("swr_enterprise_")}

    whole = series(poll(FakeClient(enterprise=data.answers())))
    parts = [series(poll(FakeClient(enterprise=data.answers()), shard={"index": i, "total": 3}))
             for i in range(3)]
    assert set().union(*parts) == whole
    assert sum(len(p) for p in parts) == len(whole)


def test_a_failing_instance_call_fails_the_collector_but_keeps_what_was_got():
    client = FakeClient(enterprise=data.answers())
    from tests.fakes.swr import throttled
    client.failures["ListInstanceRegistries"] = throttled("ListInstanceRegistries")
    snap = poll(client)
    assert not snap.status("enterprise_jobs").success
    assert "ListInstanceRegistries" in snap.status("enterprise_jobs").error
    r = sampled(snap)
    assert r.get_sample_value("swr_enterprise_gc_last_freed_bytes", {"instance_name": "ee-prod"}) == 2048


def test_max_series_cuts_the_per_artifact_series_first_and_counts_the_drop():
    from dataclasses import replace as copy_with

    snap = poll(FakeClient(enterprise=data.answers()))
    whole = render_snapshot(snap, False).decode()
    artifact_lines = [line for line in whole.splitlines()
                      if line.startswith(("swr_enterprise_artifact_", "swr_enterprise_repository_latest"))]
    assert artifact_lines
    base = len([line for line in whole.splitlines()
                if line.startswith(("swr_enterprise_", "swr_organization_", "swr_repository_",
                                    "swr_quota_", "swr_account_"))]) - len(artifact_lines)
    # room for the first artifact (size, push time, one tag; never pulled) and no more
    capped = sampled(copy_with(snap, max_series=base + 3))
    dropped = capped.get_sample_value("swr_exporter_series_dropped", {"reason": "cap"})
    assert dropped == len(artifact_lines) - 3
    first = {"instance_name": "ee-prod", "organization": "team", "repository": "app/web",
             "digest": "sha256:aa"}
    size = "swr_enterprise_artifact_size_bytes"
    assert capped.get_sample_value(size, first) == 100
    assert capped.get_sample_value(size, {**first, "digest": "sha256:bb"}) is None
    # the account's own Enterprise objects are all kept
    assert capped.get_sample_value("swr_enterprise_repository_pulls_total", {
        "instance_name": "ee-prod", "organization": "team", "repository": "app/web"}) == 7


def test_a_failed_repository_listing_keeps_the_instances_and_the_last_repositories_until_max_staleness():
    from tests.fakes.swr import throttled

    client = FakeClient(enterprise=data.answers())
    clock = Clock()
    poller = Poller(target(collectors=EE, poll_interval="1m"), client, clock=clock, monotonic=clock)
    poller.poll_once()
    client.failures["ListAllInstanceRepositories"] = throttled("ListAllInstanceRepositories")
    repo = {"instance_name": "ee-prod", "organization": "team", "repository": "app/web"}
    for minutes, pulls in ((1, 7), (3, None)):  # max_staleness: 3 x poll_interval
        clock.advance(minutes * 60)
        snap = poller.poll_once()
        assert not snap.status("enterprise").success
        r = sampled(snap)
        assert r.get_sample_value("swr_enterprise_storage_used_bytes", {"instance_name": "ee-prod"}) == 5000
        assert r.get_sample_value("swr_enterprise_repository_pulls_total", repo) == pulls


def test_repositories_without_an_instance_id_are_matched_by_instance_name():
    answers = data.answers()
    for item in answers[("ListAllInstanceRepositories",)]:
        item.pop("instance_id")
    r = sampled(poll(FakeClient(enterprise=answers)))
    assert r.get_sample_value("swr_enterprise_repository_pulls_total", {
        "instance_name": "ee-prod", "organization": "team", "repository": "app/web"}) == 7
