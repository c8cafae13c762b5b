"""Each temporary-credential source against requests-mock: the exact request the SDK would send, the
answer read as the SDK reads it, the calls counted under DESIGN's operation names."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from exporter.config.model import AssumeAgency, AuthConfig, Target
from exporter.swr.auths import TripleAuth
from exporter.swr.errors import ApiError
from exporter.swr.factory import build_client
from exporter.swr.renewal import RenewingKeys
from exporter.swr.sources.agency import AgencySource
from exporter.swr.sources.metadata import MetadataSource
from exporter.swr.sources.oidc_agency import OidcAgencySource
from exporter.swr.sources.pod_identity import PodIdentitySource
from exporter.swr.sources.workload_identity import WorkloadIdentitySource
from exporter.swr.temporary import CredentialError, Triple
from exporter.swr.transport import Transport
from tests.fakes.http import ENDPOINT, IAM_ENDPOINT, FakeObserver

META = "http://169.254.169.254"
STS = "https://sts.test.example"
EXPIRES = "2030-01-02T03:04:05.000000Z"


def credential(**extra: object) -> dict:
    return {"credential": {"access": "AK" + secrets.token_hex(8).upper(), "secret": secrets.token_hex(20),
                           "securitytoken": secrets.token_urlsafe(64), "expires_at": EXPIRES, **extra}}


def transport(observer: FakeObserver | None = None) -> Transport:
    return Transport(retries=0, observer=observer or FakeObserver(), sleep=lambda s: None)


def test_metadata_asks_for_a_metadata_token_and_sends_it(requests_mock) -> None:
    answer = credential()
    put = requests_mock.put(f"{META}/meta-data/latest/api/token", text="meta-token-1")
    get = requests_mock.get(f"{META}/openstack/latest/securitykey", json=answer)
    observer = FakeObserver()
    triple = MetadataSource(transport(observer), META).fetch()
    assert put.last_request.headers["X-Metadata-Token-Ttl-Seconds"] == "21600"
    assert get.last_request.headers["X-Metadata-Token"] == "meta-token-1"
    assert triple.access_key.reveal() == answer["credential"]["access"]
    assert triple.security_token.reveal() == answer["credential"]["securitytoken"]
    assert triple.expires_at == 1893553445.0
    assert observer.requests == [("GetMetadataSecurityKey", "200")] * 2


@pytest.mark.parametrize("status", [404, 405, 503])
def test_metadata_without_token_support_asks_without_one_and_not_again(requests_mock, status) -> None:
    put = requests_mock.put(f"{META}/meta-data/latest/api/token", status_code=status)
    get = requests_mock.get(f"{META}/openstack/latest/securitykey", json=credential())
    source = MetadataSource(transport(), META)
    source.fetch()
    source.fetch()
    assert put.call_count == 1  # not offered: asked again only after a day, as the SDK does
    assert "X-Metadata-Token" not in get.last_request.headers


def test_metadata_401_renews_the_metadata_token_and_asks_again(requests_mock) -> None:
    requests_mock.put(f"{META}/meta-data/latest/api/token", [{"text": "old"}, {"text": "new"}])
    requests_mock.get(f"{META}/openstack/latest/securitykey", [
        {"json": credential()},
        {"status_code": 401, "text": "token expired"},
        {"json": credential()},
    ])
    source = MetadataSource(transport(), META)
    source.fetch()
    source.fetch()
    assert requests_mock.request_history[-1].headers["X-Metadata-Token"] == "new"


def test_metadata_without_an_agency_says_so_and_does_not_renew_the_token(requests_mock) -> None:
    put = requests_mock.put(f"{META}/meta-data/latest/api/token", text="t")
    requests_mock.get(f"{META}/openstack/latest/securitykey", status_code=401,
                      text="Please configure Cloud Service Agency first")
    with pytest.raises(CredentialError, match="no agency is bound to this server"):
        MetadataSource(transport(), META).fetch()
    assert put.call_count == 1


def test_workload_identity_exchanges_the_id_token_read_at_every_exchange(requests_mock, tmp_path) -> None:
    token_file = tmp_path / "token"
    ids = requests_mock.post(f"{IAM_ENDPOINT}/v3.0/OS-AUTH/id-token/tokens", status_code=201,
                             headers={"X-Subject-Token": "MIIunscoped"}, json={"token": {}})
    keys = requests_mock.post(f"{IAM_ENDPOINT}/v3.0/OS-CREDENTIAL/securitytokens", status_code=201,
                              json=credential())
    observer = FakeObserver()
    source = WorkloadIdentitySource(transport(observer), IAM_ENDPOINT, "idp-1", token_file)
    for id_token in ("jwt-one", "jwt-two"):
        token_file.write_text(id_token + "\n")
        source.fetch()
        assert ids.last_request.headers["X-Idp-Id"] == "idp-1"
        assert ids.last_request.json() == {"auth": {"id_token": {"id": id_token}}}
    assert keys.last_request.json() == {"auth": {"identity": {"methods": ["token"], "token": {
        "id": "MIIunscoped", "duration_seconds": 21600}}}}
    assert "Authorization" not in keys.last_request.headers
    assert [op for op, _ in observer.requests] == ["CreateTokenWithIdToken",
                                                   "CreateTemporaryAccessKeyByToken"] * 2


def test_workload_identity_without_subject_token_is_a_clear_error(requests_mock, tmp_path: Path) -> None:
    (tmp_path / "token").write_text("jwt")
    requests_mock.post(f"{IAM_ENDPOINT}/v3.0/OS-AUTH/id-token/tokens", status_code=201, json={})
    with pytest.raises(CredentialError, match="X-Subject-Token"):
        WorkloadIdentitySource(transport(), IAM_ENDPOINT, "idp", tmp_path / "token").fetch()


def test_oidc_agency_posts_what_the_sdk_posts(requests_mock, tmp_path: Path) -> None:
    (tmp_path / "token").write_text("jwt-1")
    route = requests_mock.post(f"{STS}/v5/agencies/assume-with-oidc", json={"credentials": {
        "accessKeyId": "AKX", "secretAccessKey": "SKX", "securityToken": "STX", "expiration": EXPIRES}})
    observer = FakeObserver()
    triple = OidcAgencySource(transport(observer), STS, provider_urn="p", agency_urn="a",
                              id_token_file=tmp_path / "token", duration=3600, session_name="s").fetch()
    assert route.last_request.json() == {"provider_urn": "p", "agency_urn": "a", "agency_session_name": "s",
                                         "duration_seconds": 3600, "id_token": "jwt-1"}
    assert (triple.access_key.reveal(), triple.secret_key.reveal()) == ("AKX", "SKX")
    assert observer.requests == [("AssumeAgencyWithOidc", "200")]


def test_pod_identity_sends_the_token_file_as_authorization(requests_mock, tmp_path: Path) -> None:
    (tmp_path / "pod").write_text("pod-token\n")
    uri = "http://169.254.170.2/v1/credentials"
    route = requests_mock.post(uri, json=credential())
    observer = FakeObserver()
    PodIdentitySource(transport(observer), uri, tmp_path / "pod").fetch()
    assert route.last_request.headers["Authorization"] == "pod-token"
    assert route.last_request.body == b"{}"
    assert observer.requests == [("GetPodIdentityCredential", "200")]


def test_assume_agency_is_signed_by_the_caller_and_asks_for_assume_role(requests_mock) -> None:
    route = requests_mock.post(f"{IAM_ENDPOINT}/v3.0/OS-CREDENTIAL/securitytokens", status_code=201,
                               json=credential())
    base = Triple(_secret("AKBASE"), _secret("skbase"), _secret("stbase"))
    caller = TripleAuth(_Fixed(base))
    AgencySource(transport(), IAM_ENDPOINT, caller, AssumeAgency("partner", "monitor", 900)).fetch()
    assert route.last_request.json() == {"auth": {"identity": {"methods": ["assume_role"], "assume_role": {
        "domain_name": "partner", "agency_name": "monitor", "duration_seconds": 900}}}}
    assert route.last_request.headers["Authorization"].startswith("SDK-HMAC-SHA256 Access=AKBASE,")
    assert route.last_request.headers["X-Security-Token"] == "stbase"


def test_an_issuer_error_is_an_api_error_naming_the_operation(requests_mock) -> None:
    requests_mock.post(f"{STS}/v5/agencies/assume-with-oidc", status_code=400,
                       json={"error_code": "STS.0001", "error_msg": "invalid id token"})
    source = OidcAgencySource(transport(), STS, provider_urn="p", agency_urn="a",
                              id_token_file=Path(__file__), duration=3600, session_name="s")
    with pytest.raises(ApiError, match=r"AssumeAgencyWithOidc failed: HTTP 400 STS\.0001"):
        source.fetch()


def test_workload_identity_client_looks_up_the_project_once_and_signs_swr_calls(requests_mock,
                                                                                tmp_path: Path) -> None:
    (tmp_path / "token").write_text("jwt")
    answer = credential()
    requests_mock.post(f"{IAM_ENDPOINT}/v3.0/OS-AUTH/id-token/tokens", status_code=201,
                       headers={"X-Subject-Token": "MIIx"}, json={})
    requests_mock.post(f"{IAM_ENDPOINT}/v3.0/OS-CREDENTIAL/securitytokens", status_code=201, json=answer)
    projects = requests_mock.get(f"{IAM_ENDPOINT}/v3/projects",
                                 json={"projects": [{"id": "p123", "name": "r"}]})
    namespaces = requests_mock.get(f"{ENDPOINT}/v2/manage/namespaces", json={"namespaces": []})
    auth = AuthConfig(type="workload_identity", idp_id="idp", id_token_file=tmp_path / "token")
    target = Target(name="t", region="cn-north-4", endpoint=ENDPOINT, iam_endpoint=IAM_ENDPOINT,
                    project_id=None, auth=auth)
    client = build_client(target, FakeObserver())
    assert client.project_id is None
    client.list_namespaces()
    client.list_namespaces()
    assert projects.call_count == 1 and projects.last_request.qs == {"name": ["cn-north-4"]}
    assert "X-Project-Id" not in projects.last_request.headers
    sent = namespaces.last_request.headers
    assert sent["X-Project-Id"] == "p123" and client.project_id == "p123"
    assert sent["X-Security-Token"] == answer["credential"]["securitytoken"]
    assert client.credentials_expiry() == 1893553445.0


def test_a_project_lookup_finding_no_project_fails_clearly_and_waits(requests_mock) -> None:
    route = requests_mock.get(f"{IAM_ENDPOINT}/v3/projects", json={"projects": []})
    requests_mock.get(f"{ENDPOINT}/v2/manage/namespaces", json={"namespaces": []})
    auth = AuthConfig(type="aksk", access_key=_secret("a"), secret_key=_secret("s"))
    target = Target(name="t", region="cn-north-4", endpoint=ENDPOINT, iam_endpoint=IAM_ENDPOINT,
                    project_id=None, auth=auth)
    client = build_client(target, FakeObserver())
    for _ in range(2):
        with pytest.raises(CredentialError, match="found 0 projects named cn-north-4, not one"):
            client.list_namespaces()
    assert route.call_count == 1


def _secret(value: str):
    from exporter.config.secret import Secret

    return Secret(value)


class _Fixed:
    expires_at = None

    def __init__(self, triple: Triple) -> None:
        self.triple = triple

    def current(self) -> Triple:
        return self.triple

    def invalidate(self, rejected: Triple) -> bool:
        return False

    def accepted(self, triple: Triple) -> None:
        pass


def test_renewing_keys_report_the_expiry_of_the_triple_in_use(requests_mock) -> None:
    requests_mock.put(f"{META}/meta-data/latest/api/token", status_code=404)
    requests_mock.get(f"{META}/openstack/latest/securitykey", text=json.dumps(credential()))
    keys = RenewingKeys(MetadataSource(transport(), META), clock=lambda: 1_800_000_000.0)
    assert keys.expires_at is None
    keys.current()
    assert keys.expires_at == 1893553445.0


def test_a_401_from_swr_forces_new_credentials_and_the_retry_is_signed_with_them(requests_mock) -> None:
    first, second = credential(), credential()
    requests_mock.put(f"{META}/meta-data/latest/api/token", status_code=404)
    keys = requests_mock.get(f"{META}/openstack/latest/securitykey",
                             [{"json": first}, {"json": second}])
    swr = requests_mock.get(f"{ENDPOINT}/v2/manage/namespaces", [
        {"status_code": 401, "json": {"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication "
                                      "information: the security token has been revoked"}},
        {"json": {"namespaces": []}},
    ])
    auth = AuthConfig(type="metadata", metadata_endpoint=META)
    target = Target(name="t", region="cn-north-4", endpoint=ENDPOINT, iam_endpoint=IAM_ENDPOINT,
                    project_id="p", auth=auth)
    observer = FakeObserver()
    assert build_client(target, observer).list_namespaces() == []
    assert keys.call_count == 2
    sent = [request.headers["X-Security-Token"] for request in swr.request_history]
    assert sent == [first["credential"]["securitytoken"], second["credential"]["securitytoken"]]
    assert ("ListNamespaces", "401") in observer.requests
