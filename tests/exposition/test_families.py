from dataclasses import replace

from prometheus_client import CollectorRegistry

from exporter.collectors import shared as shared_collector
from exporter.collectors import shares as shares_collector
from exporter.collectors import tags
from exporter.collectors.shares import RepositoryShares, Share
from exporter.collectors.tags import Image
from exporter.exposition.families import SnapshotCollector
from exporter.exposition.self_metrics import ApiCollector, BuildInfoCollector
from exporter.exposition.telemetry import Telemetry
from exporter.polling.snapshot import CollectorStatus
from tests.fakes.snapshots import repo, shared, snapshot

REPO = {"organization": "group", "repository": "busybox"}


def registry_for(snap) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(lambda: snap))
    return registry


def test_repository_values_become_labelled_series():
    registry = registry_for(snapshot())
    value = registry.get_sample_value
    assert value("swr_repository_info", {**REPO, "category": "other"}) == 1
    assert value("swr_repository_size_bytes", REPO) == 2099575
    assert value("swr_repository_images", REPO) == 1
    assert value("swr_repository_downloads_total", REPO) == 7
    assert value("swr_repository_public", REPO) == 0
    assert value("swr_repository_created_timestamp_seconds", REPO) == 1622627965.51307
    assert value("swr_repository_updated_timestamp_seconds", REPO) == 1622656765.538056
    assert value("swr_organization_info", {"organization": "group", "access": "manage"}) == 1
    assert value("swr_quota_limit", {"quota": "namespace"}) == 15
    assert value("swr_quota_used", {"quota": "namespace"}) == 1


def test_unknown_values_are_omitted_not_exported_as_zero():
    registry = registry_for(snapshot(repositories=[repo(size_bytes=None, created=None, public=None)]))
    assert registry.get_sample_value("swr_repository_size_bytes", REPO) is None
    assert registry.get_sample_value("swr_repository_created_timestamp_seconds", REPO) is None
    assert registry.get_sample_value("swr_repository_public", REPO) is None
    assert registry.get_sample_value("swr_repository_images", REPO) == 1


def test_shared_validity_only_for_repositories_shared_with_this_account():
    snap = snapshot(shared_repos=[shared("thirdparty", "a", True), shared("self", "b", None)])
    registry = registry_for(snap)
    labels = {"owner_account": "partner", "organization": "group"}
    assert registry.get_sample_value("swr_shared_repository_valid", {"direction": "thirdparty", **labels,
                                                                      "repository": "a"}) == 1
    assert registry.get_sample_value("swr_shared_repository_valid", {"direction": "self", **labels,
                                                                      "repository": "b"}) is None
    assert registry.get_sample_value("swr_shared_repositories", {"direction": "self"}) == 1
    assert registry.get_sample_value("swr_shared_repositories", {"direction": "thirdparty"}) == 1


def test_shared_totals_absent_when_the_shared_collector_has_no_data():
    registry = registry_for(snapshot(omit=(shared_collector.SPEC,)))
    assert registry.get_sample_value("swr_shared_repositories", {"direction": "self"}) is None


def test_health_reflects_collector_results():
    failed = (
        CollectorStatus("organizations", True, 0.1, None, 1.0),
        CollectorStatus("repositories", False, 2.5, "boom", None),
    )
    registry = registry_for(snapshot(collectors=failed))
    value = registry.get_sample_value
    assert value("swr_up") == 0
    assert value("swr_exporter_collector_success", {"collector": "organizations"}) == 1
    assert value("swr_exporter_collector_success", {"collector": "repositories"}) == 0
    assert value("swr_exporter_collector_duration_seconds", {"collector": "repositories"}) == 2.5
    assert value("swr_exporter_polls_total") == 3
    assert value("swr_exporter_poll_failures_total") == 1
    assert value("swr_exporter_last_poll_success_timestamp_seconds") == 1700000001.5
    assert value("swr_exporter_last_poll_duration_seconds") == 1.25


def test_an_interim_snapshot_of_the_first_poll_says_nothing_about_up_or_the_poll_duration():
    registry = registry_for(snapshot(pending=("tags",), duration_seconds=None, polls_total=0,
                                     poll_failures_total=0, last_success=None))
    value = registry.get_sample_value
    assert value("swr_up") is None and value("swr_exporter_last_poll_duration_seconds") is None
    assert value("swr_exporter_collector_success", {"collector": "tags"}) is None
    assert value("swr_repository_images", REPO) == 1  # the data that is ready is served
    assert value("swr_exporter_polls_total") == 0


def test_max_series_caps_repositories_and_counts_what_was_left_out():
    repos = [repo(name=f"r{i}") for i in range(5)]  # 7 series each
    snap = snapshot(repositories=repos, shared_repos=(), max_series=1 + 7 * 2 + 3, filtered_series=4)
    # 1 organization + 2 repositories of 7 series fit; the 2 quota series fit in the 3 left.
    registry = registry_for(snap)
    kept = [r.name for r in repos if registry.get_sample_value(
        "swr_repository_images", {"organization": "group", "repository": r.name}) is not None]
    assert kept == ["r0", "r1"]
    assert registry.get_sample_value("swr_exporter_series_dropped", {"reason": "cap"}) == 3 * 7
    assert registry.get_sample_value("swr_exporter_series_dropped", {"reason": "filter"}) == 4


def test_nothing_is_dropped_below_the_cap():
    registry = registry_for(snapshot())
    assert registry.get_sample_value("swr_exporter_series_dropped", {"reason": "cap"}) == 0


def test_no_snapshot_yields_nothing():
    assert list(SnapshotCollector(lambda: None).collect()) == []


def test_exporter_collector_reports_api_calls_by_operation():
    telemetry = Telemetry(buckets=(0.1, 1.0))
    telemetry.request("ListReposDetails", "200", 0.05)
    telemetry.request("ListReposDetails", "429", 2.0)
    telemetry.error("ListReposDetails", "throttled")
    telemetry.retry("ListReposDetails")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ApiCollector(telemetry))
    registry.register(BuildInfoCollector(version="1.2.3"))
    value = registry.get_sample_value
    op = {"operation": "ListReposDetails"}
    assert value("swr_exporter_api_requests_total", {**op, "code": "200"}) == 1
    assert value("swr_exporter_api_requests_total", {**op, "code": "429"}) == 1
    assert value("swr_exporter_api_errors_total", {**op, "reason": "throttled"}) == 1
    assert value("swr_exporter_api_retries_total", op) == 1
    assert value("swr_exporter_api_request_duration_seconds_bucket", {**op, "le": "0.1"}) == 1
    assert value("swr_exporter_api_request_duration_seconds_bucket", {**op, "le": "1.0"}) == 1
    assert value("swr_exporter_api_request_duration_seconds_bucket", {**op, "le": "+Inf"}) == 2
    assert value("swr_exporter_api_request_duration_seconds_count", op) == 2
    assert value("swr_exporter_api_request_duration_seconds_sum", op) == 2.05
    import platform
    assert value("swr_exporter_build_info", {"version": "1.2.3",
                                             "python_version": platform.python_version()}) == 1


def test_shares_and_tags_become_series_and_count_against_the_cap():
    shares = (RepositoryShares("group", "busybox", (Share("partner", "read", True, 1.8e9),
                                                    Share("other", "read", False, None))),)
    images = (Image("group", "busybox", "v1", 5, 1.7e9), Image("group", "busybox", "v2", 6, None))
    snap = snapshot(extra={shares_collector.SPEC: shares, tags.SPEC: images})
    value = registry_for(snap).get_sample_value
    share = {**REPO, "shared_with": "partner"}
    assert value("swr_repository_shares", REPO) == 2
    assert value("swr_repository_share_valid", {**share, "permit": "read"}) == 1
    assert value("swr_repository_share_valid", {**REPO, "shared_with": "other", "permit": "read"}) == 0
    assert value("swr_repository_share_expiry_timestamp_seconds", share) == 1.8e9
    assert value("swr_repository_share_expiry_timestamp_seconds", {**REPO, "shared_with": "other"}) is None
    assert value("swr_image_size_bytes", {**REPO, "tag": "v2"}) == 6
    assert value("swr_image_updated_timestamp_seconds", {**REPO, "tag": "v2"}) is None

    assert value("swr_repository_shares_truncated", REPO) == 0
    # 1 organization + 7 repository + 4 shared + 5 share (count, truncated, 2 valid, 1 expiry) + 2 quota
    # series fit; the 3 image series, which get the budget last, do not.
    capped = registry_for(replace(snap, max_series=19)).get_sample_value
    assert capped("swr_quota_used", {"quota": "namespace"}) == 1
    assert capped("swr_repository_shares", REPO) == 2
    assert capped("swr_image_size_bytes", {**REPO, "tag": "v1"}) is None
    assert capped("swr_exporter_series_dropped", {"reason": "cap"}) == 3


def test_telemetry_version_moves_with_every_record():
    telemetry = Telemetry()
    versions = [telemetry.version()]
    telemetry.request("ListNamespaces", "200", 0.1)
    versions.append(telemetry.version())
    telemetry.error("ListNamespaces", "throttled")
    versions.append(telemetry.version())
    telemetry.retry("ListNamespaces")
    versions.append(telemetry.version())
    assert versions == sorted(set(versions))
