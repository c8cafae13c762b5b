"""Collector ``organizations``: the SWR organizations (namespaces) the credentials see.

``GET /v2/manage/namespaces`` (ListNamespaces), one call. Discovery: it runs every poll whatever the
switches say, because the filter, the shard and the per-organization listings depend on it::

    # HELP swr_organization_info Organization (SWR namespace) visible to the exporter's credentials, ...
    # TYPE swr_organization_info gauge
    swr_organization_info{organization="group",access="manage"} 1.0
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.core import Metric

from exporter import metrics
from exporter.collectors.fields import Item
from exporter.collectors.spec import CollectorSpec, FetchContext

OPERATION = "ListNamespaces"
ACCESS_BY_AUTH = {7: "manage", 3: "write", 1: "read"}


@dataclass(frozen=True, slots=True)
class Organization:
    name: str
    access: str


@dataclass(frozen=True)
class Organizations:
    """The organizations this process watches, and how many the filter and shard left out."""

    watched: tuple[Organization, ...]
    left_out: int


def parse_organizations(operation: str, items: Sequence[object]) -> list[Organization]:
    result = []
    for index, obj in enumerate(items):
        item = Item(operation, f"namespaces[{index}]", obj)
        auth = item.integer("auth")
        access = "unknown" if auth is None else ACCESS_BY_AUTH.get(auth, "unknown")
        result.append(Organization(item.name("name"), access))
    return result


def fetch(ctx: FetchContext) -> Organizations:
    items = ctx.client.list_namespaces()
    parsed = ctx.client.decode(OPERATION, lambda: parse_organizations(OPERATION, items))
    # One series per organization: a name listed twice would be a duplicate series, which makes
    # Prometheus reject the whole scrape. The first listing wins.
    everything = list({org.name: org for org in reversed(parsed)}.values())
    watched = sorted((org for org in everything if ctx.polling.watches(org.name)), key=lambda o: o.name)
    return Organizations(tuple(watched), len(everything) - len(watched))


def families(_: Organizations, kept: Sequence[Organization]) -> Iterator[Metric]:
    info = metrics.ORGANIZATION_INFO.gauge()
    for org in kept:
        info.add_metric([org.name, org.access], 1.0)
    yield info


SPEC: CollectorSpec[Organizations, Organization] = CollectorSpec(
    name="organizations",
    phase=0,
    scope="discovery",
    fetch=fetch,
    families=families,
    records=lambda orgs: orgs.watched,
    cost=lambda _: 1,
    filtered=lambda orgs: orgs.left_out,
)
