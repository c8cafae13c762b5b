"""Collector ``quotas``: the account's SWR quotas, limit and use.

``GET /v2/manage/projects/{project_id}/quotas`` (ListQuotas), one call, hourly by default (quotas change
slowly). Account-wide, so only shard 0 polls it::

    # HELP swr_quota_limit SWR quota limit of the account. Refreshed ...
    # TYPE swr_quota_limit gauge
    swr_quota_limit{quota="namespace"} 15.0
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.core import Metric

from exporter import metrics
from exporter.collectors.fields import Item
from exporter.collectors.spec import CollectorSpec, FetchContext, Unavailable

OPERATION = "ListQuotas"


@dataclass(frozen=True, slots=True)
class Quota:
    key: str
    limit: int | None
    used: int | None


def parse_quotas(operation: str, items: Sequence[object]) -> list[Quota]:
    result = []
    for index, obj in enumerate(items):
        item = Item(operation, f"quotas[{index}]", obj)
        result.append(Quota(item.name("quota_key"), item.integer("quota_limit"), item.integer("used")))
    return result


def fetch(ctx: FetchContext) -> tuple[Quota, ...]:
    project_id = ctx.client.project_id
    if not project_id:
        raise Unavailable("project_id is unknown: it is not configured and no IAM token has named it yet")
    items = ctx.client.list_quotas(project_id)
    quotas = ctx.client.decode(OPERATION, lambda: parse_quotas(OPERATION, items))
    unique = {quota.key: quota for quota in reversed(quotas)}  # a key listed twice: the first one wins
    return tuple(sorted(unique.values(), key=lambda q: q.key))


def families(_: tuple[Quota, ...], kept: Sequence[Quota]) -> Iterator[Metric]:
    if not kept:
        return
    rows = (((quota.key,), (quota.limit, quota.used)) for quota in kept)
    yield from metrics.valued_families((metrics.QUOTA_LIMIT, metrics.QUOTA_USED), rows)


SPEC: CollectorSpec[tuple[Quota, ...], Quota] = CollectorSpec(
    name="quotas",
    phase=1,
    scope="account",
    fetch=fetch,
    families=families,
    records=lambda quotas: quotas,
    cost=lambda quota: (quota.limit is not None) + (quota.used is not None),
    default_interval=3600.0,
)
