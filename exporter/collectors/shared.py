"""Collector ``shared``: repositories shared by this account (``self``) and with it (``thirdparty``).

``GET /v2/manage/shared-repositories?center=self|thirdparty`` (ListSharedReposDetails, seed 002), paged.
Account-wide, so only shard 0 polls it::

    # HELP swr_shared_repositories Number of shared repositories: direction=self shared by this account, ...
    # TYPE swr_shared_repositories gauge
    swr_shared_repositories{direction="thirdparty"} 1.0
    swr_shared_repository_images{direction="self",owner_account="acme",organization="g",repository="r"} 2.0
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.core import Metric

from exporter import metrics
from exporter.collectors.fields import Item, series
from exporter.collectors.spec import CollectorSpec, FetchContext

OPERATION = "ListSharedReposDetails"
DIRECTIONS = ("self", "thirdparty")


@dataclass(frozen=True, slots=True)
class SharedRepository:
    direction: str  # "self": shared by this account; "thirdparty": shared with it
    owner_account: str
    organization: str
    name: str
    category: str
    size_bytes: int | None
    images: int | None
    valid: bool | None  # only meaningful for thirdparty

    def values(self) -> tuple[float | None, ...]:
        """In the order of ``VALUED``."""
        return (metrics.flag(self.valid), self.size_bytes, self.images)


VALUED = (metrics.SHARED_REPOSITORY_VALID, metrics.SHARED_REPOSITORY_SIZE, metrics.SHARED_REPOSITORY_IMAGES)


def parse_shared_list(operation: str, direction: str, items: Sequence[object]) -> list[SharedRepository]:
    """Elements of ``GET /v2/manage/shared-repositories``; ``status`` only means validity in the
    thirdparty view."""
    result = []
    for index, obj in enumerate(items):
        item = Item(operation, f"item {index}", obj)
        valid = item.boolean("status")
        result.append(
            SharedRepository(
                direction=direction,
                owner_account=item.text("domain_name") or "",
                organization=item.name("namespace"),
                name=item.name("name"),
                category=item.text("category") or "",
                size_bytes=item.integer("size"),
                images=item.integer("num_images"),
                valid=valid if direction == "thirdparty" else None,
            )
        )
    return result


def list_direction(ctx: FetchContext, direction: str) -> list[SharedRepository]:
    items = ctx.client.list_shared_repos(direction)
    return ctx.client.decode(OPERATION, lambda: parse_shared_list(OPERATION, direction, items))


def fetch(ctx: FetchContext) -> tuple[SharedRepository, ...]:
    shared: dict[tuple[str, str, str, str], SharedRepository] = {}
    for direction in DIRECTIONS:
        for repo in list_direction(ctx, direction):
            shared.setdefault((direction, repo.owner_account, repo.organization, repo.name), repo)
    return tuple(shared[key] for key in sorted(shared))


def families(everything: tuple[SharedRepository, ...], kept: Sequence[SharedRepository]) -> Iterator[Metric]:
    totals = metrics.SHARED_REPOSITORIES.gauge()
    for direction in DIRECTIONS:
        totals.add_metric([direction], float(sum(r.direction == direction for r in everything)))
    yield totals
    info = metrics.SHARED_REPOSITORY_INFO.gauge()
    for repo in kept:
        info.add_metric([*_labels(repo), repo.category], 1.0)
    yield info
    yield from metrics.valued_families(VALUED, ((_labels(repo), repo.values()) for repo in kept))


def _labels(repo: SharedRepository) -> tuple[str, str, str, str]:
    return repo.direction, repo.owner_account, repo.organization, repo.name


SPEC: CollectorSpec[tuple[SharedRepository, ...], SharedRepository] = CollectorSpec(
    name="shared",
    phase=1,
    scope="account",
    fetch=fetch,
    families=families,
    records=lambda shared: shared,
    cost=lambda repo: series(repo.values()),
)
