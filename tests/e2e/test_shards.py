"""Shards split an account between replicas: together they export exactly what one unsharded exporter
does, and no series twice (DESIGN.md section 7)."""

from __future__ import annotations

from collections import Counter

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.simulator import Account, Dataset, Simulator
from tests.e2e.harness import config_for, exporter_settings, running_exporter

pytestmark = pytest.mark.e2e

SHARDS = 3
EVERY_COLLECTOR = {"repositories": True, "shared": True, "shares": True, "quotas": True, "tags": True}


def data_series(exposition: str) -> list[tuple[str, tuple[tuple[str, str], ...], float]]:
    """The account's series; the exporter's own (swr_exporter_*, swr_up, process_*) describe each
    process."""
    series = []
    for family in text_string_to_metric_families(exposition):
        if family.name.startswith(("swr_exporter_", "process_")) or family.name == "swr_up":
            continue
        series += [(s.name, tuple(sorted(s.labels.items())), s.value) for s in family.samples]
    return series


def scrape(sim: Simulator, account: Account, **overrides) -> list[tuple[str, tuple, float]]:
    settings = exporter_settings(sim, account, rate_limit=1000, max_concurrency=8, **overrides)
    with running_exporter(config_for(settings)) as exporter:
        snapshot = exporter.poll()
        assert snapshot.up, [status.error for status in snapshot.collectors if not status.success]
        return data_series(exporter.metrics())


@pytest.fixture(scope="module")
def simulator():
    dataset = Dataset.generate(seed=3, organizations=12, repositories=80, tags_per_repository=2,
                               shared_with_me=3)
    for repo in dataset.repositories[:6]:  # shares of our own repositories, for the shares collector
        dataset.add_share(repo.namespace, repo.name, "partner-a", deadline="forever")
    with Simulator(dataset=dataset, account=Account.generate()) as sim:
        yield sim


@pytest.fixture(scope="module", params=[None, EVERY_COLLECTOR], ids=["default", "every-collector"])
def outputs(simulator, request):
    """The unsharded exporter's series, then each shard's."""
    extra = {"collectors": request.param} if request.param else {}
    whole = scrape(simulator, simulator.account, **extra)
    parts = [scrape(simulator, simulator.account, shard={"index": index, "total": SHARDS}, **extra)
             for index in range(SHARDS)]
    return whole, parts


def test_union_of_all_shards_is_the_unsharded_output_with_no_series_twice(outputs):
    whole, parts = outputs
    union = [series for part in parts for series in part]
    twice = [series for series, count in Counter(union).items() if count > 1]
    assert twice == []
    assert sorted(union) == sorted(whole)
    assert all(parts), "every shard owns some organizations with this seed, or the test proves little"


def test_account_wide_series_come_from_shard_zero_only(outputs):
    _, parts = outputs
    for index, part in enumerate(parts):
        names = {name for name, _, _ in part}
        has_account_wide = any(name.startswith(("swr_shared_repositor", "swr_quota_")) for name in names)
        assert has_account_wide == (index == 0), (index, sorted(names))
