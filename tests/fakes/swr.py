"""Fakes shared by the poller and sources tests: a scripted client and a settable clock."""

from __future__ import annotations

from pathlib import Path

from exporter.config.loader import Target, parse_config
from exporter.swr.client import ApiError


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
    """Answers from plain data; an operation set in ``failures`` raises its ApiError instead."""

    def __init__(self, namespaces=("group",), repos=None, shared=None, quotas=None) -> None:
        self.namespaces = [{"name": n, "auth": 7} for n in namespaces]
        self.repos = repos if repos is not None else [repo_item("group", "busybox")]
        self.shared = shared or {"self": [], "thirdparty": []}
        self.quotas = quotas if quotas is not None else [{"quota_key": "namespace", "quota_limit": 15,
                                                          "used": 1, "unit": ""}]
        self.failures: dict[str, ApiError] = {}
        self.calls: list[tuple] = []

    def _call(self, operation: str, *args):
        self.calls.append((operation, *args))
        if operation in self.failures:
            raise self.failures[operation]

    def list_namespaces(self):
        self._call("ListNamespaces")
        return self.namespaces

    def list_repos(self, namespace=None):
        self._call("ListReposDetails", namespace)
        return [r for r in self.repos if namespace is None or r["namespace"] == namespace]

    def show_repository(self, namespace, repository):
        self._call("ShowRepository", namespace, repository)
        for r in self.repos:
            if (r["namespace"], r["name"]) == (namespace, repository):
                brief = {k: v for k, v in r.items() if not k.endswith("_at")}
                return {**brief, "created": r["created_at"], "updated": r["updated_at"]}
        raise ApiError("ShowRepository", "not_found", status=404, error_code="SVCSTG.SWR.4040002")

    def list_shared_repos(self, center):
        self._call("ListSharedReposDetails", center)
        return self.shared[center]

    def list_quotas(self, project_id):
        self._call("ListQuotas", project_id)
        return self.quotas

    def map(self, fn, items):
        results = []
        for item in items:
            try:
                results.append(fn(item))
            except ApiError as error:
                results.append(error)
        return results


def throttled(operation: str) -> ApiError:
    return ApiError(operation, "throttled", status=429, error_code="APIGW.0308", request_id="req-1")
