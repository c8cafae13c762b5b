"""Seeded generation of plausible SWR data: same seed and sizes, same dataset."""

from __future__ import annotations

import random

from exporter.simulator.data import CATEGORIES, Dataset, Repository, Tag

DAY = 86_400.0
ORG_WORDS = (
    "platform", "team-alpha", "data.science", "ml_ops", "web-frontend", "payments", "infra",
    "security", "mobile", "analytics", "edge", "devtools", "search", "billing", "ops",
)
REPO_WORDS = (
    "nginx", "redis", "postgres", "api-gateway", "frontend", "backend", "worker", "scheduler",
    "auth-service", "billing", "search", "ml-trainer", "inference", "etl-job", "cron", "metrics-agent",
    "log-shipper", "busybox", "alpine", "python", "golang", "node", "java-runtime", "envoy", "kafka",
)
REPO_PREFIXES = ("library", "base", "tools", "ci")
DESCRIPTIONS = (
    "", "", "Production image", "Base image for services", "Built nightly by CI",
    "镜像仓库 生产环境", "Überwachung und Metriken", "テスト用イメージ", "Café ☕ service — ünïcödé",
)
SHARE_DOMAINS = ("partner-a", "vendor-ops", "customer-x", "audit-team", "qa-account")
OWNER_DOMAINS = ("acme-corp", "globex", "initech", "umbrella")
# From this many organizations on, the last is seen only through grants on its repositories.
VISIBLE_ONLY_FROM = 3
VISIBLE_ONLY_REPOSITORIES = 3


def populate(dataset: Dataset, seed: int, organizations: int, repositories: int,
             tags_per_repository: int, shared_with_me: int) -> None:
    if organizations < 1 and repositories > 0:
        raise ValueError("repositories need at least one organization")
    rng = random.Random(seed)
    orgs = add_organizations(dataset, rng, organizations)
    weights = [rng.paretovariate(1.5) for _ in orgs]
    # A visible-only organization (listed only with filter=mode::visible) holds a few repositories:
    # the guaranteed first one and the next VISIBLE_ONLY_REPOSITORIES - 1, never a random one.
    few = 0
    if len(orgs) >= VISIBLE_ONLY_FROM:
        weights[-1], few = 0.0, VISIBLE_ONLY_REPOSITORIES - 1
    taken: dict[str, set[str]] = {org: set() for org in orgs}
    for index in range(repositories):
        # The first repositories go one per organization, so none is empty when there are enough.
        if index < len(orgs):
            org = orgs[index]
        elif index < len(orgs) + few:
            org = orgs[-1]
        else:
            org = rng.choices(orgs, weights)[0]
        name = repo_name(rng, taken[org], force_slash=index == 2)
        _repository(dataset, rng, org, name, index, tags_per_repository)
    for index in range(shared_with_me):
        add_shared_with_me(dataset, rng, index, tags_per_repository)


def add_organizations(dataset: Dataset, rng: random.Random, count: int) -> list[str]:
    words = list(ORG_WORDS)
    rng.shuffle(words)
    names = []
    for index in range(count):
        name = words[index % len(words)]
        if index >= len(words):
            name = f"{name}-{index // len(words) + 1}"
        auth = 7 if index == 0 else rng.choices((7, 3, 1), (6, 3, 1))[0]
        visible_only = count >= VISIBLE_ONLY_FROM and index == count - 1
        dataset.add_organization(name, auth=auth, creator_name=rng.choice(("admin", "ci-bot", "alice")),
                                 visible_only=visible_only)
        names.append(name)
    return names


def repo_name(rng: random.Random, taken: set[str], force_slash: bool) -> str:
    base = rng.choice(REPO_WORDS)
    if force_slash or rng.random() < 0.15:
        base = f"{rng.choice(REPO_PREFIXES)}/{base}"
    name, suffix = base, 2
    while name in taken:
        name = f"{base}-{suffix}"
        suffix += 1
    taken.add(name)
    return name


def _repository(dataset: Dataset, rng: random.Random, org: str, name: str, index: int,
                tag_count: int) -> Repository:
    created = dataset.start - rng.uniform(7 * DAY, 3 * 365 * DAY)
    updated = rng.uniform(created, dataset.start - 60.0)
    tags = make_tags(dataset, rng, tag_count, created, updated)
    repo = dataset.add_repository(
        org, name,
        category=CATEGORIES[index] if index < len(CATEGORIES) else rng.choice(CATEGORIES),
        description=rng.choice(DESCRIPTIONS),
        is_public=index == 1 or rng.random() < 0.2,
        num_download=int(min(rng.lognormvariate(5, 2.5), 1e8)),
        created=created, updated=updated, tags=tags,
        creator_id=f"{rng.getrandbits(128):032x}", creator_name=rng.choice(("admin", "ci-bot", "alice")),
        download_rate=0.0 if rng.random() < 0.3 else rng.lognormvariate(-4, 1.5),
        image_interval=None if rng.random() < 0.6 else rng.uniform(6 * 3600.0, 7 * DAY),
        image_size=int(rng.lognormvariate(18, 1.0)),
    )
    if index == 3 or rng.random() < 0.1:
        for domain in rng.sample(SHARE_DOMAINS, rng.randint(1, 3)):
            dataset.add_share(org, name, domain, deadline=_deadline(rng, dataset.start),
                              created=created, updated=updated)
    return repo


def make_tags(dataset: Dataset, rng: random.Random, count: int, created: float, updated: float) -> list[Tag]:
    tags = []
    for k in range(count):
        tag_id = dataset.next_id()
        at = updated if k == 0 else rng.uniform(created, updated)
        digest = f"sha256:{rng.getrandbits(256):064x}"
        name = "latest" if k == 0 else f"v{1 + k // 10}.{k % 10}.{rng.randint(0, 9)}"
        size = int(min(rng.lognormvariate(18, 1.2), 2e9))
        tags.append(Tag(name, tag_id, size, digest, f"{rng.getrandbits(256):064x}", created, at))
    return tags


def _deadline(rng: random.Random, start: float) -> str | float:
    roll = rng.random()
    if roll < 0.5:
        return "forever"
    if roll < 0.8:
        return start + rng.uniform(DAY, 365 * DAY)
    return start - rng.uniform(DAY, 90 * DAY)


def add_shared_with_me(dataset: Dataset, rng: random.Random, index: int, tag_count: int) -> None:
    owner = OWNER_DOMAINS[index % len(OWNER_DOMAINS)]
    created = dataset.start - rng.uniform(30 * DAY, 2 * 365 * DAY)
    updated = rng.uniform(created, dataset.start - 60.0)
    tags = make_tags(dataset, rng, max(tag_count, 1), created, updated)
    valid = {0: True, 1: False}.get(index, rng.random() < 0.75)
    dataset.add_shared_with_me(
        owner, f"{owner}-shared", f"{rng.choice(REPO_WORDS)}-{index}", valid,
        category=rng.choice(CATEGORIES), description=rng.choice(DESCRIPTIONS),
        num_download=int(min(rng.lognormvariate(4, 2), 1e7)), created=created, updated=updated, tags=tags,
    )

