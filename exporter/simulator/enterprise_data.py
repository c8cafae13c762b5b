"""The simulator's SWR Enterprise Edition data: instances in several states, and in the running ones
namespaces, repositories (one with ``/`` in its name), artifacts with scan overviews, replication,
retention, GC, webhooks, remote registries (with a credential in clear, as the API returns it) and
long-term credentials. Seeded, so two runs answer the same; moving with time when the simulator evolves:
pulls grow, and the latest replication execution finishes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from exporter.simulator.data import DEFAULT_START

# Fake secrets the simulator hands out in clear as the real API does; tests check they never leak.
REGISTRY_ACCESS_KEY = "SIMULATED-REGISTRY-AK-0001"
REGISTRY_SECRET = "simulated-registry-secret-do-not-show"
WEBHOOK_AUTH_HEADER = "Bearer simulated-webhook-token-do-not-show"
HARBOR_ZERO_TIME = "0001-01-01T00:00:00.000Z"
EXECUTION_SECONDS = 600.0  # the in-progress replication execution finishes this long after the start


@dataclass
class EeArtifact:
    digest: str
    size: int
    pushed: float
    pulled: float | None  # None: never pulled (Harbor's zero time on the wire)
    tags: tuple[str, ...]
    scan: dict[str, int] | None  # severity -> count; None: never scanned


@dataclass
class EeRepository:
    id: int
    namespace: str
    name: str
    pulls: int
    pull_rate: float  # pulls per second while the simulator evolves
    created: float
    updated: float
    artifacts: list[EeArtifact] = field(default_factory=list)


@dataclass
class EeInstance:
    id: str
    name: str
    status: str
    expires: float | None
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> metadata
    repositories: list[EeRepository] = field(default_factory=list)
    replications: list[dict] = field(default_factory=list)  # {id, name, trigger, enabled, executions}
    registries: list[dict] = field(default_factory=list)  # {id, name, status}
    retentions: list[dict] = field(default_factory=list)  # {id, name, namespace, executions}
    gc_tasks: list[dict] = field(default_factory=list)  # {id, status, created, freed}
    webhooks: list[dict] = field(default_factory=list)  # {id, name, namespace, failed}
    credentials: list[dict] = field(default_factory=list)  # {token_id, name, expires (None: never)}
    storage_used: int = 0


@dataclass
class EnterpriseDataset:
    start: float = DEFAULT_START
    instances: list[EeInstance] = field(default_factory=list)

    @classmethod
    def generate(cls, seed: int = 0, instances: int = 3, repositories: int = 6,
                 start: float = DEFAULT_START, other_states: bool = True) -> EnterpriseDataset:
        """``instances`` running ones, plus (``other_states``) one unavailable and one still creating;
        ``repositories`` in all, spread over the running instances."""
        rng = random.Random(seed)
        dataset = cls(start=start)
        running = max(1, instances)
        for index in range(running):
            name = "ee-prod" if index == 0 else f"ee-prod-{index + 1}"
            dataset.instances.append(_running(rng, index, name, start))
        for k, repo in enumerate(_repositories(rng, repositories, start)):
            owner = dataset.instances[0 if k < 4 else k % running]
            repo.id = k + 1
            owner.repositories.append(repo)
            owner.namespaces.setdefault(repo.namespace, _metadata(rng))
        for instance in dataset.instances[:running]:
            instance.storage_used = sum(a.size for r in instance.repositories for a in r.artifacts)
        if not other_states:
            return dataset
        expires = start + 200 * 86_400.0
        dataset.instances.append(EeInstance("ins-unavailable", "ee-dr", "Unavailable", expires))
        dataset.instances.append(EeInstance("ins-creating", "ee-new", "Creating", None))
        return dataset

    def instance(self, instance_id: str) -> EeInstance | None:
        return next((i for i in self.instances if i.id == instance_id), None)


def _running(rng: random.Random, index: int, name: str, start: float) -> EeInstance:
    instance = EeInstance(f"ins-{index + 1:04d}-{rng.randrange(16 ** 6):06x}", name, "Running",
                          start + (30 + 60 * index) * 86_400.0)
    instance.replications = [
        {"id": 1, "name": "to-dr", "trigger": "scheduled", "enabled": True, "executions": [
            {"id": 1, "status": "Succeed", "succeed": 12, "failed": 0, "created": start - 7200.0},
            {"id": 2, "status": "InProgress", "succeed": 3, "failed": 0, "created": start - 60.0}]},
        {"id": 2, "name": "from-hub", "trigger": "manual", "enabled": False, "executions": [
            {"id": 3, "status": "Failed", "succeed": 4, "failed": 2, "created": start - 3600.0}]},
    ]
    instance.registries = [{"id": 1, "name": "dr-site", "status": "healthy"},
                           {"id": 2, "name": "docker-hub", "status": "unhealthy"}]
    instance.retentions = [{"id": 1, "name": "keep-last-10", "namespace": "library", "executions": [
        {"id": 1, "status": "Succeed", "start": start - 86_400.0}]}]
    instance.gc_tasks = [{"id": 1, "status": "Success", "created": start - 172_800.0, "freed": 1_048_576},
                         {"id": 2, "status": "Success", "created": start - 86_400.0, "freed": 5_242_880}]
    instance.webhooks = [{"id": 1, "name": "notify-ci", "namespace": "library", "failed": 3}]
    instance.credentials = [{"token_id": "lt-1", "name": "ci-robot", "expires": start + 5 * 86_400.0},
                            {"token_id": "lt-2", "name": "ops", "expires": None}]
    return instance


def _repositories(rng: random.Random, count: int, start: float) -> list[EeRepository]:
    names = [("library", "nginx"), ("library", "team/api"), ("apps", "web"), ("apps", "worker")]
    result = []
    for k in range(count):
        namespace, name = names[k] if k < len(names) else (f"ns-{k % 7}", f"repo-{k:05d}")
        created = start - rng.randrange(30, 400) * 86_400.0
        repo = EeRepository(0, namespace, name, rng.randrange(0, 5000), rng.choice([0.0, 0.05, 0.5]),
                            created, created + rng.randrange(1, 30) * 86_400.0)
        for a in range(1 + k % 3):
            pushed = repo.created + (a + 1) * 3600.0
            pulled = None if (k + a) % 4 == 0 else pushed + 7200.0
            scan = None if k % 5 == 4 else {"Critical": k % 3, "High": rng.randrange(0, 9), "Low": 1}
            latest = a == k % 3
            tags = (f"v{a + 1}", "latest") if latest else (f"v{a + 1}",)
            repo.artifacts.append(EeArtifact(f"sha256:{rng.randrange(16 ** 16):016x}",
                                             rng.randrange(10 ** 6, 10 ** 8), pushed, pulled, tags,
                                             scan if latest else None))
        result.append(repo)
    return result


def _metadata(rng: random.Random) -> dict[str, str]:
    return {"public": rng.choice(["true", "false"]), "auto_scan": "true", "prevent_vul": "false",
            "severity": "high"}
