"""Huawei's own SDK as the client of the simulator's Enterprise Edition endpoints: it signs, calls and
deserializes them unchanged; the paging limits are the real ones; data move with time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkswr.v2 import SwrClient
from huaweicloudsdkswr.v2.model import (
    ListAllInstanceRepositoriesRequest,
    ListGcTasksRequest,
    ListInstanceArtifactsRequest,
    ListInstanceLtCredentialsRequest,
    ListInstanceNamespacesRequest,
    ListInstanceRegistriesRequest,
    ListInstanceReplicationPoliciesRequest,
    ListInstanceReplicationPolicyExecutionsRequest,
    ListInstanceRequest,
    ListInstanceRetentionPoliciesRequest,
    ListInstanceRetentionPolicyExecutionsRequest,
    ListInstanceStatisticsRequest,
    ListInstanceWebhookJobsRequest,
    ListInstanceWebhooksRequest,
    ShowInstanceArtifactRequest,
)

from exporter.simulator import Account, Dataset, Simulator
from exporter.simulator.enterprise_data import EXECUTION_SECONDS, EnterpriseDataset

START = 1_700_000_000.0


class Clock:
    now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def sim(clock: Clock) -> Iterator[Simulator]:
    enterprise = EnterpriseDataset.generate(seed=3, instances=2, repositories=150, start=START)
    with Simulator(Dataset.generate(seed=1, organizations=1, repositories=2, start=START), Account.generate(),
                   clock=clock, max_skew=None, evolve=True, enterprise=enterprise) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def client(sim: Simulator) -> SwrClient:
    credentials = BasicCredentials(sim.account.ak, sim.account.sk, sim.account.project_id)
    return SwrClient.new_builder().with_credentials(credentials).with_endpoint(sim.base_url).build()


def running(client: SwrClient) -> str:
    instances = client.list_instance(ListInstanceRequest(limit=100, offset=0)).instances
    return next(i.id for i in instances if i.name == "ee-prod")


def test_instances_come_in_several_states(client: SwrClient) -> None:
    resp = client.list_instance(ListInstanceRequest(limit=100, offset=0))
    assert resp.total == 4
    assert {i.status for i in resp.instances} == {"Running", "Unavailable", "Creating"}
    prod = next(i for i in resp.instances if i.name == "ee-prod")
    assert prod.spec == "swr.ee.professional" and prod.expires_at.endswith("Z")


def test_statistics_namespaces_and_the_project_wide_repository_list(client: SwrClient) -> None:
    ins = running(client)
    stats = client.list_instance_statistics(ListInstanceStatisticsRequest(instance_id=ins))
    assert stats.namespace_quota == 15 and stats.storage_used > 0
    spaces = client.list_instance_namespaces(
        ListInstanceNamespacesRequest(instance_id=ins, limit=100, offset=0))
    assert spaces.total == len(spaces.namespaces) >= 2 and spaces.namespaces[0].metadata.auto_scan == "true"
    names, marker, pages = [], None, 0
    while True:
        resp = client.list_all_instance_repositories(
            ListAllInstanceRepositoriesRequest(limit=100, marker=marker))
        names += [(r.instance_name, r.namespace_name, r.name) for r in resp.repositories]
        pages += 1
        marker = resp.page_info.next_marker if resp.page_info else None
        if not marker:
            break
    assert pages == 2 and len(names) == 150
    assert ("ee-prod", "library", "team/api") in names


@pytest.mark.parametrize(("limit", "offset"), [(101, 0), (10, 5), (0, 0)])
def test_the_real_paging_limits_are_enforced(client: SwrClient, limit: int, offset: int) -> None:
    with pytest.raises(ClientRequestException) as caught:
        client.list_instance(ListInstanceRequest(limit=limit, offset=offset))
    assert caught.value.status_code == 400 and caught.value.error_code.startswith("SWR.EE.")


def test_jobs_endpoints_answer_the_sdk(client: SwrClient) -> None:
    ins = running(client)
    policies = client.list_instance_replication_policies(
        ListInstanceReplicationPoliciesRequest(instance_id=ins)).policies
    assert {p.name for p in policies} == {"to-dr", "from-hub"}
    assert policies[0].trigger.type in ("scheduled", "manual")
    executions = client.list_instance_replication_policy_executions(
        ListInstanceReplicationPolicyExecutionsRequest(instance_id=ins, policy_id=2)).executions
    assert [e.status for e in executions] == ["Failed"]
    registries = client.list_instance_registries(ListInstanceRegistriesRequest(instance_id=ins)).registries
    assert {r.status for r in registries} == {"healthy", "unhealthy"}
    retention = client.list_instance_retention_policies(ListInstanceRetentionPoliciesRequest(instance_id=ins))
    policy = retention.retentions[0]
    runs = client.list_instance_retention_policy_executions(ListInstanceRetentionPolicyExecutionsRequest(
        instance_id=ins, namespace_name=policy.namespace_name, policy_id=policy.id))
    assert runs.executions[0].status == "Succeed"
    gc = client.list_gc_tasks(ListGcTasksRequest(instance_id=ins, limit=1))
    assert gc.tasks[0].job_parameters.freed_space == 5_242_880 and gc.page_info.next_marker
    hooks = client.list_instance_webhooks(ListInstanceWebhooksRequest(instance_id=ins)).policies
    jobs = client.list_instance_webhook_jobs(ListInstanceWebhookJobsRequest(
        instance_id=ins, namespace_name=hooks[0].namespace_name, policy_id=hooks[0].id, status="failed"))
    assert jobs.total == 3
    creds = client.list_instance_lt_credentials(ListInstanceLtCredentialsRequest(instance_id=ins)).auth_tokens
    assert {c.name for c in creds} == {"ci-robot", "ops"}


def test_a_repository_with_a_slash_is_reached_double_encoded(client: SwrClient) -> None:
    ins = running(client)
    # The SDK quotes the path parameter once; Harbor's rule is %2F inside it, so %252F on the wire.
    resp = client.list_instance_artifacts(ListInstanceArtifactsRequest(
        instance_id=ins, namespace_name="library", repository_name="team%2Fapi", limit=100, offset=0))
    assert resp.total >= 1
    latest = max(resp.artifacts, key=lambda a: a.push_time)
    shown = client.show_instance_artifact(ShowInstanceArtifactRequest(
        instance_id=ins, namespace_name="library", repository_name="team%2Fapi", reference=latest.digest,
        with_scan_overview=True))
    assert shown.digest == latest.digest


def test_an_unavailable_instance_answers_an_enterprise_error(client: SwrClient) -> None:
    with pytest.raises(ClientRequestException) as caught:
        client.list_instance_statistics(ListInstanceStatisticsRequest(instance_id="ins-unavailable"))
    assert caught.value.status_code == 409 and caught.value.error_code == "SWR.EE.4090001"


def test_pulls_grow_and_the_running_execution_finishes(client: SwrClient, clock: Clock) -> None:
    ins = running(client)

    def state() -> tuple[int, str]:
        repos = client.list_all_instance_repositories(
            ListAllInstanceRepositoriesRequest(limit=100)).repositories
        executions = client.list_instance_replication_policy_executions(
            ListInstanceReplicationPolicyExecutionsRequest(instance_id=ins, policy_id=1)).executions
        latest = max(executions, key=lambda e: e.created_at)
        return sum(r.pull_count for r in repos), latest.status

    pulls, status = state()
    assert status == "InProgress"
    clock.now += EXECUTION_SECONDS + 3600
    later_pulls, later_status = state()
    assert later_pulls > pulls and later_status == "Succeed"
    clock.now = START
