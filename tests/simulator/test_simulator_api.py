"""The simulator's raw HTTP: exact JSON keys and types, paging rules, errors and authentication."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from types import NoneType
from typing import Any

import pytest
import requests

from exporter.simulator import Account, Dataset, Simulator
from exporter.swr.signing import authorization, canonical_query, sdk_date

START = 1_700_000_000.0
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# The documented shapes (swr-api.md section 2): every key, and the JSON type it must have on the wire.
SHOW_REPOS_RESP = {
    "name": str, "category": str, "description": str, "size": int, "is_public": bool, "num_images": int,
    "num_download": int, "created_at": str, "updated_at": str, "logo": str, "url": str, "path": str,
    "internal_path": str, "domain_name": str, "namespace": str, "tags": list, "status": bool,
    "total_range": int,
}
SHOW_REPOSITORY = {
    "id": int, "ns_id": int, "name": str, "category": str, "description": str, "creator_id": str,
    "creator_name": str, "size": int, "is_public": bool, "num_images": int, "num_download": int, "url": str,
    "path": str, "internal_path": str, "created": str, "updated": str, "domain_id": str, "priority": int,
}
SHOW_NAMESPACE = {"id": int, "name": str, "creator_name": str, "auth": int}
SHOW_REPOS_TAG_RESP = {
    "id": int, "repo_id": int, "Tag": str, "image_id": str, "manifest": str, "digest": str, "schema": int,
    "path": str, "internal_path": str, "size": int, "is_trusted": bool, "created": str, "updated": str,
    "deleted": NoneType, "domain_id": str, "scanned": bool, "tag_type": int,
}
REPO_DOMAIN = {
    "namespace": str, "repository": str, "access_domain": str, "permit": str, "deadline": str,
    "description": str, "creator_id": str, "creator_name": str, "created": str, "updated": str,
    "status": bool,
}
QUOTA = {"quota_limit": int, "quota_key": str, "unit": str, "used": int}
OVERVIEW = {
    "domain_id": str, "domain_name": str, "namspace_num": int, "repo_num": int, "image_num": int,
    "store_space": float, "downflow_size": float,
}
TIME_KEYS = {"created_at", "updated_at", "created", "updated"}


def assert_shape(obj: Mapping[str, Any], shape: Mapping[str, type]) -> None:
    assert set(obj) == set(shape)
    for key, kind in shape.items():
        assert type(obj[key]) is kind, f"{key}: {type(obj[key]).__name__} is not {kind.__name__}"
        if key in TIME_KEYS:
            datetime.strptime(obj[key], TIME_FORMAT)


def signed_get(sim: Simulator, path: str, params: Iterable[tuple[str, object]] = (), *,
               secret_key: str | None = None, access_key: str | None = None, signed_at: float | None = None,
               project_id: str | None = None, sent_query: str | None = None) -> requests.Response:
    """GET as the exporter does it: canonical query on the wire, signed with exporter.swr.signing."""
    account = sim.account
    query = canonical_query(params)
    headers = {
        "Content-Type": "application/json",
        "Host": f"127.0.0.1:{sim.port}",
        "X-Project-Id": account.project_id if project_id is None else project_id,
        "X-Sdk-Date": sdk_date(datetime.fromtimestamp(signed_at or time.time(), UTC)),
    }
    headers["Authorization"] = authorization(access_key or account.ak, secret_key or account.sk, "GET",
                                             path, query, headers, None)
    wire_query = query if sent_query is None else sent_query
    url = f"{sim.base_url}{path}" + (f"?{wire_query}" if wire_query else "")
    return requests.get(url, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    ds = Dataset.generate(seed=3, organizations=3, repositories=25, shared_with_me=2, start=START)
    ds.add_organization("group")
    ds.add_repository("group", "busybox", tags=["latest", "1.36"], created=START - 99.5)
    ds.add_share("group", "busybox", "partner-a", deadline=START + 3600.0)
    with Simulator(ds, Account.generate()) as simulator:
        yield simulator


def get_json(sim: Simulator, path: str, params: Iterable[tuple[str, object]] = ()) -> Any:
    resp = signed_get(sim, path, params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_repository_list_items_have_exactly_the_documented_keys_and_types(sim: Simulator) -> None:
    items = get_json(sim, "/v2/manage/repos", [("limit", 1000), ("offset", 0)])
    assert len(items) == len(sim.dataset.repositories)
    for item in items:
        assert_shape(item, SHOW_REPOS_RESP)
        assert all(type(tag) is str for tag in item["tags"])


def test_shared_list_items_have_the_repository_list_shape(sim: Simulator) -> None:
    for center in ("self", "thirdparty"):
        items = get_json(sim, "/v2/manage/shared-repositories", [("center", center)])
        assert items
        for item in items:
            assert_shape(item, SHOW_REPOS_RESP)


def test_show_repository_has_the_documented_shape(sim: Simulator) -> None:
    assert_shape(get_json(sim, "/v2/manage/namespaces/group/repos/busybox"), SHOW_REPOSITORY)


def test_namespaces_have_the_documented_shape(sim: Simulator) -> None:
    body = get_json(sim, "/v2/manage/namespaces")
    assert set(body) == {"namespaces"}
    for namespace in body["namespaces"]:
        assert_shape(namespace, SHOW_NAMESPACE)
    assert_shape(get_json(sim, "/v2/manage/namespaces/group"), SHOW_NAMESPACE)


def test_tags_have_the_documented_shape_with_manifest_as_string(sim: Simulator) -> None:
    tags = get_json(sim, "/v2/manage/namespaces/group/repos/busybox/tags")
    for tag in tags:
        assert_shape(tag, SHOW_REPOS_TAG_RESP)
        assert json.loads(tag["manifest"])["layers"][0]["digest"] == tag["digest"]


def test_access_domains_are_a_bare_array_without_content_range(sim: Simulator) -> None:
    resp = signed_get(sim, "/v2/manage/namespaces/group/repositories/busybox/access-domains")
    assert "Content-Range" not in resp.headers
    (domain,) = resp.json()
    assert_shape(domain, REPO_DOMAIN)
    assert domain["deadline"] == datetime.fromtimestamp(START + 3600.0, UTC).strftime(TIME_FORMAT)


def test_quotas_and_overview_have_the_documented_shapes(sim: Simulator) -> None:
    body = get_json(sim, f"/v2/manage/projects/{sim.account.project_id}/quotas")
    assert set(body) == {"quotas"}
    for quota in body["quotas"]:
        assert_shape(quota, QUOTA)
    assert_shape(get_json(sim, "/v2/manage/overview"), OVERVIEW)


def test_quotas_of_another_project_are_refused(sim: Simulator) -> None:
    assert signed_get(sim, "/v2/manage/projects/" + "0" * 32 + "/quotas").status_code == 400


def test_filter_form_overrides_individual_parameters(sim: Simulator) -> None:
    resp = signed_get(sim, "/v2/manage/repos", [("namespace", "nope"), ("filter", "namespace::group")])
    assert [item["name"] for item in resp.json()] == ["busybox"]


def test_ordering_by_name_sorts_within_the_page(sim: Simulator) -> None:
    items = get_json(sim, "/v2/manage/repos", [("order_column", "name"), ("order_type", "asc")])
    keys = [(item["namespace"], item["name"]) for item in items]
    assert keys == sorted(keys)


def test_default_limit_is_100() -> None:
    with Simulator(Dataset.generate(seed=1, organizations=1, repositories=120)) as sim:
        assert len(get_json(sim, "/v2/manage/repos")) == 100


@pytest.mark.parametrize("params", [
    [("limit", 1001), ("offset", 0)],
    [("limit", 0), ("offset", 0)],
    [("limit", 10), ("offset", 5)],
    [("limit", "ten"), ("offset", 0)],
    [("filter", "limit::10|offset::15")],
])
def test_invalid_paging_is_a_400_with_swrs_documented_error_array(sim: Simulator,
                                                                  params: list[tuple[str, object]]) -> None:
    resp = signed_get(sim, "/v2/manage/repos", params)
    assert resp.status_code == 400
    (error,) = resp.json()
    assert set(error) == {"errorCode", "errorMessage", "detail"}
    assert error["errorCode"] == "SVCSTG.SWR.4001025"
    assert error["errorMessage"].startswith("Invalid query parameter")


def test_shared_lists_filter_by_namespace_and_name_in_both_forms(sim: Simulator) -> None:
    theirs = sim.dataset.shared_with_me[0].repository
    wanted = f"center::thirdparty|namespace::{theirs.namespace}|name::{theirs.name}"
    items = get_json(sim, "/v2/manage/shared-repositories", [("filter", wanted)])
    assert [(i["namespace"], i["name"]) for i in items] == [(theirs.namespace, theirs.name)]
    mine = get_json(sim, "/v2/manage/shared-repositories", [("center", "self"), ("namespace", "group")])
    assert [i["name"] for i in mine] == ["busybox"]


def test_shared_repositories_require_center(sim: Simulator) -> None:
    assert signed_get(sim, "/v2/manage/shared-repositories").status_code == 400


def test_unknown_path_is_a_gateway_404_with_request_id(sim: Simulator) -> None:
    resp = signed_get(sim, "/v2/manage/nothing-here")
    assert resp.status_code == 404
    assert resp.json()["error_code"] == "APIGW.0101"
    assert resp.json()["request_id"] == resp.headers["X-Request-Id"]


def test_every_response_carries_a_unique_request_id(sim: Simulator) -> None:
    ids = {signed_get(sim, "/v2/manage/namespaces").headers["X-Request-Id"] for _ in range(5)}
    ids.add(requests.get(f"{sim.base_url}/v2/manage/namespaces", timeout=5).headers["X-Request-Id"])
    assert len(ids) == 6


@pytest.mark.parametrize(("change", "fragment"), [
    ({"secret_key": "0" * 40}, "verify aksk signature fail"),
    ({"access_key": "UNKNOWNAK0000"}, "verify aksk signature fail"),
    ({"signed_at": time.time() - 16 * 60}, "signature expired"),
    ({"project_id": "f" * 32}, "X-Project-Id"),
    ({"sent_query": "limit=999"}, "verify aksk signature fail"),
])
def test_bad_signatures_are_rejected_with_apigw_0301(sim: Simulator, change: dict[str, Any],
                                                     fragment: str) -> None:
    resp = signed_get(sim, "/v2/manage/repos", [("limit", 10)], **change)
    assert resp.status_code == 401
    assert resp.json()["error_code"] == "APIGW.0301"
    assert fragment in resp.json()["error_msg"]


def test_a_signature_fourteen_minutes_old_is_accepted(sim: Simulator) -> None:
    assert signed_get(sim, "/v2/manage/namespaces", signed_at=time.time() - 14 * 60).status_code == 200


def test_missing_credentials_are_rejected(sim: Simulator) -> None:
    resp = requests.get(f"{sim.base_url}/v2/manage/namespaces", timeout=5)
    assert (resp.status_code, resp.json()["error_code"]) == (401, "APIGW.0301")


def test_requests_are_recorded_with_operation_and_auth(sim: Simulator) -> None:
    sim.clear_requests()
    signed_get(sim, "/v2/manage/namespaces/group/repos/busybox/tags", [("limit", 5), ("offset", 0)])
    (record,) = sim.requests
    assert (record.operation, record.method, record.status, record.auth) == ("ListRepositoryTags", "GET",
                                                                              200, "aksk")
    assert record.query == {"limit": "5", "offset": "0"}
    assert record.path == "/v2/manage/namespaces/group/repos/busybox/tags"


def password_body(account: Account, scope: dict[str, Any] | None = None) -> dict[str, Any]:
    user = {"domain": {"name": account.domain_name}, "name": account.username, "password": account.password}
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": user}},
                     "scope": scope or {"project": {"id": account.project_id}}}}


def test_iam_token_answer_is_201_with_subject_token_and_wrapped_body() -> None:
    account, now = Account.generate(), [START]
    with Simulator(Dataset.empty(), account, clock=lambda: now[0], token_lifetime=3600.0) as sim:
        resp = requests.post(f"{sim.base_url}/v3/auth/tokens", json=password_body(account), timeout=5)
        assert resp.status_code == 201
        token = resp.json()["token"]
        assert token["project"] == {"id": account.project_id, "name": account.region,
                                    "domain": {"id": account.domain_id, "name": account.domain_name}}
        expires = datetime.strptime(token["expires_at"], TIME_FORMAT).replace(tzinfo=UTC).timestamp()
        assert expires == START + 3600.0
        headers = {"X-Auth-Token": resp.headers["X-Subject-Token"]}
        fresh = requests.get(f"{sim.base_url}/v2/manage/overview", headers=headers, timeout=5)
        assert fresh.status_code == 200
        now[0] = START + 3601.0
        late = requests.get(f"{sim.base_url}/v2/manage/overview", headers=headers, timeout=5)
        assert (late.status_code, late.json()["error_code"]) == (401, "APIGW.0301")
        assert "token expired" in late.json()["error_msg"]


@pytest.mark.parametrize(("action", "fragment"), [("revoke_tokens", "decrypt token fail"),
                                                  ("expire_tokens", "token expired")])
def test_revoked_and_expired_tokens_are_refused(action: str, fragment: str) -> None:
    account = Account.generate()
    with Simulator(Dataset.empty(), account) as sim:
        resp = requests.post(f"{sim.base_url}/v3/auth/tokens", json=password_body(account), timeout=5)
        headers = {"X-Auth-Token": resp.headers["X-Subject-Token"]}
        getattr(sim, action)()
        refused = requests.get(f"{sim.base_url}/v2/manage/namespaces", headers=headers, timeout=5)
        assert refused.status_code == 401
        assert fragment in refused.json()["error_msg"]


def test_project_lookup_by_region_name_returns_the_project(sim: Simulator) -> None:
    body = get_json(sim, "/v3/projects", [("name", sim.account.region)])
    assert [p["id"] for p in body["projects"]] == [sim.account.project_id]
    assert get_json(sim, "/v3/projects", [("name", "xx-nowhere-1")])["projects"] == []


def test_iam_scope_of_an_unknown_project_is_refused(sim: Simulator) -> None:
    body = password_body(sim.account, {"project": {"name": "xx-nowhere-1"}})
    resp = requests.post(f"{sim.base_url}/v3/auth/tokens", json=body, timeout=5)
    assert resp.status_code == 400
    assert set(resp.json()["error"]) == {"code", "message", "title"}


def test_a_domain_scoped_token_cannot_read_swr(sim: Simulator) -> None:
    body = password_body(sim.account, {"domain": {"name": sim.account.domain_name}})
    token = requests.post(f"{sim.base_url}/v3/auth/tokens", json=body, timeout=5).headers["X-Subject-Token"]
    resp = requests.get(f"{sim.base_url}/v2/manage/namespaces", headers={"X-Auth-Token": token}, timeout=5)
    assert resp.status_code == 403
