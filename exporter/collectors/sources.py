"""What each collector fetches from the SWR API and how it turns the answers into model objects.

Each ``fetch_*`` function makes the fewest calls that answer its question (DESIGN.md section 4) and
raises ``ApiError`` or ``ResponseError`` when it cannot; the poller isolates collectors from each other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from exporter.config.loader import Polling, RepositoryRef
from exporter.polling.snapshot import (
    Image,
    Organization,
    Quota,
    Repository,
    RepositoryShares,
    ResponseError,
    SharedRepository,
    parse_access_domains,
    parse_organizations,
    parse_quotas,
    parse_repository_brief,
    parse_repository_list,
    parse_shared_list,
    parse_tags,
)
from exporter.swr.client import ApiError

log = logging.getLogger(__name__)


class Unavailable(Exception):
    """Something a collector needs is missing (configuration, or another collector's data)."""


class Client(Protocol):
    def list_namespaces(self) -> list[dict]: ...
    def list_repos(self, namespace: str | None = None) -> list[dict]: ...
    def show_repository(self, namespace: str, repository: str) -> dict: ...
    def list_shared_repos(self, center: str) -> list[dict]: ...
    def list_quotas(self, project_id: str) -> list[dict]: ...
    def list_repo_domains(self, namespace: str, repository: str) -> list[dict]: ...
    def list_repository_tags(self, namespace: str, repository: str) -> list[dict]: ...
    def map(self, fn: Callable, items: Iterable) -> list: ...


@dataclass(frozen=True)
class Organizations:
    """The organizations this process watches, and how many the filter and shard left out."""

    watched: tuple[Organization, ...]
    left_out: int


def _ours(polling: Polling, organization: str) -> bool:
    return polling.organizations.matches(organization) and polling.shard.owns(organization)


def narrowed(polling: Polling) -> bool:
    return polling.organizations.narrows or polling.shard.narrows


def fetch_organizations(client: Client, polling: Polling) -> Organizations:
    everything = parse_organizations("ListNamespaces", client.list_namespaces())
    watched = tuple(sorted((org for org in everything if _ours(polling, org.name)), key=lambda o: o.name))
    return Organizations(watched, len(everything) - len(watched))


def _unique_sorted(repos: Iterable[Repository]) -> tuple[Repository, ...]:
    """Offset paging over a changing list can repeat an item at a page boundary; keep one of each."""
    seen: dict[tuple[str, str], Repository] = {}
    for repo in repos:
        seen.setdefault((repo.organization, repo.name), repo)
    return tuple(seen[key] for key in sorted(seen))


def fetch_repositories(
    client: Client, polling: Polling, organizations: Sequence[Organization] | None
) -> tuple[Repository, ...]:
    """Global listing when nothing narrows the set (fewest calls); per organization otherwise."""
    if not narrowed(polling):
        return _unique_sorted(parse_repository_list("ListReposDetails", client.list_repos()))
    if organizations is None:
        raise Unavailable("the organization list is unavailable, so the filtered listing cannot run")
    pages = client.map(lambda org: client.list_repos(namespace=org.name), organizations)
    repos: list[Repository] = []
    for org, page in zip(organizations, pages, strict=True):
        if isinstance(page, ApiError):
            if page.reason != "not_found":
                raise page
            log.info("organization %s disappeared between listing and detail calls", org.name)
            continue
        repos.extend(parse_repository_list("ListReposDetails", page))
    return _unique_sorted(repos)


@dataclass(frozen=True)
class BriefResult:
    repositories: tuple[Repository, ...]
    failures: tuple[tuple[RepositoryRef, Exception], ...]


def fetch_repository_briefs(client: Client, polling: Polling) -> BriefResult:
    """The brief-info endpoint (seed 000) for each configured repository, in parallel."""
    refs = [ref for ref in polling.repositories if _ours(polling, ref.organization)]

    def one(ref: RepositoryRef) -> Repository:
        answer = client.show_repository(ref.organization, ref.name)
        return parse_repository_brief("ShowRepository", ref.organization, answer)

    repos, failures = [], []
    for ref, result in zip(refs, client.map(_keep_errors(one), refs), strict=True):
        if isinstance(result, Exception):
            failures.append((ref, result))
        else:
            repos.append(result)
    return BriefResult(_unique_sorted(repos), tuple(failures))


def _keep_errors(fn: Callable[[RepositoryRef], Repository]) -> Callable[[RepositoryRef], object]:
    """Let one malformed answer fail only its own repository, like an ApiError does."""

    def call(ref: RepositoryRef) -> object:
        try:
            return fn(ref)
        except ResponseError as error:
            return error

    return call


def fetch_shared(client: Client) -> tuple[SharedRepository, ...]:
    shared: dict[tuple[str, str, str, str], SharedRepository] = {}
    for direction in ("self", "thirdparty"):
        items = client.list_shared_repos(direction)
        for repo in parse_shared_list("ListSharedReposDetails", direction, items):
            shared.setdefault((direction, repo.owner_account, repo.organization, repo.name), repo)
    return tuple(shared[key] for key in sorted(shared))


def fetch_quotas(client: Client, project_id: str | None) -> tuple[Quota, ...]:
    if not project_id:
        raise Unavailable("project_id is unknown: it is not configured and no IAM token has named it yet")
    quotas = parse_quotas("ListQuotas", client.list_quotas(project_id))
    return tuple(sorted(quotas, key=lambda q: q.key))


def fetch_shares(
    client: Client, polling: Polling, shared: Sequence[SharedRepository] | None
) -> tuple[RepositoryShares, ...]:
    """Access domains of each repository this account shares. The shared collector's ``center=self``
    list of this poll is reused when there is one; otherwise (it is off, or this is not shard 0) the
    list is fetched here."""
    if shared is None:
        shared = parse_shared_list("ListSharedReposDetails", "self", client.list_shared_repos("self"))
    ours = sorted(
        {(r.organization, r.name) for r in shared if r.direction == "self" and _ours(polling, r.organization)}
    )
    answers = client.map(lambda key: client.list_repo_domains(*key), ours)
    result = []
    for (organization, repository), answer in zip(ours, answers, strict=True):
        if isinstance(answer, ApiError):
            if answer.reason == "not_found":  # unshared or deleted since the list was made
                continue
            raise answer
        result.append(parse_access_domains("ListRepoDomains", organization, repository, answer))
    return tuple(result)


def fetch_tags(client: Client, repositories: Sequence[Repository] | None) -> tuple[Image, ...]:
    """Every tag of every watched repository: one paged listing per repository, in parallel."""
    if repositories is None:
        raise Unavailable("the repository list is unavailable, so the tags cannot be listed")
    keys = [(repo.organization, repo.name) for repo in repositories]
    answers = client.map(lambda key: client.list_repository_tags(*key), keys)
    images: list[Image] = []
    for (organization, repository), answer in zip(keys, answers, strict=True):
        if isinstance(answer, ApiError):
            if answer.reason == "not_found":  # deleted since the repository list was made
                continue
            raise answer
        # Offset paging while someone pushes can repeat a tag across a page boundary; one series each.
        unique: dict[str, Image] = {}
        for image in parse_tags("ListRepositoryTags", organization, repository, answer):
            unique.setdefault(image.tag, image)
        images.extend(unique.values())
    return tuple(images)
