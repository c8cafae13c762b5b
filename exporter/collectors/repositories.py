"""Collector ``repositories``: size, images, downloads, visibility and times of every watched repository.

``GET /v2/manage/repos`` (ListReposDetails, offset paging): one account-wide listing when nothing narrows
the set (fewest calls), one per watched organization otherwise. With an explicit ``repositories:`` list,
the brief-info endpoint of each (ShowRepository, seed 000) instead::

    # HELP swr_repository_size_bytes Total size of the repository's images in bytes. Refreshed ...
    # TYPE swr_repository_size_bytes gauge
    swr_repository_size_bytes{organization="group",repository="busybox"} 2099575.0

Key names follow swr-api.md section 2: the lists say ``created_at``/``updated_at``, the brief-info
endpoint ``created``/``updated``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import Any

from prometheus_client.core import Metric

from exporter import metrics
from exporter.collectors import organizations
from exporter.collectors.fields import Item, series
from exporter.collectors.spec import CollectorSpec, FetchContext, PartialFailure, Unavailable
from exporter.config.model import RepositoryRef
from exporter.swr.errors import ApiError

log = logging.getLogger(__name__)

LIST = "ListReposDetails"
BRIEF = "ShowRepository"


@dataclass(frozen=True, slots=True)
class Repository:
    organization: str
    name: str
    category: str
    size_bytes: int | None
    images: int | None
    downloads: int | None
    public: bool | None
    created: float | None
    updated: float | None

    def values(self) -> tuple[float | None, ...]:
        """In the order of ``VALUED``."""
        public = metrics.flag(self.public)
        return (self.size_bytes, self.images, self.downloads, public, self.created, self.updated)


VALUED = (
    metrics.REPOSITORY_SIZE,
    metrics.REPOSITORY_IMAGES,
    metrics.REPOSITORY_DOWNLOADS,
    metrics.REPOSITORY_PUBLIC,
    metrics.REPOSITORY_CREATED,
    metrics.REPOSITORY_UPDATED,
)


def _repository(item: Item, organization: str, created_key: str, updated_key: str) -> Repository:
    # Organizations and categories recur across thousands of repositories: one string each, shared
    # by the records and by the label tuples of every family.
    return Repository(
        organization=sys.intern(organization),
        name=item.name("name"),
        category=sys.intern(item.text("category") or ""),
        size_bytes=item.integer("size"),
        images=item.integer("num_images"),
        downloads=item.count("num_download"),  # a counter
        public=item.boolean("is_public"),
        created=item.timestamp(created_key),
        updated=item.timestamp(updated_key),
    )


def parse_repository_list(operation: str, items: Sequence[object], first: int = 0) -> list[Repository]:
    """Elements of ``GET /v2/manage/repos`` (ShowReposResp); ``first``: the index of the first item in
    the whole listing, for the error messages."""
    result = []
    for index, obj in enumerate(items, first):
        item = Item(operation, f"item {index}", obj)
        result.append(_repository(item, item.name("namespace"), "created_at", "updated_at"))
    return result


def parse_repository_brief(operation: str, organization: str, obj: object) -> Repository:
    """The brief-info object of ``GET /v2/manage/namespaces/{ns}/repos/{repo}`` (seed 000), which says
    ``created``/``updated`` where the lists say ``created_at``/``updated_at``."""
    return _repository(Item(operation, "response", obj), organization, "created", "updated")


def unique_sorted(repos: Iterable[Repository]) -> tuple[Repository, ...]:
    """Offset paging over a changing list can repeat an item at a page boundary; keep one of each.

    Sorted by organization, then name, one organization at a time: one sort of 100,000 (organization,
    name) keys holds the GIL for 40 to 160 ms, and scrapes wait; a few hundred small sorts of names
    let them in between, and compare strings rather than tuples."""
    by_organization: dict[str, dict[str, Repository]] = {}
    for repo in repos:
        by_organization.setdefault(repo.organization, {}).setdefault(repo.name, repo)
    ordered: list[Repository] = []
    for organization in sorted(by_organization):
        names = by_organization[organization]
        ordered += (names[name] for name in sorted(names))
    return tuple(ordered)


def fetch(ctx: FetchContext) -> tuple[Repository, ...]:
    if ctx.polling.repositories:
        return _briefs_with_carry_over(ctx, *_briefs(ctx))
    client = ctx.client
    same = _unchanged(ctx.store)
    if not ctx.polling.narrowed:
        # Each page parsed as it arrives, while the later ones are still on their way; only the records
        # are kept, never the whole listing's JSON at once.
        listed: list[Repository] = []
        for items in client.list_repos_pages():
            listed += same(client.decode(LIST, partial(parse_repository_list, LIST, items, len(listed))))
        ctx.store["listed"] = result = unique_sorted(listed)
        return result
    orgs = ctx.earlier.get(organizations.SPEC)
    if orgs is None:
        raise Unavailable("the organization list is unavailable, so the filtered listing cannot run")

    def organization(name: str) -> list[Repository]:
        # Page by page here too: a large organization's listing is never all JSON at once.
        ours: list[Repository] = []
        seen = 0
        for items in client.list_repos_pages(namespace=name):
            listed = client.decode(LIST, partial(parse_repository_list, LIST, items, seen))
            seen += len(listed)
            # SWR documents the namespace filter as fuzzy: asking for "team" may bring "team-a"'s too.
            # Those belong to their own organization's listing (and maybe another shard), never here.
            ours += same([repo for repo in listed if repo.organization == name])
        if len(ours) < seen:
            log.debug("ListReposDetails for %s also returned %d repositories of other organizations",
                      name, seen - len(ours))
        return ours

    repos: list[Repository] = []
    for org, found in zip(orgs.watched, client.map(lambda org: organization(org.name), orgs.watched),
                          strict=True):
        if isinstance(found, ApiError):
            if found.reason != "not_found":
                raise found
            log.info("organization %s disappeared between listing and detail calls", org.name)
            continue
        repos += found
    ctx.store["listed"] = result = unique_sorted(repos)
    return result


def _unchanged(store: dict[Any, Any]) -> Callable[[list[Repository]], list[Repository]]:
    """Records equal to the last poll's are that poll's objects: the new snapshot shares them with the
    one still being served, and the new copies are freed as soon as their page is parsed."""
    last = {(repo.organization, repo.name): repo for repo in store.get("listed", ())}

    def same(repos: list[Repository]) -> list[Repository]:
        if not last:
            return repos
        result = []
        for repo in repos:
            old = last.get((repo.organization, repo.name))
            result.append(old if old == repo else repo)
        return result

    return same


def _briefs(ctx: FetchContext) -> tuple[list[Repository], list[tuple[RepositoryRef, ApiError]]]:
    """The brief-info endpoint for each configured repository, in parallel; each fails on its own."""
    client = ctx.client
    refs = [ref for ref in ctx.polling.repositories if ctx.polling.watches(ref.organization)]

    def one(ref: RepositoryRef) -> Repository:
        answer = client.show_repository(ref.organization, ref.name)
        return client.decode(BRIEF, lambda: parse_repository_brief(BRIEF, ref.organization, answer))

    repos, failures = [], []
    for ref, result in zip(refs, client.map(one, refs), strict=True):
        if isinstance(result, ApiError):
            failures.append((ref, result))
        else:
            repos.append(result)
    return repos, failures


def _briefs_with_carry_over(
    ctx: FetchContext, repos: list[Repository], failures: list[tuple[RepositoryRef, ApiError]]
) -> tuple[Repository, ...]:
    """A configured repository that fails keeps its last good record until max_staleness, so one
    missing repository does not hide the others."""
    now = ctx.clock()
    good: dict[tuple[str, str], tuple[Repository, float]] = ctx.store.setdefault("briefs", {})
    for repo in repos:
        good[repo.organization, repo.name] = (repo, now)
    kept = list(repos)
    for ref, _ in failures:
        earlier = good.get((ref.organization, ref.name))
        if earlier is not None and now - earlier[1] <= ctx.polling.max_staleness:
            kept.append(earlier[0])
    result = unique_sorted(kept)
    if failures:
        first_ref, first_error = failures[0]
        raise PartialFailure(
            f"{len(failures)} of {len(failures) + len(repos)} configured repositories failed; "
            f"first {first_ref.organization}/{first_ref.name}: {first_error}",
            result,
        ) from first_error
    return result


def families(_: tuple[Repository, ...], kept: Sequence[Repository]) -> Iterator[Metric]:
    yield from metrics.record_families((metrics.REPOSITORY_INFO,), kept, _INFO_LABELS, (_one,))
    yield from metrics.record_families(VALUED, kept, _LABELS, _COLUMNS)


_INFO_LABELS = attrgetter("organization", "name", "category")
_LABELS = attrgetter("organization", "name")
# VALUED's columns, each read on its own (a boolean's float is its 0/1 sample value).
_COLUMNS = tuple(attrgetter(field) for field in ("size_bytes", "images", "downloads", "public", "created",
                                                   "updated"))


def _one(_: Repository) -> float:
    return 1.0


SPEC: CollectorSpec[tuple[Repository, ...], Repository] = CollectorSpec(
    name="repositories",
    phase=1,
    scope="organization",
    fetch=fetch,
    families=families,
    records=lambda repos: repos,
    cost=lambda repo: series(repo.values()),
)
