"""No value the API sends takes the scrape path down: parsing refuses what no exposition can carry, lists
are de-duplicated before they become series, and rendering has a last line of defence."""

from __future__ import annotations

import logging
import sys
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from exporter.collectors import registry
from exporter.exposition.background import SnapshotRenders, render_snapshot_chunks
from exporter.exposition.cache import Exposition, render_snapshot
from exporter.polling.poller import Poller
from tests.fakes.snapshots import snapshot
from tests.fakes.swr import Clock, FakeClient, repo_item, target

ALL_ON = dict.fromkeys(registry.switchable(), True)
HOSTILE_TEXT = ["\ud800", "a\udfffb", "", "line\nbreak", 'quote"back\\slash', "镜像/仓库", "x" * 300]


def poll(client: FakeClient) -> Any:
    clock = Clock()
    return Poller(target(collectors=ALL_ON), client, clock=clock, monotonic=clock).poll_once()


def series(text: str, openmetrics: bool) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    parse = parse_openmetrics if openmetrics else parse_text
    return [(sample.name, tuple(sorted(sample.labels.items())))
            for family in parse(text) for sample in family.samples]


def test_an_integer_too_large_for_a_float_fails_its_collector_not_the_scrape():
    client = FakeClient(repos=[repo_item("group", "busybox", size=10**400)])
    snap = poll(client)
    assert "expected an integer a float can hold" in snap.status("repositories").error
    assert snap.status("organizations").success
    body = render_snapshot(snap, False).decode()
    assert 'swr_exporter_collector_success{collector="repositories"} 0.0' in body


def test_a_negative_download_count_fails_its_collector_as_openmetrics_refuses_negative_counters():
    snap = poll(FakeClient(repos=[repo_item("group", "busybox", num_download=-1)]))
    assert "field 'num_download': expected a count of 0 or more" in snap.status("repositories").error
    text = render_snapshot(snap, True).decode() + "# EOF\n"
    assert series(text, True)


def test_a_lone_surrogate_in_a_name_fails_its_collector_not_the_scrape():
    client = FakeClient(repos=[repo_item("group", "bad\ud800name")])
    snap = poll(client)
    assert "expected text UTF-8 can encode" in snap.status("repositories").error
    render_snapshot(snap, True).decode("utf-8")


def test_an_organization_a_quota_and_a_share_listed_twice_are_exported_once():
    client = FakeClient(namespaces=("group", "group"),
                        shared={"self": [repo_item("group", "busybox")], "thirdparty": []},
                        domains={("group", "busybox"): [{"access_domain": "p", "permit": "read",
                                                            "status": True}] * 2})
    client.quotas = [{"quota_key": "namespace", "quota_limit": 15, "used": 1}] * 2
    snap = poll(client)
    assert all(status.success for status in snap.collectors), snap.collectors
    text = render_snapshot(snap, False).decode()
    found = series(text, False)
    assert [key for key, count in Counter(found).items() if count > 1] == []
    assert found.count(("swr_organization_info", (("access", "manage"), ("organization", "group")))) == 1
    assert sum(name == "swr_quota_limit" for name, _ in found) == 1
    assert sum(name == "swr_repository_share_valid" for name, _ in found) == 1
    assert ("swr_repository_shares", (("organization", "group"), ("repository", "busybox"))) in found
    assert 'swr_repository_shares{organization="group",repository="busybox"} 1.0' in text


def test_a_snapshot_that_cannot_be_rendered_serves_the_last_good_one_and_logs_once(caplog):
    good, bad = snapshot(), snapshot(polls_total=4)

    def render(snap):
        if snap is bad:
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return render_snapshot_chunks(snap)

    exposition = Exposition(CollectorRegistry(), SnapshotRenders(render, background=False))
    first = exposition.body(good, False, False)
    with caplog.at_level(logging.ERROR, logger="exporter.exposition.background"):
        assert exposition.body(bad, False, False) == first
        assert exposition.body(bad, False, False) == first
        assert exposition.body(bad, False, True)  # gzip is built from the same fallback block
    assert len([r for r in caplog.records if "cannot render" in r.getMessage()]) == 1


# --- arbitrary JSON of the documented shapes, with arbitrary values -------------------------------

ANY = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(-(10**20), 10**20) | st.sampled_from([10**400, -(10**400), int(sys.float_info.max)])
    | st.text(max_size=8) | st.sampled_from(HOSTILE_TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
NAMES = st.sampled_from(["group", "team", "team-a", "a/b", "镜像"]) | st.sampled_from(HOSTILE_TEXT)
TIMES = st.sampled_from(["2024-01-01T00:00:00Z", "2017-09-11T03:00:02.542841141Z", "forever", "yesterday"])


def field(good: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a value of the documented type, sometimes anything at all."""
    return st.one_of(good, good, good, ANY)


def objects(fields: dict[str, st.SearchStrategy], size: int = 4) -> st.SearchStrategy:
    item = st.fixed_dictionaries({key: field(value) for key, value in fields.items()})
    return st.lists(st.one_of(item, item, item, ANY), max_size=size)


REPO_FIELDS = {"namespace": NAMES, "name": NAMES, "category": NAMES, "size": st.integers(0, 10**12),
               "num_images": st.integers(0, 500), "num_download": st.integers(0, 10**9),
               "is_public": st.booleans(), "created_at": TIMES, "updated_at": TIMES,
               "domain_name": NAMES, "status": st.booleans()}
ANSWERS = st.fixed_dictionaries({
    "namespaces": objects({"name": NAMES, "auth": st.sampled_from([1, 3, 7])}),
    "repos": objects(REPO_FIELDS),
    "self": objects(REPO_FIELDS, 2),
    "thirdparty": objects(REPO_FIELDS, 2),
    "quotas": objects({"quota_key": NAMES, "quota_limit": st.integers(0, 10**6),
                       "used": st.integers(0, 10**6)}),
    "domains": objects({"access_domain": NAMES, "permit": NAMES, "deadline": TIMES, "status": st.booleans()}),
    "tags": objects({"Tag": NAMES, "size": st.integers(0, 10**10), "updated": TIMES}),
    "overview": field(st.fixed_dictionaries({
        "namspace_num": field(st.integers(0, 100)), "repo_num": field(st.integers(0, 10**5)),
        "image_num": field(st.integers(0, 10**6)), "store_space": field(st.floats(0, 1e15)),
        "downflow_size": field(st.floats(0, 1e15))})),
})


class AnswersClient(FakeClient):
    """The fake client answering every call with the generated data, whatever was asked."""

    def __init__(self, answers: dict[str, Any]) -> None:
        super().__init__(namespaces=())
        self.namespaces = answers["namespaces"]
        self.repos = answers["repos"]
        self.shared = {"self": answers["self"], "thirdparty": answers["thirdparty"]}
        self.quotas = answers["quotas"]
        self.overview = answers["overview"]
        self._answers = answers

    def list_repos(self, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.repos

    def list_repo_domains(self, namespace: str, repository: str) -> list[dict[str, Any]]:
        return self._answers["domains"]

    def list_repository_tags(self, namespace: str, repository: str) -> list[dict[str, Any]]:
        return self._answers["tags"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANSWERS)
def test_any_answer_of_the_documented_shapes_gives_a_clean_parsable_exposition(answers):
    snap = poll(AnswersClient(answers))
    for status in snap.collectors:
        assert not (status.error or "").startswith("internal error"), status
        event(f"{status.name} {'ok' if status.success else 'failed'}")
    for openmetrics in (False, True):
        text = render_snapshot(snap, openmetrics).decode("utf-8")
        found = series(text + ("# EOF\n" if openmetrics else ""), openmetrics)
        duplicates = [key for key, count in Counter(found).items() if count > 1]
        assert duplicates == []
