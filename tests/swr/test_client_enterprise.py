"""The Enterprise Edition calls: offset paging with limit <= 100 and ``total``, marker paging, ``%252F``
names, its error body, all counted under the SDK's operation names like the shared edition's calls."""

from __future__ import annotations

import re
import threading

import pytest
import requests_mock
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.swr.errors import ApiError, InvalidResponse
from tests.fakes.http import ENDPOINT, make_client

PID = "p" * 32
BASE = f"{ENDPOINT}/v2/{PID}"


class OffsetServer:
    """Serves ``count`` items under ``key`` by offset/limit like the Enterprise API: limit at most 100,
    offsets multiples of the limit, the total in the body."""

    def __init__(self, key: str, count: int, *, cap: int | None = None, send_total: bool = True) -> None:
        self.key, self.cap, self.send_total = key, cap, send_total
        self.items = [{"id": i, "name": f"item-{i:05d}"} for i in range(count)]
        self.asked: list[tuple[int, int]] = []
        self._lock = threading.Lock()

    def __call__(self, request, context):
        offset, limit = int(request.qs["offset"][0]), int(request.qs["limit"][0])
        with self._lock:
            self.asked.append((offset, limit))
        if limit > 100 or offset % limit:
            context.status_code = 400
            return {"error_code": "SVCSTG.SWR.4001025", "error_msg": "invalid query parameter"}
        page = self.items[offset:offset + min(limit, self.cap or limit)]
        body = {self.key: page}
        if self.send_total:
            body["total"] = len(self.items)
        return body


@pytest.mark.parametrize("count", [0, 1, 100, 101, 250, 1000])
def test_offset_paging_asks_at_most_100_at_multiples_and_keeps_order(requests_mock, count):
    server = OffsetServer("instances", count)
    requests_mock.get(f"{BASE}/instances", json=server)
    h = make_client(project_id=PID)
    assert [i["id"] for i in h.client.list_instances()] == list(range(count))
    assert sorted(server.asked) == [(offset, 100) for offset in range(0, max(count, 1), 100)]
    assert {op for op, _ in h.observer.requests} == {"ListInstance"}


def test_a_server_capping_pages_below_100_is_stepped_through_with_its_page_size_as_limit(requests_mock):
    server = OffsetServer("namespaces", 95, cap=20)
    requests_mock.get(f"{BASE}/instances/ins-1/namespaces", json=server)
    items = make_client(project_id=PID).client.list_instance_namespaces("ins-1")
    assert [i["id"] for i in items] == list(range(95))
    assert all(offset % limit == 0 and limit <= 100 for offset, limit in server.asked)


def test_without_total_pages_follow_until_a_short_one(requests_mock):
    server = OffsetServer("registries", 230, send_total=False)
    requests_mock.get(f"{BASE}/instances/ins-1/registries", json=server)
    assert len(make_client(project_id=PID).client.list_instance_registries("ins-1")) == 230
    assert server.asked == [(0, 100), (100, 100), (200, 100)]


def test_marker_paging_follows_next_marker_until_it_is_missing(requests_mock):
    pages = {None: (["a", "b"], "m1"), "m1": (["c/d"], "m2"), "m2": (["e"], None)}

    def answer(request, context):
        marker = request.qs.get("marker", [None])[0]
        names, following = pages[marker]
        assert request.qs["limit"] == ["100"]
        body = {"repositories": [{"name": n} for n in names]}
        if following:
            body["page_info"] = {"next_marker": following}
        return body

    requests_mock.get(f"{BASE}/repositories", json=answer)
    h = make_client(project_id=PID)
    assert [r["name"] for r in h.client.list_all_instance_repositories()] == ["a", "b", "c/d", "e"]
    assert h.observer.requests == [("ListAllInstanceRepositories", "200")] * 3


def test_a_marker_that_comes_back_is_refused_rather_than_paged_for_ever(requests_mock):
    requests_mock.get(f"{BASE}/instances/ins-1/system/gc",
                      json={"tasks": [{"id": 1}], "page_info": {"next_marker": "same"}})
    h = make_client(project_id=PID)
    with pytest.raises(InvalidResponse, match="came back twice"):
        h.client.list_gc_tasks("ins-1")
    assert h.observer.errors == [("ListGcTasks", "invalid_response")]


def test_a_repository_name_with_a_slash_is_double_encoded_in_the_path(requests_mock):
    requests_mock.get(re.compile(r".*/artifacts.*"), json={"artifacts": [], "total": 0})
    h = make_client(project_id=PID)
    h.client.list_instance_artifacts("ins-1", "team", "library/nginx")
    assert h.auth.calls[0].path == (f"/v2/{PID}/instances/ins-1/namespaces/team/repositories/"
                                    "library%252Fnginx/artifacts")
    h.client.show_instance_artifact("ins-1", "team", "a/b/c", "sha256:00")
    assert h.auth.calls[1].path.endswith("/repositories/a%252Fb%252Fc/artifacts/sha256%3A00")
    assert h.auth.calls[1].query == "with_scan_overview=true"


def test_webhook_failed_jobs_are_counted_from_the_total_of_one_page(requests_mock):
    requests_mock.get(f"{BASE}/instances/ins-1/namespaces/team/webhook/policies/7/jobs",
                      json={"jobs": [{"id": 1}], "total": 42})
    h = make_client(project_id=PID)
    assert h.client.count_instance_webhook_jobs("ins-1", "team", 7, "failed") == 42
    assert h.auth.calls[0].query == "limit=100&offset=0&status=failed"


def test_the_enterprise_error_body_gives_code_and_message(requests_mock):
    requests_mock.get(f"{BASE}/instances/ins-1/statistics", status_code=403, json={
        "error_code": "SWR.EE.4030001", "error_msg": "no permission", "encoded_authorization_message": "x"})
    h = make_client(project_id=PID)
    with pytest.raises(ApiError) as caught:
        h.client.list_instance_statistics("ins-1")
    assert (caught.value.reason, caught.value.error_code, caught.value.error_msg) == (
        "forbidden", "SWR.EE.4030001", "no permission")
    assert h.observer.errors == [("ListInstanceStatistics", "forbidden")]


def test_an_enterprise_call_is_retried_on_throttling_like_any_other(requests_mock):
    requests_mock.get(f"{BASE}/instances/ins-1/long-term-credentials", [
        {"status_code": 429, "json": {"error_code": "APIGW.0308", "error_msg": "throttled"}},
        {"json": {"auth_tokens": [{"name": "ci"}], "total": 1}}])
    h = make_client(project_id=PID)
    assert h.client.list_instance_lt_credentials("ins-1") == [{"name": "ci"}]
    assert h.observer.retries == ["ListInstanceLtCredentials"]


@pytest.mark.parametrize("body", [[], {"instances": {"a": 1}}, {"instances": [], "total": "3"}])
def test_a_wrong_shape_is_an_invalid_response(requests_mock, body):
    requests_mock.get(f"{BASE}/instances", json=body)
    h = make_client(project_id=PID)
    with pytest.raises(InvalidResponse):
        h.client.list_instances()
    assert h.observer.errors == [("ListInstance", "invalid_response")]


def test_without_a_project_id_no_request_is_sent():
    h = make_client()
    with pytest.raises(ApiError, match="project id unknown"):
        h.client.list_instances()
    assert h.auth.calls == []


def test_every_path_is_the_sdks(requests_mock):
    requests_mock.get(re.compile(".*"), json={"total": 0})
    c = make_client(project_id=PID).client
    calls = [
        (lambda: c.list_instance_replication_policies("i"), "/instances/i/replication/policies"),
        (lambda: c.list_instance_replication_policy_executions("i", 3),
         "/instances/i/replication/executions"),
        (lambda: c.list_instance_retention_policies("i"), "/instances/i/retention/policies"),
        (lambda: c.list_instance_retention_policy_executions("i", "ns", 4),
         "/instances/i/namespaces/ns/retention/policies/4/executions"),
        (lambda: c.list_instance_webhooks("i"), "/instances/i/webhook/policies"),
    ]
    for call, path in calls:
        call()
        assert requests_mock.last_request.path == f"/v2/{PID}{path}".lower()
    assert requests_mock.last_request.qs == {"limit": ["100"], "offset": ["0"]}


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                 max_size=3), max_leaves=8)
BODY = st.fixed_dictionaries({}, optional={"instances": JSON | st.lists(st.just({"id": 1}), max_size=120),
                                           "total": JSON | st.integers(0, 10**6),
                                           "page_info": JSON | st.fixed_dictionaries({"next_marker": JSON})})


@settings(max_examples=200, deadline=None)
@given(BODY)
def test_a_hostile_page_is_a_list_or_an_api_error_never_anything_else(body):
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/instances", json=body)
        mock.get(f"{BASE}/repositories", json={"repositories": body.get("instances"),
                                                "page_info": body.get("page_info")})
        client = make_client(project_id=PID, max_pages=20).client
        for call in (client.list_instances, client.list_all_instance_repositories):
            try:
                items = call()
            except ApiError:
                continue
            assert isinstance(items, list) and all(isinstance(item, dict) for item in items)
