"""The documented behaviours with Huawei's own SDK as the client: what it sends, and what it makes of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkswr.v2 import SwrClient
from huaweicloudsdkswr.v2.model import (
    ListNamespacesRequest,
    ListRepoDomainsRequest,
    ListReposDetailsRequest,
    ShowRepositoryRequest,
)

from exporter.simulator import Behaviour, Dataset, Simulator, throttle_rule

PARTNERS = [f"partner-{n:03d}" for n in range(150)]


def build_dataset() -> Dataset:
    ds = Dataset.generate(seed=7, organizations=5, repositories=30, tags_per_repository=1, shared_with_me=0)
    for org, repo in (("team", "api"), ("team-a", "worker"), ("other", "db")):
        ds.add_organization(org)
        ds.add_repository(org, repo)
    ds.add_shares("team", "api", PARTNERS)
    return ds


def client_for(sim: Simulator) -> SwrClient:
    credentials = BasicCredentials(sim.account.ak, sim.account.sk, sim.account.project_id)
    return SwrClient.new_builder().with_credentials(credentials).with_endpoint(sim.base_url).build()


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(build_dataset()) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def client(sim: Simulator) -> SwrClient:
    return client_for(sim)


@pytest.fixture(autouse=True)
def no_faults_left(sim: Simulator) -> Iterator[None]:
    yield
    sim.faults.clear()


def test_mode_visible_lists_the_generated_visible_only_organization(sim: Simulator,
                                                                    client: SwrClient) -> None:
    (hidden,) = [org.name for org in sim.dataset.organizations if org.visible_only]
    visible = client.list_namespaces(ListNamespacesRequest(filter="mode::visible"))
    plain = client.list_namespaces(ListNamespacesRequest())
    assert hidden in [ns.name for ns in visible.namespaces]
    assert hidden not in [ns.name for ns in plain.namespaces]
    assert len(visible.namespaces) == len(plain.namespaces) + 1


def test_the_visible_only_organization_lists_its_repositories(sim: Simulator, client: SwrClient) -> None:
    (hidden,) = [org.name for org in sim.dataset.organizations if org.visible_only]
    request = ListReposDetailsRequest(filter=f"namespace::{hidden}|limit::100|offset::0")
    resp = client.list_repos_details(request)
    assert {item.namespace for item in resp.body} == {hidden}
    assert resp.content_range == "0-3/3"


def test_repository_domains_answer_100_of_150(client: SwrClient) -> None:
    resp = client.list_repo_domains(ListRepoDomainsRequest(namespace="team", repository="api"))
    assert [domain.access_domain for domain in resp.body] == PARTNERS[:100]


def test_all_150_repository_domains_without_the_cap() -> None:
    with Simulator(build_dataset(), behaviour=Behaviour(access_domains_cap=None)) as sim:
        resp = client_for(sim).list_repo_domains(ListRepoDomainsRequest(namespace="team", repository="api"))
    assert len(resp.body) == 150


def test_the_namespace_filter_is_fuzzy(client: SwrClient) -> None:
    resp = client.list_repos_details(ListReposDetailsRequest(namespace="team"))
    assert [(item.namespace, item.name) for item in resp.body] == [("team", "api"), ("team-a", "worker")]


def test_the_exact_namespace_filter() -> None:
    with Simulator(build_dataset(), behaviour=Behaviour(fuzzy_namespace=False)) as sim:
        resp = client_for(sim).list_repos_details(ListReposDetailsRequest(namespace="team"))
    assert [(item.namespace, item.name) for item in resp.body] == [("team", "api")]


def test_an_swr_error_array_reaches_the_sdk_as_its_status_with_the_raw_body(client: SwrClient) -> None:
    with pytest.raises(ClientRequestException) as caught:
        client.show_repository(ShowRepositoryRequest(namespace="team", repository="nope"))
    error = caught.value
    # The SDK reads codes from objects only: an array leaves the status as the code, the body as message.
    assert (error.status_code, error.error_code) == (404, "404")
    assert error.error_msg.startswith('[{"errorCode":"SVCSTG.SWR.4040002"')
    assert error.request_id


@pytest.mark.parametrize(("kind", "status", "code"), [("swr403", 403, "SVCSTG.SWR.4031032"),
                                                      ("swr409", 409, "SVCSTG.SWR.4090023")])
def test_swr_throttling_reaches_the_sdk_with_its_status(sim: Simulator, client: SwrClient, kind: str,
                                                        status: int, code: str) -> None:
    sim.faults.add(throttle_rule(kind, operation="ListReposDetails", times=1))
    with pytest.raises(ClientRequestException) as caught:
        client.list_repos_details(ListReposDetailsRequest(limit="10", offset="0"))
    assert (caught.value.status_code, caught.value.error_code) == (status, str(status))
    assert code in caught.value.error_msg
    assert client.list_repos_details(ListReposDetailsRequest(limit="10", offset="0")).body


def test_the_object_form_gives_the_sdk_the_swr_code() -> None:
    with Simulator(build_dataset(), behaviour=Behaviour(error_body="object")) as sim:
        client = client_for(sim)
        with pytest.raises(ClientRequestException) as missing:
            client.show_repository(ShowRepositoryRequest(namespace="team", repository="nope"))
        sim.faults.add(throttle_rule("swr409", times=1))
        with pytest.raises(ClientRequestException) as busy:
            client.list_namespaces(ListNamespacesRequest())
    assert (missing.value.status_code, missing.value.error_code) == (404, "SVCSTG.SWR.4040002")
    assert (busy.value.status_code, busy.value.error_code, busy.value.error_msg) == (
        409, "SVCSTG.SWR.4090023", "The system is busy")


def test_gateway_throttling_reaches_the_sdk_through_its_urllib3_retry(sim: Simulator,
                                                                      client: SwrClient) -> None:
    sim.faults.add(throttle_rule("apigw", operation="ListNamespaces", times=1))
    sim.clear_requests()
    with pytest.raises(ClientRequestException) as caught:
        client.list_namespaces(ListNamespacesRequest())
    # urllib3's Retry (status_forcelist [429], 0 retries) raises before the SDK reads the body.
    assert (caught.value.status_code, caught.value.error_code) == (429, "429")
    assert "too many 429 error responses" in caught.value.error_msg
    assert [(r.operation, r.status) for r in sim.requests] == [("ListNamespaces", 429)]
