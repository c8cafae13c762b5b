"""build_client: a target's configuration becomes a client with the right credentials, project and limits."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from exporter.config.model import AuthConfig, Polling, Target, TLSConfig
from exporter.config.secret import Secret
from exporter.swr.errors import ApiError
from exporter.swr.factory import build_client
from tests.fakes.http import ENDPOINT, IAM_ENDPOINT, FakeObserver
from tests.swr.vectors import VECTOR_DATE

NAMESPACES = f"{ENDPOINT}/v2/manage/namespaces"
TOKENS = f"{IAM_ENDPOINT}/v3/auth/tokens?nocatalog=true"
PROJECT = "0123456789abcdef0123456789abcdef"
ISSUED = {"token": {"expires_at": "2024-01-03T03:04:05.000000Z", "issued_at": "2024-01-02T03:04:05.000000Z",
                    "project": {"id": "pid-from-iam", "name": "cn-north-4"}}}


def _target(auth: AuthConfig, project_id: str | None = PROJECT, **polling: object) -> Target:
    return Target(name="t", region="cn-north-4", endpoint=ENDPOINT, iam_endpoint=IAM_ENDPOINT,
                  project_id=project_id, auth=auth, polling=Polling(**polling))  # type: ignore[arg-type]


def _password() -> AuthConfig:
    password = Secret(secrets.token_hex(12))
    return AuthConfig(type="password", username="alice", password=password, domain="acme")


def test_aksk_target_signs_with_its_keys_and_sends_its_project(requests_mock):
    access_key = "HPUA" + secrets.token_hex(8).upper()
    requests_mock.get(NAMESPACES, json={"namespaces": []})
    observer = FakeObserver()
    auth = AuthConfig(type="aksk", access_key=Secret(access_key), secret_key=Secret(secrets.token_hex(20)))
    client = build_client(_target(auth), observer, clock=lambda: VECTOR_DATE)

    assert client.project_id == PROJECT
    client.list_namespaces()

    sent = requests_mock.last_request.headers
    assert sent["Authorization"].startswith(f"SDK-HMAC-SHA256 Access={access_key}, SignedHeaders=")
    assert (sent["X-Project-Id"], sent["X-Sdk-Date"]) == (PROJECT, "20240102T030405Z")
    assert observer.requests == [("ListNamespaces", "200")]


def test_password_target_without_project_takes_it_from_the_token_counted_by_the_same_observer(requests_mock):
    token = secrets.token_hex(16)
    iam = requests_mock.post(TOKENS, status_code=201, headers={"X-Subject-Token": token}, json=ISSUED)
    requests_mock.get(NAMESPACES, json={"namespaces": []})
    observer = FakeObserver()
    client = build_client(_target(_password(), project_id=None), observer)

    assert client.project_id is None
    client.list_namespaces()

    assert iam.last_request.json()["auth"]["scope"] == {"project": {"name": "cn-north-4"}}
    sent = requests_mock.last_request.headers
    assert (sent["X-Auth-Token"], sent["X-Project-Id"]) == (token, "pid-from-iam")
    assert client.project_id == "pid-from-iam"
    assert observer.requests == [("KeystoneCreateUserTokenByPassword", "201"), ("ListNamespaces", "200")]


def test_password_target_with_a_project_scopes_the_token_to_it_and_keeps_it(requests_mock):
    iam = requests_mock.post(TOKENS, status_code=201, headers={"X-Subject-Token": "t"}, json=ISSUED)
    requests_mock.get(NAMESPACES, json={"namespaces": []})
    client = build_client(_target(_password()), FakeObserver())

    client.list_namespaces()

    assert iam.last_request.json()["auth"]["scope"] == {"project": {"id": PROJECT}}
    assert client.project_id == PROJECT
    assert requests_mock.last_request.headers["X-Project-Id"] == PROJECT


def test_token_target_sends_the_token_file(requests_mock, tmp_path: Path):
    token = secrets.token_hex(16)
    (tmp_path / "token").write_text(token + "\n")
    requests_mock.get(NAMESPACES, json={"namespaces": []})
    client = build_client(_target(AuthConfig(type="token", token_file=tmp_path / "token")), FakeObserver())

    client.list_namespaces()

    sent = requests_mock.last_request.headers
    assert (sent["X-Auth-Token"], sent["X-Project-Id"]) == (token, PROJECT)
    assert "Authorization" not in sent
    assert client.project_id == PROJECT


@pytest.mark.parametrize(
    ("tls", "verify"),
    [(TLSConfig(), True), (TLSConfig(insecure_skip_verify=True), False),
     (TLSConfig(ca_file=Path("/etc/ssl/ca.pem")), "/etc/ssl/ca.pem")],
)
def test_timeout_and_certificate_checks_come_from_the_target(requests_mock, tmp_path: Path, monkeypatch,
                                                            tls, verify):
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # requests puts these in place of verify=True
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "token").write_text("t")
    requests_mock.get(NAMESPACES, json={"namespaces": []})
    auth = AuthConfig(type="token", token_file=tmp_path / "token")
    client = build_client(_target(auth, request_timeout=2.5, tls=tls), FakeObserver())

    client.list_namespaces()

    assert (requests_mock.last_request.timeout, requests_mock.last_request.verify) == (2.5, verify)


def test_retries_come_from_the_target(requests_mock, tmp_path: Path):
    (tmp_path / "token").write_text("t")
    route = requests_mock.get(NAMESPACES, status_code=503, headers={"Retry-After": "0"})
    observer = FakeObserver()
    auth = AuthConfig(type="token", token_file=tmp_path / "token")
    client = build_client(_target(auth, retries=2), observer)

    with pytest.raises(ApiError):
        client.list_namespaces()

    assert route.call_count == 3
    assert observer.retries == ["ListNamespaces"] * 2


def test_incomplete_credentials_are_refused_when_building():
    with pytest.raises(ValueError, match="aksk needs"):
        build_client(_target(AuthConfig(type="aksk")), FakeObserver())
