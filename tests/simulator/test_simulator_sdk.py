"""Huawei's own SDK as the simulator's client: it must sign, call and deserialize unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkiam.v3 import IamClient
from huaweicloudsdkiam.v3.iam_credentials import IamCredentials
from huaweicloudsdkiam.v3.model import (
    AuthScope,
    AuthScopeProject,
    KeystoneCreateUserTokenByPasswordRequest,
    KeystoneCreateUserTokenByPasswordRequestBody,
    PwdAuth,
    PwdIdentity,
    PwdPassword,
    PwdPasswordUser,
    PwdPasswordUserDomain,
)
from huaweicloudsdkswr.v2 import SwrClient
from huaweicloudsdkswr.v2.model import (
    ListNamespacesRequest,
    ListQuotasRequest,
    ListRepoDomainsRequest,
    ListReposDetailsRequest,
    ListRepositoryTagsRequest,
    ListSharedReposDetailsRequest,
    ShowDomainOverviewRequest,
    ShowNamespaceRequest,
    ShowRepositoryRequest,
)

from exporter.simulator import Account, Dataset, Simulator
from exporter.simulator.wire import utc

START = 1_700_000_000.0


def build_dataset() -> Dataset:
    ds = Dataset.generate(seed=7, organizations=4, repositories=40, tags_per_repository=2,
                          shared_with_me=3, start=START)
    ds.add_organization("group", auth=3)
    ds.add_organization("hidden-org", auth=1, visible_only=True)
    ds.add_repository("group", "busybox", category="linux", description="Bäse ✓", size=2_216_000,
                      is_public=True, num_download=1234, tags=["1.36", "latest"],
                      created=START - 1000.5, updated=START - 10.25)
    ds.add_repository("group", "library/nginx", num_download=7, tags=["stable"])
    ds.add_repository("group", "tools", tags=["v1"])
    ds.add_share("group", "busybox", "partner-a", deadline="forever")
    ds.add_share("group", "busybox", "partner-b", deadline=START - 5.0)
    return ds


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    # A fixed data clock would break the SDK's real-time signature date, so the skew check is off here.
    with Simulator(build_dataset(), Account.generate(), clock=lambda: START, max_skew=None) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def client(sim: Simulator) -> SwrClient:
    credentials = BasicCredentials(sim.account.ak, sim.account.sk, sim.account.project_id)
    return SwrClient.new_builder().with_credentials(credentials).with_endpoint(sim.base_url).build()


def test_list_namespaces_returns_every_permitted_organization(sim: Simulator, client: SwrClient) -> None:
    resp = client.list_namespaces(ListNamespacesRequest())
    got = {ns.name: (ns.id, ns.auth, ns.creator_name) for ns in resp.namespaces}
    expected = {org.name: (org.id, org.auth, org.creator_name)
                for org in sim.dataset.organizations if not org.visible_only}
    assert got == expected


def test_filter_mode_visible_adds_visible_only_organizations(client: SwrClient) -> None:
    resp = client.list_namespaces(ListNamespacesRequest(filter="namespace::hidden-org|mode::visible"))
    assert [ns.name for ns in resp.namespaces] == ["hidden-org"]
    plain = client.list_namespaces(ListNamespacesRequest(namespace="hidden-org"))
    assert plain.namespaces == []


def test_show_namespace_returns_the_organization(client: SwrClient) -> None:
    resp = client.show_namespace(ShowNamespaceRequest(namespace="group"))
    assert (resp.name, resp.auth) == ("group", 3)


def test_show_namespace_of_missing_organization_is_404(client: SwrClient) -> None:
    with pytest.raises(ClientRequestException) as caught:
        client.show_namespace(ShowNamespaceRequest(namespace="nope"))
    # SWR's documented error array is not a form the SDK reads: the code is the status, the message
    # the raw body (test_simulator_behaviour_sdk.py shows the object form read properly).
    assert (caught.value.status_code, caught.value.error_code) == (404, "404")
    assert "SVCSTG.SWR.4040001" in caught.value.error_msg


def test_repositories_page_through_the_whole_dataset(sim: Simulator, client: SwrClient) -> None:
    total = len(sim.dataset.repositories)
    seen: list[tuple[str, str]] = []
    for offset in range(0, total, 7):
        resp = client.list_repos_details(ListReposDetailsRequest(limit="7", offset=str(offset)))
        assert resp.content_range == f"{offset}-{len(resp.body)}/{total}"
        assert all(item.total_range == total for item in resp.body)
        seen += [(item.namespace, item.name) for item in resp.body]
    assert seen == [(r.namespace, r.name) for r in sim.dataset.repositories]


def test_filter_form_pages_one_organization(client: SwrClient) -> None:
    resp = client.list_repos_details(ListReposDetailsRequest(filter="namespace::group|limit::2|offset::2"))
    assert resp.content_range == "2-1/3"
    assert [item.name for item in resp.body] == ["tools"]


def test_list_without_offset_has_no_content_range(client: SwrClient) -> None:
    resp = client.list_repos_details(ListReposDetailsRequest(namespace="group"))
    assert resp.content_range is None
    assert [item.name for item in resp.body] == ["busybox", "library/nginx", "tools"]


def test_empty_list_gives_body_none_and_zero_range(client: SwrClient) -> None:
    resp = client.list_repos_details(ListReposDetailsRequest(namespace="missing", limit="10", offset="0"))
    assert resp.body is None
    assert resp.content_range == "0-0/0"


def test_list_item_fields_match_the_dataset(client: SwrClient) -> None:
    resp = client.list_repos_details(ListReposDetailsRequest(namespace="group", name="busy"))
    (item,) = resp.body
    assert (item.category, item.description) == ("linux", "Bäse ✓")
    assert (item.size, item.is_public) == (2_216_000, True)
    assert (item.num_images, item.num_download, item.tags) == (2, 1234, ["1.36", "latest"])
    assert (item.created_at, item.updated_at) == (utc(START - 1000.5), utc(START - 10.25))
    assert item.status is False


@pytest.mark.parametrize("name", ["library$nginx", "library/nginx"])
def test_show_repository_addresses_slash_names_both_ways(client: SwrClient, name: str) -> None:
    resp = client.show_repository(ShowRepositoryRequest(namespace="group", repository=name))
    assert (resp.name, resp.num_download, resp.num_images) == ("library/nginx", 7, 1)


def test_show_repository_fields_match_the_dataset(sim: Simulator, client: SwrClient) -> None:
    repo = sim.dataset.repository("group", "busybox")
    assert repo is not None
    resp = client.show_repository(ShowRepositoryRequest(namespace="group", repository="busybox"))
    assert (resp.id, resp.ns_id, resp.size, resp.is_public) == (repo.id, repo.ns_id, 2_216_000, True)
    assert (resp.created, resp.updated) == (utc(START - 1000.5), utc(START - 10.25))
    assert resp.domain_id == sim.account.domain_id


def test_missing_repository_is_404_with_swr_error_code(client: SwrClient) -> None:
    with pytest.raises(ClientRequestException) as caught:
        client.show_repository(ShowRepositoryRequest(namespace="group", repository="nope"))
    assert (caught.value.status_code, caught.value.error_code) == (404, "404")
    assert "SVCSTG.SWR.4040002" in caught.value.error_msg
    assert caught.value.request_id


def test_shared_by_me_lists_repositories_with_access_domains(sim: Simulator, client: SwrClient) -> None:
    resp = client.list_shared_repos_details(ListSharedReposDetailsRequest(center="self", limit="100",
                                                                          offset="0"))
    expected = {(r.namespace, r.name) for r in sim.dataset.repositories if r.shares}
    assert {(item.namespace, item.name) for item in resp.body} == expected
    assert resp.content_range == f"0-{len(expected)}/{len(expected)}"
    assert all(item.status is False and item.domain_name == sim.account.domain_name for item in resp.body)


def test_shared_with_me_carries_owner_and_validity(sim: Simulator, client: SwrClient) -> None:
    resp = client.list_shared_repos_details(ListSharedReposDetailsRequest(center="thirdparty"))
    got = {(item.domain_name, item.namespace, item.name, item.status) for item in resp.body}
    expected = {(s.owner_domain, s.repository.namespace, s.repository.name, s.valid)
                for s in sim.dataset.shared_with_me}
    assert got == expected
    assert {True, False} <= {item.status for item in resp.body}


def test_tags_list_uses_capital_tag_key_and_pages(client: SwrClient) -> None:
    resp = client.list_repository_tags(ListRepositoryTagsRequest(namespace="group", repository="busybox",
                                                                 limit="1", offset="1"))
    assert resp.content_range == "1-1/2"
    assert [tag.tag for tag in resp.body] == ["latest"]
    assert resp.body[0].path.endswith("/group/busybox:latest")


def test_repo_domains_list_shares_with_status(client: SwrClient) -> None:
    resp = client.list_repo_domains(ListRepoDomainsRequest(namespace="group", repository="busybox"))
    got = {(d.access_domain, d.deadline, d.status, d.permit) for d in resp.body}
    assert got == {("partner-a", "forever", True, "read"), ("partner-b", utc(START - 5.0), False, "read")}


def test_quotas_count_organizations(sim: Simulator, client: SwrClient) -> None:
    quotas = {q.quota_key: q for q in client.list_quotas(ListQuotasRequest()).quotas}
    assert quotas["namespace"].used == len(sim.dataset.organizations)
    assert quotas["namespace"].quota_limit >= quotas["namespace"].used


def test_overview_totals_match_the_dataset(sim: Simulator, client: SwrClient) -> None:
    resp = client.show_domain_overview(ShowDomainOverviewRequest())
    repos = sim.dataset.repositories
    assert (resp.namspace_num, resp.repo_num) == (len(sim.dataset.organizations), len(repos))
    assert resp.image_num == sum(r.num_images for r in repos)
    assert resp.store_space == sum(r.size for r in repos)


def test_wrong_secret_key_is_rejected_with_apigw_0301(sim: Simulator) -> None:
    credentials = BasicCredentials(sim.account.ak, sim.account.sk + "x", sim.account.project_id)
    bad = SwrClient.new_builder().with_credentials(credentials).with_endpoint(sim.base_url).build()
    with pytest.raises(ClientRequestException) as caught:
        bad.list_namespaces(ListNamespacesRequest())
    assert (caught.value.status_code, caught.value.error_code) == (401, "APIGW.0301")


def test_project_id_is_looked_up_through_iam_when_not_given(sim: Simulator) -> None:
    credentials = BasicCredentials(sim.account.ak, sim.account.sk).with_iam_endpoint(sim.base_url)
    region = Region(sim.account.region, sim.base_url)
    lookup = SwrClient.new_builder().with_credentials(credentials).with_region(region).build()
    quotas = lookup.list_quotas(ListQuotasRequest()).quotas
    assert quotas[0].quota_key == "namespace"
    assert "KeystoneListProjects" in [r.operation for r in sim.requests]


def password_request(account: Account) -> KeystoneCreateUserTokenByPasswordRequest:
    user = PwdPasswordUser(domain=PwdPasswordUserDomain(name=account.domain_name), name=account.username,
                           password=account.password)
    identity = PwdIdentity(methods=["password"], password=PwdPassword(user=user))
    scope = AuthScope(project=AuthScopeProject(name=account.region))
    body = KeystoneCreateUserTokenByPasswordRequestBody(auth=PwdAuth(identity=identity, scope=scope))
    return KeystoneCreateUserTokenByPasswordRequest(body=body)


@pytest.mark.parametrize("kind", ["no credentials", "global credentials"])
def test_iam_sdk_gets_a_token_that_swr_accepts(sim: Simulator, kind: str) -> None:
    account = sim.account
    credentials = (IamCredentials() if kind == "no credentials"
                   else GlobalCredentials(account.ak, account.sk, account.domain_id))
    iam = IamClient.new_builder().with_credentials(credentials).with_endpoint(sim.base_url).build()
    resp = iam.keystone_create_user_token_by_password(password_request(account))
    assert resp.token.project.id == account.project_id
    assert resp.token.expires_at == utc(START + 86_400.0)
    answer = requests.get(f"{sim.base_url}/v2/manage/namespaces", timeout=5,
                          headers={"X-Auth-Token": resp.x_subject_token, "Content-Type": "application/json"})
    assert answer.status_code == 200
    assert sim.requests[-1].auth == "token"


def test_iam_rejects_a_wrong_password_in_iam_error_shape(sim: Simulator) -> None:
    request = password_request(sim.account)
    request.body.auth.identity.password.user.password = "wrong"
    iam = IamClient.new_builder().with_credentials(IamCredentials()).with_endpoint(sim.base_url).build()
    with pytest.raises(ClientRequestException) as caught:
        iam.keystone_create_user_token_by_password(request)
    # IAM's {"error": {"code", "message", "title"}} is found by the SDK's nested search.
    assert (caught.value.status_code, str(caught.value.error_code)) == (401, "401")
    assert "password" in caught.value.error_msg
