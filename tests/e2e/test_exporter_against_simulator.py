"""The exporter against the simulator over real HTTP: what a user scraping /metrics gets."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.collectors import repositories
from exporter.collectors.fields import parse_timestamp
from exporter.simulator import Account, Dataset, FaultRule, Simulator
from tests.e2e.harness import config_for, exporter_settings, running_exporter, sample_lines

pytestmark = pytest.mark.e2e

GOLDEN = Path(__file__).parent / "golden" / "small.prom"
VOLATILE = re.compile(
    r"^(# (HELP|TYPE) )?(swr_exporter_api_request_duration_seconds|swr_exporter_collector_duration_seconds"
    r"|swr_exporter_last_poll_duration_seconds|swr_exporter_last_poll_success_timestamp_seconds"
    r"|swr_exporter_build_info|swr_exporter_config_last_reload_success_timestamp_seconds|process_[a-z_]+)"
    r"(_bucket|_count|_sum)?[{ ]"
)


@pytest.fixture
def account() -> Account:
    return Account.generate()


def small_dataset() -> Dataset:
    return Dataset.generate(seed=7, organizations=2, repositories=5, tags_per_repository=2, shared_with_me=2)


def stable(exposition: str) -> str:
    return "".join(line + "\n" for line in exposition.splitlines() if not VOLATILE.match(line))


def test_golden_metrics_for_a_small_seeded_dataset(account):
    """The golden file was checked by hand against the dataset's records (sizes, images, downloads,
    public flags, microsecond timestamps, share validity) when it was first written."""
    account = dataclasses.replace(account, domain_name="golden-account")
    with Simulator(dataset=small_dataset(), account=account) as sim:
        with running_exporter(config_for(exporter_settings(sim, account))) as exporter:
            exporter.poll()
            text = stable(exporter.metrics())
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_promtool_finds_nothing_to_complain_about(account, tmp_path):
    with Simulator(dataset=small_dataset(), account=account) as sim:
        with running_exporter(config_for(exporter_settings(sim, account))) as exporter:
            exporter.poll()
            text = exporter.metrics()
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == ""


def test_more_than_a_thousand_repositories_in_one_organization_are_all_exported(account):
    dataset = Dataset.generate(seed=1, organizations=1, repositories=1500, tags_per_repository=1,
                               shared_with_me=0)
    with Simulator(dataset=dataset, account=account) as sim:
        with running_exporter(config_for(exporter_settings(sim, account))) as exporter:
            snap = exporter.poll()
            text = exporter.metrics()
            listing = [r for r in sim.requests if r.operation == "ListReposDetails"]
    assert len(snap.get(repositories.SPEC)) == 1500
    assert len(sample_lines(text, "swr_repository_size_bytes{")) == 1500
    assert sorted(r.query.get("offset") for r in listing) == ["0", "1000"]
    assert {r.query.get("limit") for r in listing} == {"1000"}


def seed_000_dataset() -> Dataset:
    dataset = Dataset.empty()
    dataset.add_organization("group", auth=7)
    dataset.add_repository(
        "group",
        "busybox",
        category="other",
        description="containerops",
        size=2099575,
        is_public=False,
        num_images=1,
        num_download=0,
        created=parse_timestamp("2021-06-02T09:59:25.51307Z"),
        updated=parse_timestamp("2021-06-02T17:59:25.538056Z"),
    )
    return dataset


def test_seed_000_example_produces_exactly_the_documented_values_through_the_brief_endpoint(account):
    with Simulator(dataset=seed_000_dataset(), account=account) as sim:
        settings = exporter_settings(
            sim, account, repositories=[{"organization": "group", "name": "busybox"}]
        )
        with running_exporter(config_for(settings)) as exporter:
            exporter.poll()
            text = exporter.metrics()
            operations = {r.operation for r in sim.requests}
    assert "ShowRepository" in operations and "ListReposDetails" not in operations
    labels = '{organization="group",repository="busybox"}'
    assert sample_lines(text, "swr_repository_") == sorted(
        [
            f"swr_repository_created_timestamp_seconds{labels} 1.62262796551307e+09",
            f"swr_repository_downloads_total{labels} 0.0",
            f"swr_repository_images{labels} 1.0",
            'swr_repository_info{category="other",organization="group",repository="busybox"} 1.0',
            f"swr_repository_public{labels} 0.0",
            f"swr_repository_size_bytes{labels} 2.099575e+06",
            f"swr_repository_updated_timestamp_seconds{labels} 1.622656765538056e+09",
        ]
    )


def test_a_repository_name_with_a_slash_goes_through_the_brief_endpoint(account):
    dataset = seed_000_dataset()
    dataset.add_repository("group", "library/nginx", size=5, num_images=2, num_download=3, is_public=True)
    with Simulator(dataset=dataset, account=account) as sim:
        refs = [{"organization": "group", "name": "library/nginx"}]
        with running_exporter(config_for(exporter_settings(sim, account, repositories=refs))) as exporter:
            snap = exporter.poll()
            paths = [r.path for r in sim.requests if r.operation == "ShowRepository"]
    assert snap.status("repositories").success
    assert [r.name for r in snap.get(repositories.SPEC)] == ["library/nginx"]
    assert paths == ["/v2/manage/namespaces/group/repos/library%24nginx"]


def value(text: str, name: str, labels: dict[str, str] | None = None) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and (labels is None or sample.labels == labels):
                return sample.value
    return None


def test_wrong_credentials_fail_every_collector_and_the_exporter_keeps_serving(account):
    wrong = Account.generate()
    with Simulator(dataset=small_dataset(), account=account) as sim:
        settings = exporter_settings(sim, account)
        settings["auth"] = {"type": "aksk", "access_key": account.ak, "secret_key": wrong.sk}
        with running_exporter(config_for(settings)) as exporter:
            snap = exporter.poll()
            text = exporter.metrics()
    assert not any(s.success for s in snap.collectors)
    assert "APIGW.0301" in snap.status("organizations").error
    assert value(text, "swr_up") == 0
    assert (
        value(
            text, "swr_exporter_api_errors_total", {"operation": "ListNamespaces", "reason": "unauthorized"}
        )
        == 1
    )
    assert value(text, "swr_repository_size_bytes") is None


def test_a_configured_repository_that_does_not_exist_fails_its_collector_only(account):
    with Simulator(dataset=seed_000_dataset(), account=account) as sim:
        refs = [{"organization": "group", "name": "busybox"}, {"organization": "group", "name": "missing"}]
        with running_exporter(config_for(exporter_settings(sim, account, repositories=refs))) as exporter:
            snap = exporter.poll()
            text = exporter.metrics()
    error = snap.status("repositories").error
    assert "group/missing" in error and "HTTP 404" in error and "SVCSTG.SWR.404" in error
    assert value(text, "swr_exporter_collector_success", {"collector": "repositories"}) == 0
    assert value(text, "swr_exporter_collector_success", {"collector": "shared"}) == 1
    assert value(text, "swr_repository_images", {"organization": "group", "repository": "busybox"}) == 1


@pytest.mark.parametrize("kind", ["malformed", "truncated", "wrong_type"])
def test_a_malformed_answer_fails_its_collector_and_keeps_the_last_good_data(account, kind):
    with Simulator(dataset=small_dataset(), account=account) as sim:
        with running_exporter(config_for(exporter_settings(sim, account))) as exporter:
            first = exporter.poll()
            sim.faults.add(FaultRule(kind, operation="ListReposDetails"))
            snap = exporter.poll()
            text = exporter.metrics()
    status = snap.status("repositories")
    assert not status.success and status.stale
    assert snap.get(repositories.SPEC) == first.get(repositories.SPEC)
    assert snap.status("organizations").success
    assert len(sample_lines(text, "swr_repository_size_bytes{")) == len(first.get(repositories.SPEC))
    assert (
        value(
            text,
            "swr_exporter_api_errors_total",
            {"operation": "ListReposDetails", "reason": "invalid_response"},
        )
        >= 1
    )


def test_secrets_appear_nowhere_in_logs_pages_or_metrics(account, caplog):
    caplog.set_level("DEBUG")
    with Simulator(dataset=small_dataset(), account=account) as sim:
        config = config_for(exporter_settings(sim, account))
        with running_exporter(config) as exporter:
            exporter.poll()
            sim.faults.add(FaultRule("status", status=500, times=2))
            exporter.poll()
            emitted = [exporter.get(path)[2].decode() for path in ("/", "/metrics", "/-/ready")]
    emitted += [caplog.text, repr(config)]
    for text in emitted:
        assert account.sk not in text
        assert account.ak not in repr(config)
