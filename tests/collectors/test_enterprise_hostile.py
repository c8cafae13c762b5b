"""No value the Enterprise API sends takes a parser past a clear InvalidResponse, and none reaches the
exposition it cannot carry."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.collectors import enterprise_artifacts as artifacts
from exporter.collectors import enterprise_jobs_records as jobs
from exporter.collectors import enterprise_records as records
from exporter.collectors.enterprise_records import EnterpriseRepository
from exporter.exposition.cache import render_snapshot
from exporter.polling.poller import Poller
from exporter.swr.errors import InvalidResponse
from tests.fakes import enterprise as data
from tests.fakes.swr import Clock, FakeClient, target

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
    | st.sampled_from(["\ud800", "0001-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "-1", "x\ny", 'a"b\\']),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children,
                                                                        max_size=4),
    max_leaves=12)
KEYS = ["id", "name", "status", "spec", "expires_at", "storage_used", "namespace_name", "instance_id",
        "pull_count", "created_at", "metadata", "trigger", "enabled", "job_status", "creation_time",
        "job_parameters", "expire_date", "digest", "size", "push_time", "pull_time", "tags", "scan_overview"]
OBJECT = st.dictionaries(st.sampled_from(KEYS), JSON, max_size=8)
REPO = EnterpriseRepository("ee", "ins-1", "team", "a/b", None, None, None, None, None)


def parsers(items: list) -> list:
    return [
        lambda: records.parse_instances("op", items),
        lambda: records.parse_statistics("op", "ee", items[0] if items else {}),
        lambda: records.parse_namespaces("op", "ee", items),
        lambda: records.parse_repositories("op", {"ins-1": "ee"}, items),
        lambda: jobs.parse_replication_policies("op", "ee", items),
        lambda: jobs.parse_latest_replication("op", items),
        lambda: jobs.parse_registries("op", "ee", items),
        lambda: jobs.parse_latest_gc("op", "ee", items),
        lambda: jobs.parse_webhooks("op", "ee", items),
        lambda: jobs.parse_credentials("op", "ee", items),
        lambda: artifacts.parse_artifacts("op", REPO, items),
        lambda: artifacts.parse_scan("op", REPO, items[0] if items else {}),
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(OBJECT | JSON, max_size=3))
def test_hostile_items_parse_or_fail_with_invalid_response_only(items):
    for parse in parsers(items):
        try:
            parse()
        except InvalidResponse as error:
            assert error.operation == "op"


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["\ud800bad", "", "x\ny", 'q"uote', "镜像/仓库", "a" * 300]), st.sampled_from(KEYS))
def test_a_hostile_name_or_value_never_breaks_the_scrape(text, key):
    answers = data.answers()
    answers[("ListInstance",)][0][key] = text
    answers[("ListAllInstanceRepositories",)][0][key] = text
    clock = Clock()
    snap = Poller(target(collectors={"enterprise": True, "enterprise_jobs": True,
                                     "enterprise_artifacts": True}),
                  FakeClient(enterprise=answers), clock=clock, monotonic=clock).poll_once()
    render_snapshot(snap, True).decode("utf-8")
    render_snapshot(snap, False).decode("utf-8")
