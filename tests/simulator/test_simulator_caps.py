"""The documented caps over real HTTP (access-domains and page size) and what the request log shows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from exporter.simulator import Behaviour, Dataset, Simulator
from tests.simulator.calls import get

PARTNERS = [f"partner-{n:03d}" for n in range(150)]
DOMAINS = "/v2/manage/namespaces/group/repositories/app/access-domains"


def shared_dataset() -> Dataset:
    ds = Dataset.empty()
    ds.add_organization("group")
    ds.add_repository("group", "app")
    ds.add_shares("group", "app", PARTNERS, deadline="forever")
    return ds


@pytest.mark.parametrize(("cap", "expected"), [(100, PARTNERS[:100]), (None, PARTNERS), (7, PARTNERS[:7])])
def test_access_domains_answer_the_first_entries_up_to_the_cap(cap: int | None, expected: list[str]) -> None:
    with Simulator(shared_dataset(), behaviour=Behaviour(access_domains_cap=cap)) as sim:
        resp = get(sim, DOMAINS)
    assert resp.status_code == 200
    assert "Content-Range" not in resp.headers
    assert [entry["access_domain"] for entry in resp.json()] == expected


def test_access_domains_cap_is_100_by_default_and_ignores_paging_parameters() -> None:
    with Simulator(shared_dataset()) as sim:
        resp = get(sim, DOMAINS, limit="100", offset="100")
    assert [entry["access_domain"] for entry in resp.json()] == PARTNERS[:100]


def test_add_shares_keeps_the_order_and_one_share_per_account() -> None:
    ds = shared_dataset()
    repo = ds.repository("group", "app")
    assert repo is not None
    assert [share.access_domain for share in repo.shares] == PARTNERS
    assert ds.add_share("group", "app", "late-partner").access_domain == repo.shares[-1].access_domain


@pytest.fixture(scope="module")
def capped() -> Iterator[Simulator]:
    ds = Dataset.generate(seed=1, organizations=1, repositories=250, tags_per_repository=0, shared_with_me=0)
    with Simulator(ds, behaviour=Behaviour(page_size_cap=100)) as sim:
        yield sim


def test_a_capped_page_holds_100_items_and_the_full_total(capped: Simulator) -> None:
    resp = get(capped, "/v2/manage/repos", limit="1000", offset="0")
    assert resp.status_code == 200
    assert resp.headers["Content-Range"] == "0-100/250"
    assert len(resp.json()) == 100
    assert {item["total_range"] for item in resp.json()} == {250}


def test_the_filter_form_is_capped_too(capped: Simulator) -> None:
    resp = get(capped, "/v2/manage/repos", filter="limit::1000|offset::0")
    assert (resp.headers["Content-Range"], len(resp.json())) == ("0-100/250", 100)


def test_offsets_must_still_be_multiples_of_the_limit_sent(capped: Simulator) -> None:
    refused = get(capped, "/v2/manage/repos", limit="1000", offset="100")
    assert refused.status_code == 400
    assert refused.json()[0]["errorCode"] == "SVCSTG.SWR.4001025"
    answered = get(capped, "/v2/manage/repos", limit="100", offset="100")
    assert answered.status_code == 200
    assert answered.headers["Content-Range"] == "100-100/250"
    expected = [r.name for r in capped.dataset.repositories[100:200]]
    assert [item["name"] for item in answered.json()] == expected


def test_a_client_that_takes_the_page_size_as_its_limit_reads_everything(capped: Simulator) -> None:
    capped.clear_requests()
    first = get(capped, "/v2/manage/repos", limit="1000", offset="0").json()
    names, limit = [item["name"] for item in first], len(first)
    while len(names) < first[0]["total_range"]:
        names += [item["name"] for item in get(capped, "/v2/manage/repos", limit=str(limit),
                                               offset=str(len(names))).json()]
    assert names == [r.name for r in capped.dataset.repositories]
    listing = [r for r in capped.requests if r.operation == "ListReposDetails"]
    assert [(r.offset, r.limit, r.status) for r in listing] == [(0, 1000, 200), (100, 100, 200),
                                                               (200, 100, 200)]
    assert all(r.offset is not None and r.limit and r.offset % r.limit == 0 for r in listing)


def test_tags_and_shared_lists_are_capped_as_well() -> None:
    ds = Dataset.empty()
    ds.add_organization("group")
    ds.add_repository("group", "app", tags=[f"v{n}" for n in range(5)])
    ds.add_share("group", "app", "partner")
    for n in range(3):
        ds.add_shared_with_me("acme", "acme-shared", f"lib-{n}")
    with Simulator(ds, behaviour=Behaviour(page_size_cap=2)) as sim:
        tags = get(sim, "/v2/manage/namespaces/group/repos/app/tags", limit="10", offset="0")
        theirs = get(sim, "/v2/manage/shared-repositories", center="thirdparty", limit="10", offset="0")
    assert (tags.headers["Content-Range"], [t["Tag"] for t in tags.json()]) == ("0-2/5", ["v0", "v1"])
    assert (theirs.headers["Content-Range"], len(theirs.json())) == ("0-2/3", 2)


def test_without_a_cap_a_limit_of_1000_is_honoured() -> None:
    ds = Dataset.generate(seed=1, organizations=1, repositories=250, tags_per_repository=0, shared_with_me=0)
    with Simulator(ds) as sim:
        resp = get(sim, "/v2/manage/repos", limit="1000", offset="0")
    assert (resp.headers["Content-Range"], len(resp.json())) == ("0-250/250", 250)


def test_request_records_hold_the_query_and_read_limit_and_offset_in_both_forms() -> None:
    with Simulator(Dataset.empty()) as sim:
        get(sim, "/v2/manage/overview")
        sim.clear_requests()
        get(sim, "/v2/manage/repos", limit="20", offset="40", namespace="a b")
        get(sim, "/v2/manage/repos", filter="namespace::group|limit::5|offset::10")
        get(sim, "/v2/manage/namespaces")
        plain, filtered, bare = sim.requests
    assert plain.query == {"limit": "20", "offset": "40", "namespace": "a b"}
    assert plain.query_string == "limit=20&offset=40&namespace=a+b"
    assert (plain.limit, plain.offset, plain.params["namespace"]) == (20, 40, "a b")
    assert filtered.params == {"namespace": "group", "limit": "5", "offset": "10"}
    assert (filtered.limit, filtered.offset) == (5, 10)
    assert (bare.query_string, bare.params, bare.limit, bare.offset) == ("", {}, None, None)
