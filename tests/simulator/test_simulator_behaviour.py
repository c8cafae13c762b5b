"""The switchable documented behaviours over real HTTP: the namespace filter, error bodies, throttling."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from exporter.simulator import Account, Behaviour, Dataset, FaultRule, Simulator, throttle_rule
from tests.simulator.calls import get

ERROR_ELEMENT = {"errorCode", "errorMessage", "detail"}


def team_dataset() -> Dataset:
    ds = Dataset.empty()
    for org, repos in (("team", ("api", "web")), ("other", ("db",)), ("team-a", ("worker", "cron")),
                       ("my-team", ("cli",))):
        ds.add_organization(org)
        for repo in repos:
            ds.add_repository(org, repo)
    return ds


@pytest.fixture(scope="module", params=["array", "object"])
def sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    with Simulator(team_dataset(), Account.generate(), behaviour=Behaviour(error_body=request.param)) as s:
        get(s, "/v2/manage/overview")
        yield s


@pytest.fixture(autouse=True)
def no_faults_left(sim: Simulator) -> Iterator[None]:
    yield
    sim.faults.clear()


def names(resp: requests.Response) -> list[tuple[str, str]]:
    assert resp.status_code == 200, resp.text
    return [(item["namespace"], item["name"]) for item in resp.json()]


# --- Behaviour itself -----------------------------------------------------------------------------


def test_the_default_behaviour_is_what_huawei_documents() -> None:
    assert Behaviour() == Behaviour(fuzzy_namespace=True, error_body="array", access_domains_cap=100,
                                    page_size_cap=None)
    assert Simulator(Dataset.empty()).behaviour == Behaviour()


def test_behaviour_is_frozen_and_read_only_on_the_simulator() -> None:
    sim = Simulator(Dataset.empty(), behaviour=Behaviour(page_size_cap=10))
    with pytest.raises(dataclasses.FrozenInstanceError):
        sim.behaviour.page_size_cap = 20  # type: ignore[misc]
    with pytest.raises(AttributeError):
        sim.behaviour = Behaviour()  # type: ignore[misc]
    assert sim.behaviour.page_size_cap == 10


@pytest.mark.parametrize("fields", [{"error_body": "xml"}, {"access_domains_cap": 0},
                                    {"page_size_cap": -1}, {"page_size_cap": True}])
def test_impossible_behaviours_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Behaviour(**fields)


# --- the namespace filter of the repository list --------------------------------------------------


FUZZY_TEAM = [("team", "api"), ("team", "web"), ("team-a", "worker"), ("team-a", "cron"), ("my-team", "cli")]


@pytest.mark.parametrize("form", ["plain", "filter"])
def test_namespace_filter_is_fuzzy_by_default(sim: Simulator, form: str) -> None:
    params = {"namespace": "team"} if form == "plain" else {"filter": "namespace::team"}
    assert names(get(sim, "/v2/manage/repos", **params)) == FUZZY_TEAM


@pytest.mark.parametrize("form", ["plain", "filter"])
def test_exact_namespace_filter_matches_one_organization(form: str) -> None:
    params = {"namespace": "team"} if form == "plain" else {"filter": "namespace::team"}
    with Simulator(team_dataset(), behaviour=Behaviour(fuzzy_namespace=False)) as sim:
        assert names(get(sim, "/v2/manage/repos", **params)) == [("team", "api"), ("team", "web")]
        assert names(get(sim, "/v2/manage/repos", namespace="eam")) == []


def test_fuzzy_matches_are_paged_and_counted_as_one_set(sim: Simulator) -> None:
    pages = [get(sim, "/v2/manage/repos", filter=f"namespace::team|limit::2|offset::{offset}")
             for offset in (0, 2, 4)]
    assert [page.headers["Content-Range"] for page in pages] == ["0-2/5", "2-2/5", "4-1/5"]
    assert all(item["total_range"] == 5 for page in pages for item in page.json())
    assert [key for page in pages for key in names(page)] == FUZZY_TEAM


def test_fuzzy_namespace_combines_with_the_name_filter(sim: Simulator) -> None:
    assert names(get(sim, "/v2/manage/repos", namespace="team", name="c")) == [("team-a", "cron"),
                                                                               ("my-team", "cli")]


def test_other_namespace_filters_stay_exact(sim: Simulator) -> None:
    listed = get(sim, "/v2/manage/namespaces", namespace="team").json()["namespaces"]
    assert [ns["name"] for ns in listed] == ["team"]


# --- error bodies -----------------------------------------------------------------------------------


def swr_error(resp: requests.Response, form: str) -> dict[str, Any]:
    """The one error element of an SWR error body, after checking the body has the form asked for."""
    body = resp.json()
    if form == "array":
        assert isinstance(body, list)
        (element,) = body
    else:
        assert isinstance(body, dict)
        assert body["error_code"] == body["errors"][0]["errorCode"]
        assert body["error_msg"] == body["errors"][0]["errorMessage"]
        (element,) = body["errors"]
    assert set(element) == ERROR_ELEMENT
    return dict(element)


def test_missing_repository_is_a_404_in_the_chosen_form(sim: Simulator) -> None:
    resp = get(sim, "/v2/manage/namespaces/team/repos/nope")
    assert resp.status_code == 404
    error = swr_error(resp, sim.behaviour.error_body)
    assert error == {"errorCode": "SVCSTG.SWR.4040002", "errorMessage": "The repository does not exist",
                     "detail": ""}


def test_missing_organization_and_bad_parameter_follow_the_form(sim: Simulator) -> None:
    missing = get(sim, "/v2/manage/namespaces/nope")
    assert swr_error(missing, sim.behaviour.error_body)["errorCode"] == "SVCSTG.SWR.4040001"
    bad = get(sim, "/v2/manage/repos", limit="10", offset="5")
    assert (bad.status_code, swr_error(bad, sim.behaviour.error_body)["errorCode"]) == (
        400, "SVCSTG.SWR.4001025")


@pytest.mark.parametrize(("kind", "status", "code", "message"), [
    ("swr403", 403, "SVCSTG.SWR.4031032", "The number of requests exceeds the maximum number allowed"),
    ("swr409", 409, "SVCSTG.SWR.4090023", "The system is busy"),
])
def test_swr_throttling_is_an_swr_error_in_the_chosen_form(sim: Simulator, kind: str, status: int, code: str,
                                                           message: str) -> None:
    sim.faults.add(throttle_rule(kind, times=1, retry_after=3))
    resp = get(sim, "/v2/manage/repos", limit="10", offset="0")
    assert (resp.status_code, resp.headers["Retry-After"]) == (status, "3")
    assert swr_error(resp, sim.behaviour.error_body) == {"errorCode": code, "errorMessage": message,
                                                         "detail": ""}
    assert get(sim, "/v2/manage/repos").status_code == 200


@pytest.mark.parametrize("status", [403, 409])
def test_a_plain_status_rule_with_an_swr_code_gives_the_same_error(sim: Simulator, status: int) -> None:
    code = {403: "SVCSTG.SWR.4031032", 409: "SVCSTG.SWR.4090023"}[status]
    sim.faults.add(FaultRule("status", status=status, error_code=code))
    resp = get(sim, "/v2/manage/namespaces")
    assert (resp.status_code, swr_error(resp, sim.behaviour.error_body)["errorCode"]) == (status, code)


def test_gateway_throttling_stays_the_gateways_object(sim: Simulator) -> None:
    sim.faults.add(throttle_rule("apigw", retry_after=1))
    resp = get(sim, "/v2/manage/namespaces")
    assert (resp.status_code, resp.headers["Retry-After"]) == (429, "1")
    body = resp.json()
    assert set(body) == {"error_code", "error_msg", "request_id"}
    assert body["error_code"] == "APIGW.0308"
    assert body["request_id"] == resp.headers["X-Request-Id"]


def test_gateway_and_iam_errors_are_objects_in_both_forms(sim: Simulator) -> None:
    unsigned = requests.get(f"{sim.base_url}/v2/manage/namespaces", timeout=5)
    assert (unsigned.status_code, unsigned.json()["error_code"]) == (401, "APIGW.0301")
    unknown = get(sim, "/v2/manage/nothing-here")
    assert (unknown.status_code, unknown.json()["error_code"]) == (404, "APIGW.0101")
    wrong = requests.post(f"{sim.base_url}/v3/auth/tokens", json={"auth": {}}, timeout=5)
    assert wrong.status_code == 400 and set(wrong.json()["error"]) == {"code", "message", "title"}


def test_throttle_rule_takes_the_fault_rule_arguments() -> None:
    rule = throttle_rule("swr409", operation="ListReposDetails", times=2, probability=0.5)
    assert (rule.kind, rule.operation, rule.remaining, rule.probability) == ("status", "ListReposDetails", 2,
                                                                             0.5)
    assert rule.params == {"status": 409, "error_code": "SVCSTG.SWR.4090023"}
    assert throttle_rule("apigw").params == {"status": 429, "error_code": "APIGW.0308"}
    with pytest.raises(ValueError):
        throttle_rule("swr500")  # type: ignore[arg-type]
