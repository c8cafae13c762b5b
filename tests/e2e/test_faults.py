"""The exporter against the simulator's fault injection, over real HTTP.

In every case: /metrics answers 200, the failing collector shows 0 in swr_exporter_collector_success,
its last good data stays until max_staleness and then goes, failed attempts are counted by reason and
retries by operation, and the first poll after the fault clears restores the same values. Everything the
exporter emitted meanwhile (logs at debug level, pages, metrics, errors, reprs) is searched for the
account's secrets.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.logs import LogfmtFormatter
from exporter.simulator import Account, Dataset, FaultRule, Simulator
from tests.e2e.harness import Exporter, config_for, exporter_settings, running_exporter
from tests.fakes.swr import Clock

pytestmark = pytest.mark.e2e

MAX_STALENESS = 600.0
SERIES = {
    "organizations": "swr_organization_info",
    "repositories": "swr_repository_size_bytes",
    "shared": "swr_shared_repository_info",
    "quotas": "swr_quota_limit",
}


def samples(text: str, name: str) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text, name).get(tuple(sorted(labels.items())), 0.0)


@dataclass
class Run:
    """One simulator and one exporter, with everything the exporter showed collected for the secret check."""

    sim: Simulator
    exporter: Exporter
    clock: Clock
    log: io.StringIO
    shown: list[str] = field(default_factory=list)

    def poll(self):
        snapshot = self.exporter.poll()
        self.shown.extend(status.error or "" for status in snapshot.collectors)
        self.shown.append(repr(snapshot.collectors))
        return snapshot

    def metrics(self) -> str:
        status, _, body = self.exporter.get("/metrics")
        assert status == 200
        landing_status, _, page = self.exporter.get("/")
        assert landing_status == 200
        self.shown.extend([body.decode(), page.decode()])
        return body.decode()

    def assert_no_secret_shown(self) -> None:
        account = self.sim.account
        secrets = [account.sk, account.password, *self.sim.issued_tokens()]
        self.shown.append(repr(self.exporter.runtime.pollers[0].target))
        everything = "\n".join([*self.shown, self.log.getvalue()])
        assert "DEBUG" in everything.upper()  # the debug log was captured, so the check means something
        for secret in secrets:
            assert secret not in everything


@contextlib.contextmanager
def debug_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def small_dataset() -> Dataset:
    return Dataset.generate(seed=11, organizations=2, repositories=6, tags_per_repository=1, shared_with_me=2)


@contextlib.contextmanager
def fault_run(dataset: Dataset | None = None, password: bool = False, **overrides) -> Iterator[Run]:
    account = Account.generate()
    clock = Clock(time.time())
    # max_skew=None: the fake clock also dates the signatures, and it runs ahead of the simulator's.
    with debug_log() as log, Simulator(dataset=dataset or small_dataset(), account=account,
                                       max_skew=None) as sim:
        # Every collector at every poll, so each poll of a test meets the fault it sets up.
        every_poll = {"quotas": "5m"}
        settings = exporter_settings(sim, account, poll_interval="5m", collector_intervals=every_poll,
                                     max_staleness="10m", request_timeout="1s", **overrides)
        if password:
            settings.pop("project_id")
            settings["auth"] = {"type": "password", "domain": account.domain_name,
                                "username": account.username, "password": account.password}
        with running_exporter(config_for(settings), clock=clock) as exporter:
            run = Run(sim, exporter, clock, log)
            yield run
        run.assert_no_secret_shown()


CASES = [
    # id, fault rule, operation, collector, reason counted, retried
    ("throttled-429", dict(kind="status", status=429, retry_after=0), "ListReposDetails", "repositories",
     "throttled", True),
    ("server-error-500", dict(kind="status", status=500, retry_after=0), "ListSharedReposDetails", "shared",
     "server_error", True),
    ("bad-gateway-502", dict(kind="status", status=502, retry_after=0), "ListQuotas", "quotas",
     "server_error", True),
    ("unavailable-503", dict(kind="status", status=503, retry_after=0), "ListNamespaces", "organizations",
     "server_error", True),
    ("connection-reset", dict(kind="reset"), "ListNamespaces", "organizations", "network", True),
    ("timeout", dict(kind="timeout", seconds=1.5), "ListReposDetails", "repositories", "timeout", True),
    ("malformed-json", dict(kind="malformed"), "ListSharedReposDetails", "shared", "invalid_response", False),
    ("truncated-json", dict(kind="truncated"), "ListReposDetails", "repositories", "invalid_response", False),
    ("array-becomes-object", dict(kind="wrong_type"), "ListReposDetails", "repositories",
     "invalid_response", False),
    ("numbers-become-strings", dict(kind="wrong_type"), "ListQuotas", "quotas", "invalid_response", False),
    ("auth-becomes-string", dict(kind="wrong_type"), "ListNamespaces", "organizations",
     "invalid_response", False),
]


@pytest.mark.parametrize(("rule", "operation", "collector", "reason", "retried"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_failing_collector_serves_stale_data_until_max_staleness_and_recovers(
        rule, operation, collector, reason, retried):
    series = SERIES[collector]
    with fault_run() as run:
        assert run.poll().up
        before = run.metrics()
        good = samples(before, series)
        assert good, f"{series} has no samples to keep"

        run.sim.faults.add(FaultRule(rule.pop("kind"), operation=operation, **rule))
        failed = run.poll()
        during = run.metrics()
        assert value(during, "swr_exporter_collector_success", collector=collector) == 0
        assert value(during, "swr_up") == 0
        assert samples(during, series) == good, "last good data must stay until max_staleness"
        errors = "swr_exporter_api_errors_total"
        assert value(during, errors, operation=operation, reason=reason) > \
            value(before, errors, operation=operation, reason=reason)
        retries = "swr_exporter_api_retries_total"
        assert (value(during, retries, operation=operation) > value(before, retries, operation=operation)) \
            == retried
        assert all(s.success for s in failed.collectors if s.name != collector)

        run.clock.advance(MAX_STALENESS + 1)
        run.poll()
        expired = run.metrics()
        assert samples(expired, series) == {}, "stale data must go after max_staleness"
        assert value(expired, "swr_exporter_collector_success", collector=collector) == 0

        run.sim.faults.clear()
        assert run.poll().up
        after = run.metrics()
        assert samples(after, series) == good
        assert value(after, "swr_exporter_collector_success", collector=collector) == 1


def test_a_429_burst_shorter_than_the_retry_budget_is_absorbed_honouring_retry_after():
    with fault_run(retries=3) as run:
        run.sim.faults.add(FaultRule("status", operation="ListReposDetails", times=3, status=429,
                                     retry_after=0.01))
        snapshot = run.poll()
        text = run.metrics()
    assert snapshot.up
    assert value(text, "swr_exporter_api_errors_total", operation="ListReposDetails", reason="throttled") == 3
    assert value(text, "swr_exporter_api_retries_total", operation="ListReposDetails") == 3
    assert value(text, "swr_exporter_api_requests_total", operation="ListReposDetails", code="429") == 3


def test_an_expired_token_is_renewed_once_without_failing_a_collector():
    with fault_run(password=True) as run:
        assert run.poll().up
        run.sim.expire_tokens()
        snapshot = run.poll()
        text = run.metrics()
        logins = [r for r in run.sim.requests if r.operation == "KeystoneCreateUserTokenByPassword"]
    assert snapshot.up, [s.error for s in snapshot.collectors]
    assert len(logins) == 2
    assert sum(v for labels, v in samples(text, "swr_exporter_api_errors_total").items()
               if ("reason", "unauthorized") in labels) >= 1


def iam_logins(sim: Simulator) -> int:
    return sum(r.operation == "KeystoneCreateUserTokenByPassword" for r in sim.requests)


def test_a_revoked_token_that_iam_will_not_renew_fails_every_collector_until_iam_recovers():
    with fault_run(password=True) as run:
        assert run.poll().up
        good = samples(run.metrics(), "swr_repository_size_bytes")
        run.sim.revoke_tokens()
        run.sim.faults.add(FaultRule("status", operation="KeystoneCreateUserTokenByPassword", status=401))
        failed = run.poll()
        during = run.metrics()
        assert not any(s.success for s in failed.collectors)
        assert samples(during, "swr_repository_size_bytes") == good
        assert value(during, "swr_exporter_api_errors_total", operation="KeystoneCreateUserTokenByPassword",
                     reason="unauthorized") >= 1
        run.sim.faults.clear()
        logins = iam_logins(run.sim)
        assert not run.poll().up  # IAM is not asked again before its back-off ends...
        assert iam_logins(run.sim) == logins
        run.clock.advance(31)  # ...which is 30 s after the first failure
        assert run.poll().up
        assert samples(run.metrics(), "swr_repository_size_bytes") == good


def test_an_organization_deleted_between_list_and_detail_calls_just_disappears():
    dataset = small_dataset()
    first, second = sorted(org.name for org in dataset.organizations)
    with fault_run(dataset, organizations={"include": [".*"]}) as run:
        run.sim.faults.add(FaultRule("action", operation="ListReposDetails", times=1,
                                     action=lambda: run.sim.dataset.delete_organization(second)))
        snapshot = run.poll()
        text = run.metrics()
        assert snapshot.up, [s.error for s in snapshot.collectors]
        orgs = {dict(labels)["organization"] for labels in samples(text, "swr_repository_size_bytes")}
        assert orgs == {first}
        assert run.poll().up
        listed = {dict(labels)["organization"] for labels in samples(run.metrics(), "swr_organization_info")}
        assert listed == {first}


def test_a_configured_repository_whose_organization_is_deleted_fails_alone_and_expires():
    dataset = small_dataset()
    first, second = sorted(org.name for org in dataset.organizations)
    refs = [{"organization": org, "name": dataset.repos_in(org)[0].name} for org in (first, second)]
    with fault_run(dataset, repositories=refs) as run:
        assert run.poll().up
        good = samples(run.metrics(), "swr_repository_size_bytes")
        assert len(good) == 2
        run.sim.dataset.delete_organization(second)
        run.poll()
        during = run.metrics()
        assert value(during, "swr_exporter_collector_success", collector="repositories") == 0
        assert samples(during, "swr_repository_size_bytes") == good
        assert value(during, "swr_exporter_api_errors_total", operation="ShowRepository",
                     reason="not_found") >= 1
        run.clock.advance(MAX_STALENESS + 1)
        run.poll()
        left = samples(run.metrics(), "swr_repository_size_bytes")
        assert {dict(labels)["organization"] for labels in left} == {first}
