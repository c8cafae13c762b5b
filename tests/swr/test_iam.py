"""IAM calls over the SWR client's transport: the token request, and that it shares the client's limits."""

from __future__ import annotations

import secrets

import pytest

from exporter.config.model import AuthConfig
from exporter.config.secret import Secret
from exporter.swr.client import SwrClient
from exporter.swr.credentials import build_auth
from exporter.swr.errors import ApiError
from exporter.swr.iam import IamClient
from exporter.swr.tokens import TokenError
from tests.fakes.http import ENDPOINT, IAM_ENDPOINT, FakeClock, FakeObserver, make_client, make_transport

TOKENS = f"{IAM_ENDPOINT}/v3/auth/tokens"
TOKEN_BODY = {"token": {"expires_at": "2024-01-03T03:04:05.000000Z",
                        "issued_at": "2024-01-02T03:04:05.000000Z",
                        "project": {"id": "pid-from-iam", "name": "cn-north-4"}}}


def test_create_token_posts_unsigned_json_and_returns_headers_and_body(requests_mock):
    token = secrets.token_hex(24)
    requests_mock.post(TOKENS, status_code=201, headers={"X-Subject-Token": token},
                       json={"token": {"expires_at": "2024-01-03T03:04:05Z"}})
    h = make_client()
    body = {"auth": {"identity": {"methods": ["password"]}, "scope": {"project": {"name": "cn-north-4"}}}}

    headers, data = IamClient(h.transport, IAM_ENDPOINT).create_token(body)

    assert headers["x-subject-token"] == token
    assert data == {"token": {"expires_at": "2024-01-03T03:04:05Z"}}
    sent = requests_mock.last_request
    assert sent.url == f"{IAM_ENDPOINT}/v3/auth/tokens?nocatalog=true"
    assert sent.json() == body
    assert "X-Auth-Token" not in sent.headers and "Authorization" not in sent.headers
    assert h.auth.calls == []
    assert h.observer.requests == [("KeystoneCreateUserTokenByPassword", "201")]


def test_an_iam_failure_carries_iams_trace_id_as_its_request_id(requests_mock):
    requests_mock.post(TOKENS, status_code=400, headers={"X-IAM-Trace-Id": "iam-7"},
                       json={"error": {"code": 400, "message": "Invalid scope.", "title": "Bad Request"}})
    h = make_client()

    with pytest.raises(ApiError) as caught:
        IamClient(h.transport, IAM_ENDPOINT).create_token({"auth": {}})

    assert caught.value.request_id == "iam-7" and "(request id iam-7)" in str(caught.value)


def test_create_token_401_fails_at_once_without_asking_auth_and_hides_the_password(requests_mock):
    password = secrets.token_hex(12)
    requests_mock.post(TOKENS, status_code=401,
                       json={"error": {"code": 401, "message": "The username or password is wrong.",
                                       "title": "Unauthorized"}})
    h = make_client()

    with pytest.raises(ApiError) as caught:
        IamClient(h.transport, IAM_ENDPOINT).create_token({"auth": {"password": password}})

    assert caught.value.reason == "unauthorized"
    assert h.auth.unauthorized == 0
    assert requests_mock.call_count == 1
    assert password not in str(caught.value) and password not in repr(caught.value)


def _password_client(rate_limit: float = 0) -> tuple[SwrClient, FakeObserver, FakeClock]:
    """Wired as factory.build_client wires it, in order: transport, IAM caller, credentials, client."""
    clock, observer = FakeClock(), FakeObserver()
    transport = make_transport(clock, observer, rate_limit=rate_limit)
    iam = IamClient(transport, IAM_ENDPOINT)
    cfg = AuthConfig(type="password", username="alice", password=Secret(secrets.token_hex(12)), domain="acme")
    auth = build_auth(cfg, None, "cn-north-4", iam.create_token, clock=clock.wall)
    return SwrClient(transport, endpoint=ENDPOINT, auth=auth), observer, clock


def test_the_token_request_is_counted_by_the_same_observer_as_swr_calls(requests_mock):
    token = secrets.token_hex(16)
    requests_mock.post(TOKENS, status_code=201, headers={"X-Subject-Token": token}, json=TOKEN_BODY)
    requests_mock.get(f"{ENDPOINT}/v2/manage/namespaces", json={"namespaces": []})
    client, observer, _ = _password_client()

    assert client.project_id is None
    assert client.list_namespaces() == []

    assert observer.requests == [("KeystoneCreateUserTokenByPassword", "201"), ("ListNamespaces", "200")]
    sent = requests_mock.last_request
    assert (sent.headers["X-Auth-Token"], sent.headers["X-Project-Id"]) == (token, "pid-from-iam")
    assert client.project_id == "pid-from-iam"


def test_the_token_request_waits_for_the_same_rate_limit_as_swr_calls(requests_mock):
    client, _, clock = _password_client(rate_limit=4.0)
    starts: list[tuple[str, float]] = []

    def answer(name: str, body: object):
        def reply(request, context):
            starts.append((name, clock.now))
            return body
        return reply

    requests_mock.post(TOKENS, status_code=201, headers={"X-Subject-Token": "t"},
                       json=answer("iam", TOKEN_BODY))
    requests_mock.get(f"{ENDPOINT}/v2/manage/namespaces", json=answer("swr", {"namespaces": []}))

    client.list_namespaces()
    client.list_namespaces()

    first = starts[0][1]
    assert [(name, at - first) for name, at in starts] == [("iam", 0.0), ("swr", 0.25), ("swr", 0.5)]


def test_a_failed_token_request_is_counted_and_the_swr_call_fails_without_being_sent(requests_mock):
    requests_mock.post(TOKENS, status_code=401, json={"error": {"code": 401, "message": "wrong password"}})
    swr = requests_mock.get(f"{ENDPOINT}/v2/manage/namespaces", json={"namespaces": []})
    client, observer, _ = _password_client()

    with pytest.raises(TokenError, match="no valid IAM token"):
        client.list_namespaces()

    assert observer.requests == [("KeystoneCreateUserTokenByPassword", "401")]
    assert observer.errors == [("KeystoneCreateUserTokenByPassword", "unauthorized")]
    assert swr.call_count == 0


def test_closing_the_client_makes_token_requests_fail_at_once_too(requests_mock):
    iam = requests_mock.post(TOKENS, status_code=201, headers={"X-Subject-Token": "t"}, json=TOKEN_BODY)
    h = make_client()

    h.client.close()
    with pytest.raises(ApiError, match="client closed") as caught:
        IamClient(h.transport, IAM_ENDPOINT).create_token({"auth": {}})

    assert caught.value.reason == "network"
    assert iam.call_count == 0
