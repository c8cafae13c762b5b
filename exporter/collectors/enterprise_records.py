"""Records and parsers of the ``enterprise`` collector (SWR Enterprise Edition, swr-api.md 12.1), kept apart
so the collector module stays one screen. Key names are the SDK's models'."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from exporter.collectors.fields import Item, series

INSTANCE_STATUSES = ("Initial", "Creating", "Running", "Unavailable")
# resource label, statistics count key (None: only a quota is given), quota key
RESOURCES = (
    ("namespaces", "total_namespace_count", "namespace_quota"),
    ("repositories", "total_image_count", "image_repo_quota"),
    ("replication_policies", "replica_policy_count", "replica_policy_quota"),
    ("retention_policies", "retention_policy_count", "retention_policy_quota"),
    ("notify_policies", "notify_policy_count", "notify_policy_quota"),
    ("sign_policies", "sign_policy_count", "sign_policy_quota"),
    ("registries", "replica_registry_count", "replica_registry_quota"),
    ("intranet_endpoints", "intranet_endpoint_count", "intranet_endpoint_quota"),
    ("long_term_credentials", None, "long_term_quota"),
)
NAMESPACE_SETTINGS = ("public", "auto_scan", "prevent_vul", "severity")


def state_set(known: Sequence[str], current: str) -> list[tuple[str, float]]:
    """One (state, 0/1) per known state and the current one if it is another, 1 for the current."""
    names = list(known) if current in known or not current else [*known, current]
    return [(name, float(name == current)) for name in names]


@dataclass(frozen=True, slots=True)
class Instance:
    name: str
    id: str
    spec: str
    version: str
    charge_mode: str
    status: str
    expiry: float | None

    @property
    def series(self) -> int:
        return 1 + len(state_set(INSTANCE_STATUSES, self.status)) + (self.expiry is not None)


@dataclass(frozen=True, slots=True)
class Statistics:
    instance_name: str
    storage_used: int | None
    resources: tuple[tuple[str, int | None, int | None], ...]  # (resource, count, quota)

    @property
    def series(self) -> int:
        values = [self.storage_used, *(v for _, count, quota in self.resources for v in (count, quota))]
        return sum(value is not None for value in values)


@dataclass(frozen=True, slots=True)
class Namespace:
    instance_name: str
    name: str
    settings: tuple[str, str, str, str]  # public, auto_scan, prevent_vul, severity: as the API says them
    repositories: int | None

    @property
    def series(self) -> int:
        return 1 + (self.repositories is not None)


@dataclass(frozen=True, slots=True)
class EnterpriseRepository:
    instance_name: str
    instance_id: str
    organization: str
    name: str
    pulls: int | None
    artifacts: int | None
    tags: int | None
    created: float | None
    updated: float | None

    def values(self) -> tuple[float | None, ...]:
        return (self.pulls, self.artifacts, self.tags, self.created, self.updated)

    @property
    def series(self) -> int:
        return series(self.values()) - 1  # no info series


def _items(operation: str, what: str, items: Sequence[object]) -> Iterable[Item]:
    for index, obj in enumerate(items):
        yield Item(operation, f"{what} {index}", obj)


def parse_instances(operation: str, items: Sequence[object]) -> list[Instance]:
    """``instances`` of ListInstance; an instance listed twice is kept once."""
    found: dict[str, Instance] = {}
    for item in _items(operation, "instance", items):
        instance = Instance(item.name("name"), item.name("id"), item.text("spec") or "",
                            item.text("version") or "", item.text("charge_mode") or "",
                            item.text("status") or "", item.timestamp("expires_at"))
        found.setdefault(instance.name, instance)
    return [found[name] for name in sorted(found)]


def parse_statistics(operation: str, instance_name: str, obj: object) -> Statistics:
    item = Item(operation, f"statistics of {instance_name}", obj)
    resources = tuple((resource, item.count(count) if count else None, item.count(quota))
                      for resource, count, quota in RESOURCES)
    return Statistics(instance_name, item.count("storage_used"), resources)


def parse_namespaces(operation: str, instance_name: str, items: Sequence[object]) -> list[Namespace]:
    """``metadata`` holds strings ("true"/"false", a severity); they become labels as they are."""
    result = []
    for item in _items(operation, "namespace", items):
        metadata = item.obj.get("metadata")
        meta = Item(operation, f"{item.where} metadata", metadata if metadata is not None else {})
        settings = tuple(meta.text(key) or "" for key in NAMESPACE_SETTINGS)
        result.append(Namespace(instance_name, item.name("name"), settings,  # type: ignore[arg-type]
                                item.count("repo_count")))
    return result


def parse_repositories(operation: str, instances: Mapping[str, str],
                       items: Sequence[object]) -> list[EnterpriseRepository]:
    """Repositories of the project-wide listing that belong to one of ``instances`` (id -> name), known
    by ``instance_id``, else by ``instance_name``."""
    by_name = {name: ident for ident, name in instances.items()}
    result = []
    for item in _items(operation, "repository", items):
        instance_id = item.text("instance_id") or by_name.get(item.text("instance_name") or "", "")
        if instance_id not in instances:
            continue
        result.append(EnterpriseRepository(
            instances[instance_id], instance_id, item.name("namespace_name"), item.name("name"),
            item.count("pull_count"), item.count("artifact_count"), item.count("tag_count"),
            item.timestamp("created_at"), item.timestamp("updated_at")))
    return result
