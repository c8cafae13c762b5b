"""The SWR Enterprise Edition calls (``/v2/{project_id}/instances/...``), mixed into ``SwrClient`` so they
share its transport: the same rate limit, concurrency, retries and self-metrics as the shared edition.

Operation names are the SDK's (DESIGN.md 5). Paging is the Enterprise API's own (``enterprise_paging``):
``limit`` at most 100, ``total`` in the body, or ``page_info.next_marker``. A name with ``/`` goes into a
path as ``%252F``: Harbor wants ``%2F`` inside the segment, and the segment is then quoted once more, as
the SDK quotes every path parameter (the Terraform provider does the same).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from exporter.swr import enterprise_paging as paging
from exporter.swr.errors import ApiError
from exporter.swr.transport import Reply

T = TypeVar("T")
R = TypeVar("R")
Item = dict[str, Any]
Pairs = Sequence[tuple[str, object]]


def segment(name: str) -> str:
    """One path segment in Harbor's convention: ``a/b`` -> ``a%252Fb``."""
    return quote(name.replace("/", "%2F"), safe="")


class EnterpriseCalls:
    """The Enterprise Edition calls of :class:`~exporter.swr.api.SwrApi`; ``SwrClient`` supplies the rest."""

    _max_pages: int

    @property
    def project_id(self) -> str | None:
        raise NotImplementedError

    def _get(self, operation: str, path: str, pairs: Pairs = ()) -> Reply:
        raise NotImplementedError

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R | ApiError]:
        raise NotImplementedError

    def decode(self, operation: str, parse: Callable[[], T]) -> T:
        raise NotImplementedError

    def list_instances(self) -> list[Item]:
        return self._offset("ListInstance", "/instances", "instances")

    def list_instance_statistics(self, instance_id: str) -> Item:
        operation = "ListInstanceStatistics"
        reply = self._get(operation, self._project_path(operation, self._in(instance_id, "/statistics")))
        return self.decode(reply.operation, lambda: paging.object_of(reply))

    def list_instance_namespaces(self, instance_id: str) -> list[Item]:
        return self._offset("ListInstanceNamespaces", self._in(instance_id, "/namespaces"), "namespaces")

    def list_all_instance_repositories(self) -> list[Item]:
        operation = "ListAllInstanceRepositories"
        path = self._project_path(operation, "/repositories")
        return paging.marker_pages(lambda marker: self._get(operation, path, _marker(marker)),
                                   "repositories", self.decode, operation, self._max_pages)

    def list_instance_replication_policies(self, instance_id: str) -> list[Item]:
        return self._offset("ListInstanceReplicationPolicies",
                            self._in(instance_id, "/replication/policies"), "policies")

    def list_instance_replication_policy_executions(self, instance_id: str, policy_id: int) -> list[Item]:
        return self._offset("ListInstanceReplicationPolicyExecutions",
                            self._in(instance_id, "/replication/executions"), "executions",
                            [("policy_id", policy_id)])

    def list_instance_registries(self, instance_id: str) -> list[Item]:
        return self._offset("ListInstanceRegistries", self._in(instance_id, "/registries"), "registries")

    def list_instance_retention_policies(self, instance_id: str) -> list[Item]:
        return self._offset("ListInstanceRetentionPolicies",
                            self._in(instance_id, "/retention/policies"), "retentions")

    def list_instance_retention_policy_executions(self, instance_id: str, namespace: str,
                                                  policy_id: int) -> list[Item]:
        path = f"/namespaces/{segment(namespace)}/retention/policies/{segment(str(policy_id))}/executions"
        return self._offset("ListInstanceRetentionPolicyExecutions", self._in(instance_id, path),
                            "executions")

    def list_gc_tasks(self, instance_id: str) -> list[Item]:
        operation = "ListGcTasks"
        path = self._project_path(operation, self._in(instance_id, "/system/gc"))
        return paging.marker_pages(lambda marker: self._get(operation, path, _marker(marker)),
                                   "tasks", self.decode, operation, self._max_pages)

    def list_instance_webhooks(self, instance_id: str) -> list[Item]:
        return self._offset("ListInstanceWebhooks", self._in(instance_id, "/webhook/policies"), "policies")

    def count_instance_webhook_jobs(self, instance_id: str, namespace: str, policy_id: int,
                                    status: str) -> int:
        """The ``total`` of one page of a webhook policy's jobs in ``status``: a count needs no listing."""
        operation = "ListInstanceWebhookJobs"
        path = f"/namespaces/{segment(namespace)}/webhook/policies/{segment(str(policy_id))}/jobs"
        reply = self._get(operation, self._project_path(operation, self._in(instance_id, path)),
                          [("limit", paging.LIMIT), ("offset", 0), ("status", status)])
        jobs = self.decode(operation, lambda: paging.items_of(reply, "jobs"))
        total = self.decode(operation, lambda: paging.total_of(reply))
        if total is not None:
            return total
        if len(jobs) < paging.LIMIT:
            return len(jobs)
        return len(self._offset(operation, self._in(instance_id, path), "jobs", [("status", status)]))

    def list_instance_lt_credentials(self, instance_id: str) -> list[Item]:
        return self._offset("ListInstanceLtCredentials", self._in(instance_id, "/long-term-credentials"),
                            "auth_tokens")

    def list_instance_artifacts(self, instance_id: str, namespace: str, repository: str) -> list[Item]:
        path = f"/namespaces/{segment(namespace)}/repositories/{segment(repository)}/artifacts"
        return self._offset("ListInstanceArtifacts", self._in(instance_id, path), "artifacts")

    def show_instance_artifact(self, instance_id: str, namespace: str, repository: str,
                               reference: str) -> Item:
        operation = "ShowInstanceArtifact"
        path = (f"/namespaces/{segment(namespace)}/repositories/{segment(repository)}"
                f"/artifacts/{segment(reference)}")
        full = self._project_path(operation, self._in(instance_id, path))
        reply = self._get(operation, full, [("with_scan_overview", "true")])
        return self.decode(operation, lambda: paging.object_of(reply))

    def _offset(self, operation: str, path: str, key: str, pairs: Pairs = ()) -> list[Item]:
        full = self._project_path(operation, path)

        def page(offset: int, limit: int) -> Reply:
            return self._get(operation, full, [*pairs, ("limit", limit), ("offset", offset)])

        return paging.offset_pages(page, key, self.decode, self.map, operation,
                                   self._max_pages)

    def _in(self, instance_id: str, tail: str) -> str:
        return f"/instances/{segment(instance_id)}{tail}"

    def _project_path(self, operation: str, tail: str) -> str:
        project_id = self.project_id
        if not project_id:
            raise ApiError(operation, "client_error",
                           detail="project id unknown: not configured and not named by an IAM token yet")
        return f"/v2/{quote(project_id, safe='')}{tail}"


def _marker(marker: str | None) -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = [("limit", paging.LIMIT)]
    return pairs if marker is None else [*pairs, ("marker", marker)]
