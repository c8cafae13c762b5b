"""Each fault rule produces what it promises, on the operations it names, as often as it says."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from exporter.simulator import Account, Dataset, FaultRule, Simulator

NAMESPACES = "/v2/manage/namespaces"
REPOS = "/v2/manage/repos?limit=10&offset=0"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    dataset = Dataset.generate(seed=5, organizations=2, repositories=12)
    with Simulator(dataset, Account.generate()) as simulator:
        yield simulator


@pytest.fixture
def token(sim: Simulator) -> str:
    account = sim.account
    user = {"domain": {"name": account.domain_name}, "name": account.username, "password": account.password}
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}},
                     "scope": {"project": {"name": account.region}}}}
    return requests.post(f"{sim.base_url}/v3/auth/tokens", json=body, timeout=5).headers["X-Subject-Token"]


def get(sim: Simulator, token: str, path: str, timeout: float = 10) -> requests.Response:
    return requests.get(sim.base_url + path, headers={"X-Auth-Token": token}, timeout=timeout)


def raw_get(sim: Simulator, token: str, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    connection.request("GET", path, headers={"X-Auth-Token": token})
    return connection.getresponse()


def test_throttling_answers_429_with_retry_after_and_apigw_0308(sim: Simulator, token: str) -> None:
    sim.faults.add(FaultRule("status", status=429, retry_after=2))
    resp = get(sim, token, NAMESPACES)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "2"
    assert resp.json()["error_code"] == "APIGW.0308"
    assert resp.json()["request_id"] == resp.headers["X-Request-Id"]


@pytest.mark.parametrize(("status", "code"), [(500, "SVCSTG.SWR.5000001"), (503, "SVCSTG.SWR.5030001")])
def test_server_errors_answer_their_status_with_an_swr_error_array(sim: Simulator, token: str,
                                                                   status: int, code: str) -> None:
    sim.faults.add(FaultRule("status", status=status))
    resp = get(sim, token, NAMESPACES)
    assert resp.status_code == status
    assert [error["errorCode"] for error in resp.json()] == [code]
    assert "Retry-After" not in resp.headers


@pytest.mark.parametrize("status", [502, 504])
def test_bad_gateway_answers_are_the_gateways_objects(sim: Simulator, token: str, status: int) -> None:
    sim.faults.add(FaultRule("status", status=status))
    resp = get(sim, token, NAMESPACES)
    assert (resp.status_code, resp.json()["error_code"]) == (status, "APIGW.0202")
    assert resp.json()["request_id"] == resp.headers["X-Request-Id"]


def test_times_expires_the_rule_after_that_many_requests(sim: Simulator, token: str) -> None:
    sim.faults.add(FaultRule("status", times=2, status=503))
    statuses = [get(sim, token, NAMESPACES).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert sim.faults.rules == []


def test_a_rule_for_one_operation_leaves_others_alone(sim: Simulator, token: str) -> None:
    sim.faults.add(FaultRule("status", operation="ListReposDetails", status=500))
    assert get(sim, token, NAMESPACES).status_code == 200
    assert get(sim, token, REPOS).status_code == 500


def test_probability_zero_never_fires_and_clear_removes_rules(sim: Simulator, token: str) -> None:
    sim.faults.add(FaultRule("status", status=500, probability=0.0))
    assert [get(sim, token, NAMESPACES).status_code for _ in range(5)] == [200] * 5
    sim.faults.add(FaultRule("status", status=500))
    sim.faults.clear()
    assert get(sim, token, NAMESPACES).status_code == 200


def test_latency_rule_delays_the_answer(sim: Simulator, token: str) -> None:
    sim.faults.add(FaultRule("latency", seconds=0.3))
    began = time.monotonic()
    assert get(sim, token, NAMESPACES).status_code == 200
    assert time.monotonic() - began >= 0.3


def test_latency_option_delays_every_answer(token: str, sim: Simulator) -> None:
    with Simulator(Dataset.empty(), sim.account, latency=0.2) as slow:
        began = time.monotonic()
        requests.get(f"{slow.base_url}/v2/manage/overview", timeout=5)
        assert time.monotonic() - began >= 0.2


def test_timeout_holds_the_connection_then_closes_without_answer(sim: Simulator, token: str) -> None:
    sim.faults.add(FaultRule("timeout", seconds=0.3))
    began = time.monotonic()
    with pytest.raises(http.client.RemoteDisconnected):
        raw_get(sim, token, NAMESPACES)
    assert time.monotonic() - began >= 0.3
    assert sim.requests[-1].status is None


def test_timeout_longer_than_the_client_timeout_is_a_read_timeout(sim: Simulator, token: str) -> None:
    sim.faults.add(FaultRule("timeout", times=1, seconds=5))
    with pytest.raises(requests.exceptions.ReadTimeout):
        get(sim, token, NAMESPACES, timeout=0.2)


def test_reset_closes_the_socket_abruptly(sim: Simulator, token: str) -> None:
    sim.faults.add(FaultRule("reset", times=1))
    with pytest.raises(ConnectionResetError):
        raw_get(sim, token, NAMESPACES)
    assert (sim.requests[-1].fault, sim.requests[-1].status) == ("reset", None)
    assert get(sim, token, NAMESPACES).status_code == 200


def test_malformed_body_is_not_json_with_status_200(sim: Simulator, token: str) -> None:
    sim.faults.add(FaultRule("malformed"))
    resp = get(sim, token, REPOS)
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        json.loads(resp.content)


def test_truncated_body_is_half_the_json_with_matching_content_length(sim: Simulator, token: str) -> None:
    whole = raw_get(sim, token, REPOS).read()
    sim.faults.add(FaultRule("truncated"))
    response = raw_get(sim, token, REPOS)
    body = response.read()
    assert response.status == 200
    assert int(response.headers["Content-Length"]) == len(body) == len(whole) // 2
    assert whole.startswith(body)
    with pytest.raises(ValueError):
        json.loads(body)


def test_wrong_type_turns_arrays_into_objects_and_numbers_into_strings(sim: Simulator, token: str) -> None:
    sim.faults.add(FaultRule("wrong_type"))
    listed = get(sim, token, REPOS).json()
    assert isinstance(listed, dict)
    assert all(isinstance(item["size"], str) and item["is_public"] in ("true", "false")
               for item in listed["items"])
    overview = get(sim, token, "/v2/manage/overview").json()
    assert isinstance(overview["repo_num"], str)


def test_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        FaultRule("meteor")


def test_stop_ends_held_connections_promptly(sim: Simulator, token: str) -> None:
    sim.faults.add(FaultRule("timeout", times=1, seconds=60))
    errors: list[BaseException] = []

    def call() -> None:
        try:
            raw_get(sim, token, NAMESPACES)
        except (OSError, http.client.HTTPException) as error:
            errors.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    while sim.faults.rules:  # the rule is used up once the request is being held
        time.sleep(0.01)
    sim.stop()
    caller.join(timeout=5)
    assert not caller.is_alive()
    assert errors


def test_stopped_simulator_refuses_pooled_connections(sim: Simulator, token: str) -> None:
    session = requests.Session()
    assert session.get(sim.base_url + NAMESPACES, headers={"X-Auth-Token": token}, timeout=5).ok
    sim.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(sim.base_url + NAMESPACES, headers={"X-Auth-Token": token}, timeout=5)
