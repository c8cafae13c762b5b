"""The shares, quotas and tags collectors against the simulator, through the whole exporter."""

from __future__ import annotations

import time

import pytest

from exporter.simulator import Account, Dataset, Simulator
from tests.e2e.harness import config_for, exporter_settings, running_exporter, sample_lines
from tests.e2e.test_exporter_against_simulator import value

pytestmark = pytest.mark.e2e


def sharing_dataset(now: float) -> Dataset:
    dataset = Dataset.empty()
    dataset.add_organization("group")
    dataset.add_repository("group", "busybox")
    dataset.add_repository("group", "library/nginx")
    dataset.add_repository("group", "private")
    dataset.add_share("group", "busybox", "partner-forever", deadline="forever")
    dataset.add_share("group", "busybox", "partner-soon", deadline=now + 3 * 86_400)
    dataset.add_share("group", "library/nginx", "partner-expired", deadline=now - 86_400)
    return dataset


def test_shares_report_accounts_validity_and_expiry_per_repository():
    now = time.time()
    account = Account.generate()
    with Simulator(dataset=sharing_dataset(now), account=account) as sim:
        settings = exporter_settings(sim, account, collectors={"shares": True})
        with running_exporter(config_for(settings)) as exporter:
            snap = exporter.poll()
            text = exporter.metrics()
            domain_calls = [r.path for r in sim.requests if r.operation == "ListRepoDomains"]
    assert snap.status("shares").success, snap.status("shares").error
    busybox = {"organization": "group", "repository": "busybox"}
    nginx = {"organization": "group", "repository": "library/nginx"}
    assert value(text, "swr_repository_shares", busybox) == 2
    assert value(text, "swr_repository_shares", nginx) == 1
    assert value(text, "swr_repository_shares", {"organization": "group", "repository": "private"}) is None
    assert (
        value(
            text, "swr_repository_share_valid", {**nginx, "shared_with": "partner-expired", "permit": "read"}
        )
        == 0
    )
    assert (
        value(
            text, "swr_repository_share_valid", {**busybox, "shared_with": "partner-soon", "permit": "read"}
        )
        == 1
    )
    soon = value(
        text, "swr_repository_share_expiry_timestamp_seconds", {**busybox, "shared_with": "partner-soon"}
    )
    assert soon == pytest.approx(now + 3 * 86_400, abs=1)
    assert (
        value(
            text,
            "swr_repository_share_expiry_timestamp_seconds",
            {**busybox, "shared_with": "partner-forever"},
        )
        is None
    )
    assert sorted(domain_calls) == [
        "/v2/manage/namespaces/group/repositories/busybox/access-domains",
        "/v2/manage/namespaces/group/repositories/library%24nginx/access-domains",
    ]


def test_tags_are_paged_and_exported_per_image():
    account = Account.generate()
    dataset = Dataset.empty()
    dataset.add_organization("group")
    dataset.add_repository("group", "many", tags=[f"v{i}" for i in range(1200)])
    dataset.add_repository("group", "few", tags=["latest"])
    with Simulator(dataset=dataset, account=account) as sim:
        settings = exporter_settings(sim, account, collectors={"tags": True})
        with running_exporter(config_for(settings)) as exporter:
            snap = exporter.poll()
            text = exporter.metrics()
            tag_calls = [r for r in sim.requests if r.operation == "ListRepositoryTags"]
    assert snap.status("tags").success, snap.status("tags").error
    assert len(sample_lines(text, 'swr_image_size_bytes{organization="group",repository="many"')) == 1200
    assert (
        value(text, "swr_image_size_bytes", {"organization": "group", "repository": "few", "tag": "latest"})
        == 1e7
    )
    assert len(tag_calls) == 3  # two pages for "many", one for "few"


def test_tags_beyond_max_series_are_left_out_and_counted():
    account = Account.generate()
    dataset = Dataset.empty()
    dataset.add_organization("group")
    dataset.add_repository("group", "many", tags=[f"v{i}" for i in range(50)])
    with Simulator(dataset=dataset, account=account) as sim:
        settings = exporter_settings(sim, account, collectors={"tags": True}, max_series=40)
        with running_exporter(config_for(settings)) as exporter:
            exporter.poll()
            text = exporter.metrics()
    kept = len(sample_lines(text, "swr_image_size_bytes{")) + len(
        sample_lines(text, "swr_image_updated_timestamp_seconds{")
    )
    # Image series get the budget last: 1 organization + 7 repository + 6 quota (3 quotas, limit and
    # used) + 5 overview series leave 21, room for 10 images of 2 series each: 20 of the 100.
    assert kept == 20
    assert value(text, "swr_exporter_series_dropped", {"reason": "cap"}) == 80


def test_quotas_come_from_the_project_of_the_credentials():
    account = Account.generate()
    with Simulator(dataset=sharing_dataset(time.time()), account=account) as sim:
        with running_exporter(config_for(exporter_settings(sim, account))) as exporter:
            exporter.poll()
            text = exporter.metrics()
    assert value(text, "swr_quota_used", {"quota": "namespace"}) == 1
    assert value(text, "swr_quota_limit", {"quota": "namespace"}) is not None
