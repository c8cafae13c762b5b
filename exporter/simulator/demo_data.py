"""The ``--demo`` account: shaped like a real one, seeded like the rest.

A real account is lopsided: one or two large organizations and a tail of small ones, most repositories
with a handful of images and a few with hundreds, a few public repositories, and shares whose deadline
comes up while nobody looks. ``generate.populate`` spreads repositories at random, which suits tests
that count things; this shape is for a person looking at the dashboards.
"""

from __future__ import annotations

import random

from exporter.simulator.data import CATEGORIES, Dataset
from exporter.simulator.generate import (
    DAY,
    DESCRIPTIONS,
    SHARE_DOMAINS,
    add_organizations,
    add_shared_with_me,
    make_tags,
    repo_name,
)

# Each organization's share of the repositories, largest first; the last is the visible-only one.
ORGANIZATION_SHARES = (0.32, 0.21, 0.16, 0.12, 0.08, 0.055, 0.035, 0.02)
PUBLIC_REPOSITORIES = 4
SHARED_REPOSITORIES = 8
SHARED_WITH_ME = 5


def organization_sizes(repositories: int) -> list[int]:
    """Repositories per organization, each at least one, adding up to ``repositories``."""
    if repositories < len(ORGANIZATION_SHARES):
        raise ValueError(f"the demo account needs at least {len(ORGANIZATION_SHARES)} repositories")
    sizes = [max(1, round(repositories * share)) for share in ORGANIZATION_SHARES]
    sizes[0] += repositories - sum(sizes)
    return sizes


def image_count(rng: random.Random, index: int) -> int:
    """Most repositories hold a handful of images, some dozens, a few hundreds (a CI pushing every build
    without clean-up); the first of each extreme is guaranteed."""
    if index == 0:
        return rng.randint(250, 400)
    if index == 1:
        return 1
    roll = rng.random()
    if roll < 0.25:
        return 1
    if roll < 0.75:
        return rng.randint(2, 12)
    if roll < 0.95:
        return rng.randint(13, 60)
    return rng.randint(100, 400)


def share_deadline(rng: random.Random, start: float, index: int) -> str | float:
    """The first two shares expire within days, the third has expired; then a mix."""
    if index < 2:
        return start + rng.uniform(DAY, 5 * DAY)
    if index == 2:
        return start - rng.uniform(DAY, 30 * DAY)
    return rng.choice(("forever", "forever", start + rng.uniform(30 * DAY, 365 * DAY),
                       start + rng.uniform(DAY, 7 * DAY)))


def demo_dataset(seed: int = 2026, repositories: int = 150, start: float | None = None) -> Dataset:
    dataset = Dataset() if start is None else Dataset(start=start)
    rng = random.Random(seed)
    orgs = add_organizations(dataset, rng, len(ORGANIZATION_SHARES))
    placed = [org for org, size in zip(orgs, organization_sizes(repositories), strict=True)
              for _ in range(size)]
    public = set(rng.sample(range(repositories), min(PUBLIC_REPOSITORIES, repositories)))
    shared = rng.sample(range(repositories), min(SHARED_REPOSITORIES, repositories))
    taken: dict[str, set[str]] = {org: set() for org in orgs}
    for index, org in enumerate(placed):
        name = repo_name(rng, taken[org], force_slash=index == 2)
        created = dataset.start - rng.uniform(7 * DAY, 3 * 365 * DAY)
        updated = rng.uniform(created, dataset.start - 60.0)
        tags = make_tags(dataset, rng, image_count(rng, index), created, updated)
        dataset.add_repository(
            org, name, category=rng.choice(CATEGORIES), description=rng.choice(DESCRIPTIONS),
            is_public=index in public, num_download=int(min(rng.lognormvariate(5, 2.5), 1e8)),
            created=created, updated=updated, tags=tags,
            creator_id=f"{rng.getrandbits(128):032x}", creator_name=rng.choice(("admin", "ci-bot", "alice")),
            download_rate=0.0 if rng.random() < 0.3 else rng.lognormvariate(-4, 1.5),
            image_interval=None if rng.random() < 0.6 else rng.uniform(6 * 3600.0, 7 * DAY),
            image_size=int(rng.lognormvariate(18, 1.0)),
        )
        if index in shared:
            number = shared.index(index)
            for domain in rng.sample(SHARE_DOMAINS, rng.randint(1, 3)):
                dataset.add_share(org, name, domain, deadline=share_deadline(rng, dataset.start, number),
                                  created=created, updated=updated)
    for index in range(SHARED_WITH_ME):
        add_shared_with_me(dataset, rng, index, 3)
    return dataset
