"""The behaviours Huawei documents for SWR (swr-api.md section 12), each against the simulator over real
HTTP with that behaviour switched on, as it is by default."""

from __future__ import annotations

import re

import pytest

from exporter.config.model import Shard
from exporter.simulator import Account, Behaviour, Dataset, Simulator
from exporter.simulator.faults import FaultRule, throttle_rule
from tests.e2e.harness import config_for, exporter_settings, running_exporter, sample_lines
from tests.e2e.test_exporter_against_simulator import value


@pytest.fixture
def account() -> Account:
    return Account.generate()


def scrape(sim: Simulator, account: Account, **settings) -> str:
    with running_exporter(config_for(exporter_settings(sim, account, **settings))) as exporter:
        exporter.poll()
        return exporter.metrics()


def repository_labels(text: str) -> list[tuple[str, str]]:
    lines = sample_lines(text, "swr_repository_info{")
    return sorted(re.search(r'organization="([^"]+)",repository="([^"]+)"', line).groups()  # type: ignore[union-attr]
                  for line in lines)


def test_organizations_seen_only_through_a_repository_grant_are_exported(account):
    dataset = Dataset.empty()
    dataset.add_organization("own")
    dataset.add_repository("own", "app")
    dataset.add_organization("granted", visible_only=True)
    dataset.add_repository("granted", "shared-tool")
    with Simulator(dataset=dataset, account=account) as sim:
        everything = scrape(sim, account)
        filtered = scrape(sim, account, organizations={"include": ["granted"]})
    for text in (everything, filtered):
        assert value(text, "swr_organization_info", {"organization": "granted", "access": "manage"}) == 1
        assert ("granted", "shared-tool") in repository_labels(text)


def test_a_fuzzy_namespace_filter_never_puts_a_repository_under_a_wrong_organization(account):
    dataset = Dataset.empty()
    for org in ("team", "team-a"):
        dataset.add_organization(org)
        dataset.add_repository(org, f"{org}-app")
    with Simulator(dataset=dataset, account=account, behaviour=Behaviour(fuzzy_namespace=True)) as sim:
        text = scrape(sim, account, organizations={"include": ["team"]})
    assert repository_labels(text) == [("team", "team-app")]


def shard_split_names() -> tuple[str, str]:
    """An organization and a longer one containing its name that two shards own one each."""
    shard = Shard(0, 2)
    for suffix in "abcdefghij":
        if shard.owns("team") != shard.owns(f"team-{suffix}"):
            return "team", f"team-{suffix}"
    raise AssertionError("no split found")


def test_shards_export_each_repository_once_with_a_fuzzy_namespace_filter(account):
    short, long = shard_split_names()
    dataset = Dataset.empty()
    for org in (short, long):
        dataset.add_organization(org)
        dataset.add_repository(org, f"{org}-app")
    with Simulator(dataset=dataset, account=account) as sim:
        texts = [scrape(sim, account, shard={"index": index, "total": 2}) for index in (0, 1)]
    union = [label for text in texts for label in repository_labels(text)]
    assert sorted(union) == [(short, f"{short}-app"), (long, f"{long}-app")]


def test_swr_s_array_error_body_puts_its_code_and_message_on_the_landing_page(account):
    with Simulator(dataset=Dataset.generate(seed=3, organizations=2, repositories=6), account=account,
                   behaviour=Behaviour(error_body="array")) as sim:
        sim.faults.add(FaultRule("status", operation="ListQuotas", status=400,
                                 error_code="SVCSTG.SWR.4000001"))
        settings = exporter_settings(sim, account)
        with running_exporter(config_for(settings)) as exporter:
            exporter.poll()
            status, _, body = exporter.get("/")
    page = body.decode()
    assert status == 200
    assert re.search(r"ListQuotas failed: HTTP 400 SVCSTG\.SWR\.4000001 \w", page), page
    assert "errorCode" not in page  # the code was read from the body, not the body pasted


@pytest.mark.parametrize("kind", ["swr403", "swr409", "apigw"])
def test_swr_throttling_is_retried_to_a_complete_poll(account, kind):
    dataset = Dataset.generate(seed=3, organizations=2, repositories=6)
    with Simulator(dataset=dataset, account=account) as sim:
        sim.faults.add(throttle_rule(kind, operation="ListReposDetails", times=2))
        text = scrape(sim, account, retries=3)
    op = {"operation": "ListReposDetails"}
    assert value(text, "swr_up") == 1
    assert value(text, "swr_exporter_api_errors_total", {**op, "reason": "throttled"}) == 2
    assert value(text, "swr_exporter_api_retries_total", op) == 2
    assert len(sample_lines(text, "swr_repository_info{")) == len(dataset.repos_in(None))


def test_a_repository_shared_with_150_accounts_shows_100_and_truncated(account):
    dataset = Dataset.empty()
    dataset.add_organization("group")
    dataset.add_repository("group", "popular")
    dataset.add_repository("group", "quiet")
    dataset.add_shares("group", "popular", (f"partner-{n:03d}" for n in range(150)))
    dataset.add_shares("group", "quiet", ["partner-000"])
    with Simulator(dataset=dataset, account=account) as sim:
        assert sim.behaviour.access_domains_cap == 100  # what Huawei documents
        text = scrape(sim, account, collectors={"shares": True})
    popular = {"organization": "group", "repository": "popular"}
    quiet = {"organization": "group", "repository": "quiet"}
    assert value(text, "swr_repository_shares", popular) == 100
    assert value(text, "swr_repository_shares_truncated", popular) == 1
    assert value(text, "swr_repository_shares", quiet) == 1
    assert value(text, "swr_repository_shares_truncated", quiet) == 0


def test_a_capped_page_size_still_lists_everything_with_offsets_multiple_of_their_limit(account):
    dataset = Dataset.empty()
    dataset.add_organization("big")
    for n in range(250):
        dataset.add_repository("big", f"app-{n:03d}")
    with Simulator(dataset=dataset, account=account, behaviour=Behaviour(page_size_cap=100)) as sim:
        text = scrape(sim, account)
        asked = [record.query for record in sim.requests if record.operation == "ListReposDetails"]
    assert len(sample_lines(text, "swr_repository_info{")) == 250
    assert value(text, "swr_exporter_collector_success", {"collector": "repositories"}) == 1
    pages = sorted((int(query["offset"]), int(query["limit"])) for query in asked)
    assert pages == [(0, 1000), (100, 100), (200, 100)]
    assert all(offset % limit == 0 for offset, limit in pages)


def test_the_overview_totals_equal_the_simulator_s(account):
    dataset = Dataset.generate(seed=5, organizations=3, repositories=12)
    with Simulator(dataset=dataset, account=account) as sim:
        text = scrape(sim, account)
        repos = dataset.repos_in(None)
    assert value(text, "swr_account_organizations") == len(dataset.organizations)
    assert value(text, "swr_account_repositories") == len(repos)
    assert value(text, "swr_account_repositories") == len(sample_lines(text, "swr_repository_info{"))
    sizes = [line.rsplit(" ", 1)[1] for line in sample_lines(text, "swr_repository_size_bytes{")]
    assert value(text, "swr_account_storage_bytes") == sum(float(size) for size in sizes)
    images = [line.rsplit(" ", 1)[1] for line in sample_lines(text, "swr_repository_images{")]
    assert value(text, "swr_account_images") == sum(float(count) for count in images)
