"""Collector ``overview``: the account's own totals, as SWR counts them.

``GET /v2/manage/overview`` (ShowDomainOverview), one call per poll. Account-wide, so only shard 0 polls
it. The totals cover the whole account whatever the organization filter and shard say, which makes them
the check that a filtered or sharded setup sees what it should::

    # HELP swr_account_repositories Repositories in the account, as SWR's overview counts them, ...
    # TYPE swr_account_repositories gauge
    swr_account_repositories 412.0
    swr_account_storage_bytes 8.1e+10

``store_space`` and ``downflow_size`` are floats with no unit in the API; they are bytes, as repository
sizes are (swr-api.md section 12). ``namspace_num`` is spelt so by the API.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.core import Metric

from exporter import metrics
from exporter.collectors.fields import Item
from exporter.collectors.spec import CollectorSpec, FetchContext

OPERATION = "ShowDomainOverview"


@dataclass(frozen=True, slots=True)
class Overview:
    organizations: int | None
    repositories: int | None
    images: int | None
    storage_bytes: float | None
    download_traffic_bytes: float | None

    def values(self) -> tuple[float | None, ...]:
        """In the order of ``VALUED``."""
        return (self.organizations, self.repositories, self.images, self.storage_bytes,
                self.download_traffic_bytes)


VALUED = (
    metrics.ACCOUNT_ORGANIZATIONS,
    metrics.ACCOUNT_REPOSITORIES,
    metrics.ACCOUNT_IMAGES,
    metrics.ACCOUNT_STORAGE,
    metrics.ACCOUNT_DOWNLOAD_TRAFFIC,
)


def parse_overview(operation: str, obj: object) -> Overview:
    item = Item(operation, "response", obj)
    return Overview(item.integer("namspace_num"), item.integer("repo_num"), item.integer("image_num"),
                    item.number("store_space"), item.number("downflow_size"))


def fetch(ctx: FetchContext) -> Overview:
    answer = ctx.client.show_domain_overview()
    return ctx.client.decode(OPERATION, lambda: parse_overview(OPERATION, answer))


def families(_: Overview, kept: Sequence[Overview]) -> Iterator[Metric]:
    yield from metrics.valued_families(VALUED, (((), overview.values()) for overview in kept))


SPEC: CollectorSpec[Overview, Overview] = CollectorSpec(
    name="overview",
    phase=1,
    scope="account",
    fetch=fetch,
    families=families,
    records=lambda overview: (overview,),
    cost=lambda overview: sum(value is not None for value in overview.values()),
)
