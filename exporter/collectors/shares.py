"""Collector ``shares``: with whom each repository this account shares is shared, and until when.

``GET /v2/manage/namespaces/{ns}/repositories/{repo}/access-domains`` (ListRepoDomains), one call per
repository this account shares; the list of those comes from the ``shared`` collector of the same poll,
or from one ``center=self`` listing when that collector is off or this is not shard 0::

    # HELP swr_repository_shares Number of accounts a repository of this account is shared with ...
    # TYPE swr_repository_shares gauge
    swr_repository_shares{organization="group",repository="busybox"} 2.0
    swr_repository_shares_truncated{organization="group",repository="busybox"} 0.0
    swr_repository_share_expiry_timestamp_seconds{organization="g",repository="r",shared_with="acme"} 1.8e+09
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from prometheus_client.core import Metric

from exporter import metrics
from exporter.collectors import shared as shared_collector
from exporter.collectors.fields import Item
from exporter.collectors.spec import CollectorSpec, FetchContext
from exporter.swr.errors import ApiError

OPERATION = "ListRepoDomains"
# "By default, 100 records will be returned", and there is no paging (swr-api.md 12): a list this long
# may have been cut.
ACCESS_DOMAINS_CAP = 100


@dataclass(frozen=True, slots=True)
class Share:
    """One account a repository of ours is shared with (access-domains)."""

    shared_with: str
    permit: str
    valid: bool | None
    expiry: float | None  # None: shared forever, or unknown


@dataclass(frozen=True, slots=True)
class RepositoryShares:
    organization: str
    repository: str
    shares: tuple[Share, ...]
    truncated: bool = False  # the list came back with SWR's cap: there may be more

    @property
    def series(self) -> int:
        return 2 + sum((s.valid is not None) + (s.expiry is not None) for s in self.shares)


def parse_access_domains(
    operation: str, organization: str, repository: str, items: Sequence[object]
) -> RepositoryShares:
    """``deadline`` is a UTC time or ``forever``."""
    shares = []
    for index, obj in enumerate(items):
        item = Item(operation, f"item {index}", obj)
        deadline = item.text("deadline")
        expiry = None if deadline in (None, "", "forever") else item.timestamp("deadline")
        shares.append(
            Share(item.name("access_domain"), item.text("permit") or "", item.boolean("status"), expiry)
        )
    unique = {share.shared_with: share for share in reversed(shares)}  # one series each; first wins
    ordered = sorted(unique.values(), key=lambda share: share.shared_with)
    return RepositoryShares(organization, repository, tuple(ordered), len(items) >= ACCESS_DOMAINS_CAP)


def fetch(ctx: FetchContext) -> tuple[RepositoryShares, ...]:
    client = ctx.client
    shared = ctx.earlier.get(shared_collector.SPEC)
    if shared is None:
        shared = tuple(shared_collector.list_direction(ctx, "self"))
    ours = sorted({(r.organization, r.name) for r in shared
                   if r.direction == "self" and ctx.polling.watches(r.organization)})
    answers = client.map(lambda key: client.list_repo_domains(*key), ours)
    result = []
    for (organization, repository), answer in zip(ours, answers, strict=True):
        if isinstance(answer, ApiError):
            if answer.reason == "not_found":  # unshared or deleted since the list was made
                continue
            raise answer
        parse = partial(parse_access_domains, OPERATION, organization, repository, answer)
        result.append(client.decode(OPERATION, parse))
    return tuple(result)


def families(_: tuple[RepositoryShares, ...], kept: Sequence[RepositoryShares]) -> Iterator[Metric]:
    count = metrics.REPOSITORY_SHARES.gauge()
    truncated = metrics.REPOSITORY_SHARES_TRUNCATED.gauge()
    valid = metrics.REPOSITORY_SHARE_VALID.gauge()
    expiry = metrics.REPOSITORY_SHARE_EXPIRY.gauge()
    for entry in kept:
        labels = (entry.organization, entry.repository)
        count.add_metric(list(labels), float(len(entry.shares)))
        truncated.add_metric(list(labels), float(entry.truncated))
        for share in entry.shares:
            metrics.add(valid, [*labels, share.shared_with, share.permit], metrics.flag(share.valid))
            metrics.add(expiry, [*labels, share.shared_with], share.expiry)
    yield count
    yield truncated
    yield valid
    yield expiry


SPEC: CollectorSpec[tuple[RepositoryShares, ...], RepositoryShares] = CollectorSpec(
    name="shares",
    phase=2,
    scope="organization",
    fetch=fetch,
    families=families,
    records=lambda entries: entries,
    cost=lambda entry: entry.series,
    default_enabled=False,
    default_interval=900.0,
)
