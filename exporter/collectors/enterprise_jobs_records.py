"""Records and parsers of the ``enterprise_jobs`` collector (swr-api.md 12.1).

Secrets the API returns in clear, a remote registry's ``credential`` and a webhook target's
``auth_header``, are never read: the parsers take only the fields named here, so the snapshot, the logs
and every error message (which quote a field only when it is read) never hold them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from exporter.collectors.enterprise_records import state_set
from exporter.collectors.fields import Item
from exporter.swr.errors import InvalidResponse

EXECUTION_STATUSES = ("InProgress", "Succeed", "Failed", "Stopped")
TASK_RESULTS = ("succeed", "failed", "in_progress", "stopped")
GC_STATUSES = ("Success", "Stopped", "Running", "Pending", "Error")
NEVER = ("", "-1", "never", "forever")


@dataclass(frozen=True, slots=True)
class Execution:
    status: str
    tasks: tuple[tuple[str, int | None], ...]
    created: float | None


@dataclass(frozen=True, slots=True)
class ReplicationPolicy:
    instance_name: str
    id: int
    name: str
    trigger: str
    enabled: str
    last: Execution | None = None

    @property
    def series(self) -> int:
        if self.last is None:
            return 1
        last = self.last
        return (1 + len(state_set(EXECUTION_STATUSES, last.status))
                + sum(n is not None for _, n in last.tasks) + (last.created is not None))


@dataclass(frozen=True, slots=True)
class RegistryHealth:
    instance_name: str
    name: str
    healthy: bool

    series = 1


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    instance_name: str
    organization: str
    id: int
    name: str
    status: str | None = None  # of the latest execution; None: never executed

    @property
    def series(self) -> int:
        return 0 if self.status is None else len(state_set(EXECUTION_STATUSES, self.status))


@dataclass(frozen=True, slots=True)
class GcRun:
    instance_name: str
    status: str
    created: float | None
    freed: int | None

    @property
    def series(self) -> int:
        known = (self.created is not None) + (self.freed is not None)
        return len(state_set(GC_STATUSES, self.status)) + known


@dataclass(frozen=True, slots=True)
class WebhookFailures:
    instance_name: str
    organization: str
    id: int
    policy: str
    failed: int | None = None

    @property
    def series(self) -> int:
        return int(self.failed is not None)


@dataclass(frozen=True, slots=True)
class Credential:
    instance_name: str
    name: str
    expiry: float | None

    @property
    def series(self) -> int:
        return int(self.expiry is not None)


def _items(operation: str, what: str, items: Sequence[object]) -> Iterable[Item]:
    for index, obj in enumerate(items):
        yield Item(operation, f"{what} {index}", obj)


def _id(item: Item) -> int:
    value = item.integer("id")
    if value is None:
        raise InvalidResponse(item.operation, f"{item.where}: field 'id' is missing")
    return value


def _label(item: Item) -> str:
    """A policy's name, else its id: Harbor's retention policies may have none."""
    return item.text("name") or str(_id(item))


def _flag(item: Item, key: str) -> str:
    value = item.boolean(key)
    return "" if value is None else str(value).lower()


def parse_replication_policies(operation: str, instance: str,
                               items: Sequence[object]) -> list[ReplicationPolicy]:
    result = []
    for item in _items(operation, "policy", items):
        trigger = item.obj.get("trigger")
        kind = None if trigger is None else Item(operation, f"{item.where} trigger",
                                                 trigger).text("type")
        enabled = _flag(item, "enabled")
        result.append(ReplicationPolicy(instance, _id(item), _label(item), kind or "", enabled))
    return result


def parse_latest_replication(operation: str, items: Sequence[object]) -> Execution | None:
    """Which execution the API lists first is undocumented: the latest is the greatest ``created_at``."""
    latest: tuple[float, int, Execution] | None = None
    for item in _items(operation, "execution", items):
        created = item.timestamp("created_at")
        execution = Execution(item.text("status") or "",
                              tuple((key, item.count(key)) for key in TASK_RESULTS), created)
        key = (created if created is not None else float("-inf"), item.integer("id") or 0)
        if latest is None or key > latest[:2]:
            latest = (*key, execution)
    return None if latest is None else latest[2]


def parse_registries(operation: str, instance: str, items: Sequence[object]) -> list[RegistryHealth]:
    return [RegistryHealth(instance, item.name("name"), item.text("status") == "healthy")
            for item in _items(operation, "registry", items)]


def parse_retention_policies(operation: str, instance: str,
                             items: Sequence[object]) -> list[RetentionPolicy]:
    return [RetentionPolicy(instance, item.name("namespace_name"), _id(item), _label(item))
            for item in _items(operation, "retention", items)]


def parse_latest_status(operation: str, items: Sequence[object], time_key: str) -> str | None:
    """The status of the execution with the greatest ``time_key`` (then id)."""
    latest: tuple[float, int, str] | None = None
    for item in _items(operation, "execution", items):
        time = item.timestamp(time_key)
        key = (time if time is not None else float("-inf"), item.integer("id") or 0)
        if latest is None or key > latest[:2]:
            latest = (*key, item.text("status") or "")
    return None if latest is None else latest[2]


def parse_latest_gc(operation: str, instance: str, items: Sequence[object]) -> GcRun | None:
    latest: tuple[float, int, GcRun] | None = None
    for item in _items(operation, "task", items):
        created = item.timestamp("creation_time")
        parameters = item.obj.get("job_parameters")
        freed = None
        if parameters is not None:
            freed = Item(operation, f"{item.where} job_parameters", parameters).count("freed_space")
        run = GcRun(instance, item.text("job_status") or "", created, freed)
        key = (created if created is not None else float("-inf"), item.integer("id") or 0)
        if latest is None or key > latest[:2]:
            latest = (*key, run)
    return None if latest is None else latest[2]


def parse_webhooks(operation: str, instance: str, items: Sequence[object]) -> list[WebhookFailures]:
    """Only the policy's id, name and namespace: its ``targets`` carry ``auth_header`` in clear."""
    return [WebhookFailures(instance, item.name("namespace_name"), _id(item), _label(item))
            for item in _items(operation, "policy", items)]


def parse_credentials(operation: str, instance: str, items: Sequence[object]) -> list[Credential]:
    result: dict[str, Credential] = {}
    for item in _items(operation, "credential", items):
        expire = item.text("expire_date")
        expiry = None if (expire or "").strip().lower() in NEVER else item.timestamp("expire_date")
        credential = Credential(instance, item.text("name") or item.name("token_id"), expiry)
        result.setdefault(credential.name, credential)
    return [result[name] for name in sorted(result)]
