"""Fakes shared by the poller and collector tests: a scripted client and a settable clock."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from exporter.config.loader import Target, parse_config
from exporter.swr.errors import ApiError, InvalidResponse

T = TypeVar("T")
R = TypeVar("R")


def target(**settings) -> Target:
    base = {"region": "cn-north-4", "project_id": "0" * 32,
            "auth": {"type": "aksk", "access_key": "fake-ak", "secret_key": "fake-sk"}}
    base.update(settings)
    config = parse_config(base, base_dir=Path("."), environ={}, hostname=lambda: "test-0")
    return config.targets[0]


def repo_item(namespace: str, name: str, **values) -> dict:
    item = {"namespace": namespace, "name": name, "category": "other", "size": 10, "is_public": False,
            "num_images": 1, "num_download": 2, "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-02T00:00:00Z", "domain_name": "acme", "status": False}
    item.update(values)
    return item


class Clock:
    """A wall clock that moves only when told to."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeClient:
    """Every call of ``SwrApi``, answered from plain data; an operation set in ``failures`` raises its
    ApiError instead. ``invalid`` counts the malformed answers ``decode`` saw, as the real client does."""

    def __init__(self, namespaces=("group",), repos=None, shared=None, quotas=None, domains=None,
                 tags=None, overview=None, project_id: str | None = "0" * 32,
                 enterprise: dict[tuple, Any] | None = None) -> None:
        self.namespaces = [{"name": n, "auth": 7} for n in namespaces]
        self.repos = repos if repos is not None else [repo_item("group", "busybox")]
        self.shared = shared or {"self": [], "thirdparty": []}
        self.quotas = quotas if quotas is not None else [{"quota_key": "namespace", "quota_limit": 15,
                                                          "used": 1, "unit": ""}]
        self.domains: dict[tuple[str, str], list[dict]] = domains or {}
        self.tags: dict[tuple[str, str], list[dict]] = tags or {}
        self.overview = overview if overview is not None else {
            "domain_id": "d", "domain_name": "acme", "namspace_num": 1, "repo_num": 1, "image_num": 1,
            "store_space": 10.0, "downflow_size": 20.0}
        self._project_id = project_id
        # Enterprise Edition answers by (operation, *arguments); a missing one is an empty list.
        self.enterprise: dict[tuple, Any] = enterprise or {}
        self.failures: dict[str, ApiError] = {}
        self.calls: list[tuple] = []
        self.invalid: list[str] = []

    @property
    def project_id(self) -> str | None:
        return self._project_id

    def _call(self, operation: str, *args):
        self.calls.append((operation, *args))
        if operation in self.failures:
            raise self.failures[operation]

    def list_namespaces(self) -> list[dict[str, Any]]:
        self._call("ListNamespaces")
        return self.namespaces

    def list_repos_pages(self, namespace: str | None = None) -> Iterator[list[dict[str, Any]]]:
        yield self.list_repos(namespace)

    def list_repos(self, namespace: str | None = None) -> list[dict[str, Any]]:
        self._call("ListReposDetails", namespace)
        return [r for r in self.repos if namespace is None or r["namespace"] == namespace]

    def show_repository(self, namespace: str, repository: str) -> dict[str, Any]:
        self._call("ShowRepository", namespace, repository)
        for r in self.repos:
            if (r["namespace"], r["name"]) == (namespace, repository):
                brief = {k: v for k, v in r.items() if not k.endswith("_at")}
                return {**brief, "created": r["created_at"], "updated": r["updated_at"]}
        raise ApiError("ShowRepository", "not_found", status=404, error_code="SVCSTG.SWR.4040002")

    def list_shared_repos(self, center: str) -> list[dict[str, Any]]:
        self._call("ListSharedReposDetails", center)
        return self.shared[center]

    def list_quotas(self, project_id: str) -> list[dict[str, Any]]:
        self._call("ListQuotas", project_id)
        return self.quotas

    def list_repo_domains(self, namespace: str, repository: str) -> list[dict[str, Any]]:
        self._call("ListRepoDomains", namespace, repository)
        return self.domains.get((namespace, repository), [])

    def list_repository_tags(self, namespace: str, repository: str) -> list[dict[str, Any]]:
        self._call("ListRepositoryTags", namespace, repository)
        return self.tags.get((namespace, repository), [])

    def show_domain_overview(self) -> dict[str, Any]:
        self._call("ShowDomainOverview")
        return self.overview

    def _ee(self, operation: str, *args, default: Any = None) -> Any:
        self._call(operation, *args)
        return self.enterprise.get((operation, *args), [] if default is None else default)

    def list_instances(self) -> list[dict[str, Any]]:
        return self._ee("ListInstance")

    def list_instance_statistics(self, instance_id: str) -> dict[str, Any]:
        return self._ee("ListInstanceStatistics", instance_id, default={})

    def list_instance_namespaces(self, instance_id: str) -> list[dict[str, Any]]:
        return self._ee("ListInstanceNamespaces", instance_id)

    def list_all_instance_repositories(self) -> list[dict[str, Any]]:
        return self._ee("ListAllInstanceRepositories")

    def list_instance_replication_policies(self, instance_id: str) -> list[dict[str, Any]]:
        return self._ee("ListInstanceReplicationPolicies", instance_id)

    def list_instance_replication_policy_executions(self, instance_id: str,
                                                    policy_id: int) -> list[dict[str, Any]]:
        return self._ee("ListInstanceReplicationPolicyExecutions", instance_id, policy_id)

    def list_instance_registries(self, instance_id: str) -> list[dict[str, Any]]:
        return self._ee("ListInstanceRegistries", instance_id)

    def list_instance_retention_policies(self, instance_id: str) -> list[dict[str, Any]]:
        return self._ee("ListInstanceRetentionPolicies", instance_id)

    def list_instance_retention_policy_executions(self, instance_id: str, namespace: str,
                                                  policy_id: int) -> list[dict[str, Any]]:
        return self._ee("ListInstanceRetentionPolicyExecutions", instance_id, namespace, policy_id)

    def list_gc_tasks(self, instance_id: str) -> list[dict[str, Any]]:
        return self._ee("ListGcTasks", instance_id)

    def list_instance_webhooks(self, instance_id: str) -> list[dict[str, Any]]:
        return self._ee("ListInstanceWebhooks", instance_id)

    def count_instance_webhook_jobs(self, instance_id: str, namespace: str, policy_id: int,
                                    status: str) -> int:
        return self._ee("ListInstanceWebhookJobs", instance_id, namespace, policy_id, status, default=0)

    def list_instance_lt_credentials(self, instance_id: str) -> list[dict[str, Any]]:
        return self._ee("ListInstanceLtCredentials", instance_id)

    def list_instance_artifacts(self, instance_id: str, namespace: str,
                                repository: str) -> list[dict[str, Any]]:
        return self._ee("ListInstanceArtifacts", instance_id, namespace, repository)

    def show_instance_artifact(self, instance_id: str, namespace: str, repository: str,
                               reference: str) -> dict[str, Any]:
        return self._ee("ShowInstanceArtifact", instance_id, namespace, repository, reference, default={})

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R | ApiError]:
        results: list[R | ApiError] = []
        for item in items:
            try:
                results.append(fn(item))
            except ApiError as error:
                results.append(error)
        return results

    def decode(self, operation: str, parse: Callable[[], T]) -> T:
        try:
            return parse()
        except InvalidResponse:
            self.invalid.append(operation)
            raise


def throttled(operation: str) -> ApiError:
    return ApiError(operation, "throttled", status=429, error_code="APIGW.0308", request_id="req-1")
