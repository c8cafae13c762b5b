"""The simulator's credential issuers with Huawei's own SDK as their client: huaweicloudsdkcore's
accessors, pointed at the simulator, obtain a triple, and the SDK's SWR client then signs with it
(X-Security-Token included) and is let in; an expired or revoked triple is refused with APIGW.0301."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.auth.internal import (
    MetadataAccessor,
    OidcStsAccessor,
    PodIdentityAccessor,
)
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkiam.v3 import IamClient
from huaweicloudsdkiam.v3.model import (
    AgencyAuth,
    AgencyAuthIdentity,
    CreateTemporaryAccessKeyByAgencyRequest,
    CreateTemporaryAccessKeyByAgencyRequestBody,
    IdentityAssumerole,
)
from huaweicloudsdkswr.v2 import SwrClient
from huaweicloudsdkswr.v2.model import ListNamespacesRequest

from exporter.simulator import Account, Dataset, Simulator


def simulator(**kwargs) -> Simulator:
    dataset = Dataset.generate(seed=5, organizations=2, repositories=4)
    return Simulator(dataset=dataset, account=Account.generate(), **kwargs)


def swr_client(sim: Simulator, credentials: BasicCredentials) -> SwrClient:
    return SwrClient.new_builder().with_credentials(credentials).with_endpoint(sim.base_url).build()


def namespaces(client: SwrClient) -> list[str]:
    return [ns.name for ns in client.list_namespaces(ListNamespacesRequest()).namespaces or []]


def metadata_accessor(sim: Simulator) -> MetadataAccessor:
    accessor = MetadataAccessor()
    accessor._METADATA_ENDPOINT = sim.base_url  # the SDK's own class, pointed at the simulator
    return accessor


@pytest.mark.parametrize("mode", ["optional", "required", "absent"])
def test_sdk_metadata_accessor_gets_a_triple_the_swr_api_accepts(mode: str) -> None:
    with simulator() as sim:
        sim.issuers.metadata_token_mode = mode
        credentials = BasicCredentials(project_id=sim.account.project_id)
        credentials.sts_accessor = metadata_accessor(sim)
        assert len(namespaces(swr_client(sim, credentials))) >= 2
        operations = [r.operation for r in sim.requests]
    assert operations.count("GetMetadataSecurityKey") == 2  # PUT token (answered 404 when absent), GET key
    assert operations[-1] == "ListNamespaces"


def test_sdk_metadata_accessor_renews_its_metadata_token_after_a_401() -> None:
    with simulator() as sim:
        sim.issuers.metadata_token_mode = "required"
        accessor = metadata_accessor(sim)
        accessor.get_credential()
        sim.issuers.expire_metadata_tokens()
        credential = accessor.get_credential()
        puts = [r for r in sim.requests if r.method == "PUT"]
    assert credential.access.startswith("SIM") and len(puts) == 2


def test_sdk_metadata_accessor_without_an_agency_fails_with_the_documented_text() -> None:
    with simulator() as sim:
        sim.issuers.agency_bound = False
        with pytest.raises(ClientRequestException) as caught:
            metadata_accessor(sim).get_credential()
    assert caught.value.status_code == 401
    assert "Please configure Cloud Service Agency first" in str(caught.value)


def test_sdk_federal_accessor_exchanges_an_id_token_for_a_triple(tmp_path: Path) -> None:
    with simulator() as sim:
        token_file = tmp_path / "token"
        token_file.write_text(sim.issuers.new_id_token())
        credentials = (BasicCredentials(project_id=sim.account.project_id).with_idp_id(sim.issuers.idp_id)
                       .with_id_token_file(str(token_file)).with_iam_endpoint(sim.base_url))
        assert namespaces(swr_client(sim, credentials))
        operations = [r.operation for r in sim.requests]
    assert operations == ["CreateTokenWithIdToken", "CreateTemporaryAccessKeyByToken", "ListNamespaces"]


def test_sdk_oidc_sts_accessor_assumes_the_agency(tmp_path: Path) -> None:
    with simulator() as sim:
        issuers = sim.issuers
        credentials = BasicCredentials(project_id=sim.account.project_id).with_sts_endpoint(sim.base_url)
        credentials.sts_accessor = OidcStsAccessor(issuers.provider_urn, issuers.agency_urn,
                                                   issuers.new_id_token(), "sdk-session", 900)
        assert namespaces(swr_client(sim, credentials))


def test_sdk_pod_identity_accessor_sends_its_token_file(tmp_path: Path) -> None:
    with simulator() as sim:
        (tmp_path / "pod").write_text(sim.issuers.pod_token)
        credentials = BasicCredentials(project_id=sim.account.project_id)
        credentials.sts_accessor = PodIdentityAccessor(f"{sim.base_url}/pod-identity/v1/credentials",
                                                       str(tmp_path / "pod"))
        assert namespaces(swr_client(sim, credentials))
        (tmp_path / "pod").write_text("not-the-token")
        with pytest.raises(Exception, match="401"):
            PodIdentityAccessor(f"{sim.base_url}/pod-identity/v1/credentials",
                                str(tmp_path / "pod")).get_credential()


def test_sdk_iam_client_assumes_a_partner_agency_with_the_permanent_keys() -> None:
    with simulator() as sim:
        account = sim.account
        permanent = GlobalCredentials(account.ak, account.sk, account.domain_id)
        iam = IamClient.new_builder().with_credentials(permanent).with_endpoint(sim.base_url).build()
        domain, agency = sim.issuers.partner
        role = IdentityAssumerole(domain_name=domain, agency_name=agency, duration_seconds=900)
        body = CreateTemporaryAccessKeyByAgencyRequestBody(
            auth=AgencyAuth(identity=AgencyAuthIdentity(methods=["assume_role"], assume_role=role)))
        credential = iam.create_temporary_access_key_by_agency(
            CreateTemporaryAccessKeyByAgencyRequest(body=body)).credential
        triple = BasicCredentials(credential.access, credential.secret, account.project_id)
        triple.with_security_token(credential.securitytoken)
        assert namespaces(swr_client(sim, triple))


def test_an_expired_or_revoked_triple_is_refused_with_apigw_0301() -> None:
    with simulator(credential_lifetime=1.0) as sim:
        issued = sim.issuers.issue("test")
        credentials = BasicCredentials(issued["access"], issued["secret"], sim.account.project_id)
        client = swr_client(sim, credentials.with_security_token(issued["securitytoken"]))
        assert namespaces(client)
        sim.set_clock(lambda: time.time() + 2.0)  # past the lifetime, well within the signature's skew
        with pytest.raises(ClientRequestException) as expired:
            namespaces(client)
        fresh = sim.issuers.issue("test")
        sim.issuers.revoke(fresh["access"])
        revoked = swr_client(sim, BasicCredentials(fresh["access"], fresh["secret"], sim.account.project_id)
                             .with_security_token(fresh["securitytoken"]))
        with pytest.raises(ClientRequestException) as refused:
            namespaces(revoked)
    for caught in (expired, refused):
        assert (caught.value.status_code, caught.value.error_code) == (401, "APIGW.0301")
    assert "expired" in expired.value.error_msg and "revoked" in refused.value.error_msg


def test_a_temporary_ak_without_its_security_token_is_refused() -> None:
    with simulator() as sim:
        issued = sim.issuers.issue("test")
        client = swr_client(sim, BasicCredentials(issued["access"], issued["secret"], sim.account.project_id))
        with pytest.raises(ClientRequestException) as caught:
            namespaces(client)
    assert caught.value.error_code == "APIGW.0301"
