"""The SWR management API operations and their paging, over a :class:`~exporter.swr.transport.Transport`.

Operations carry the Huawei SDK's operation names, which become the ``operation`` label of the
exporter's API metrics. Path parameters are quoted as the SDK quotes them, ``quote(v, safe='')``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import quote

from exporter.swr.credentials import RequestAuth
from exporter.swr.enterprise import EnterpriseCalls
from exporter.swr.errors import ApiError, InvalidResponse
from exporter.swr.transport import Reply, Transport

# ApiError is re-exported for the importers (tests) that predate errors.py as its home.
__all__ = ["ApiError", "SwrClient"]

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
Pairs = Sequence[tuple[str, object]]
Item = dict[str, Any]

# 10,000 pages of 1,000 are ten million repositories, far beyond any real account: a total that needs
# more pages is a lie of the API, and believing it would mean as many requests (and offsets in memory).
MAX_PAGES = 10_000


class SwrClient(EnterpriseCalls):
    """The calls of :class:`~exporter.swr.api.SwrApi`; every request goes through ``transport``. The
    Enterprise Edition's come from :class:`~exporter.swr.enterprise.EnterpriseCalls`."""

    def __init__(self, transport: Transport, *, endpoint: str, auth: RequestAuth,
                 project_id: str | None = None, page_size: int = 1000, max_pages: int = MAX_PAGES) -> None:
        self._transport = transport
        self._endpoint = endpoint
        self._auth = auth
        self._project_id = project_id
        self._page_size = page_size
        self._max_pages = max(1, max_pages)

    @property
    def project_id(self) -> str | None:
        """The configured project, else the one the IAM token was scoped to (after the first token)."""
        return self._project_id or self._auth.project_id

    @property
    def auth(self) -> RequestAuth:
        """The credentials: a reload asks them to re-read their files (``TargetRuntime``)."""
        return self._auth

    def credentials_expiry(self) -> float | None:
        """When the temporary credentials or token in use expire (Unix time); None for a permanent AK/SK
        or when unknown (a token or triple in files)."""
        expires_at = getattr(self._auth, "expires_at", None)
        return expires_at if isinstance(expires_at, float | int) else None

    def list_namespaces(self) -> list[Item]:
        # mode::visible also lists organizations the account sees only through a grant on one of their
        # repositories (swr-api.md 12); without it they, and their repositories, would go missing.
        reply = self._get("ListNamespaces", "/v2/manage/namespaces", [("filter", "mode::visible")])
        return self.decode(reply.operation, lambda: _member_list(reply, "namespaces"))

    def list_repos(self, namespace: str | None = None) -> list[Item]:
        return [item for page in self.list_repos_pages(namespace) for item in page]

    def list_repos_pages(self, namespace: str | None = None) -> Iterator[list[Item]]:
        """The pages of ``list_repos``, in order, each as soon as it and those before it have arrived
        (the later ones are fetched in parallel meanwhile): a caller parses one while others travel."""
        pairs = [("namespace", namespace)] if namespace is not None else []
        return self._pages("ListReposDetails", "/v2/manage/repos", pairs)

    def show_repository(self, namespace: str, repository: str) -> Item:
        reply = self._get("ShowRepository", _repo_path(namespace, "repos", repository))
        return self.decode(reply.operation, lambda: _object(reply))

    def list_shared_repos(self, center: str) -> list[Item]:
        return self._paged("ListSharedReposDetails", "/v2/manage/shared-repositories", [("center", center)])

    def list_repo_domains(self, namespace: str, repository: str) -> list[Item]:
        path = _repo_path(namespace, "repositories", repository) + "/access-domains"
        reply = self._get("ListRepoDomains", path)
        return self.decode(reply.operation, lambda: _list(reply, reply.data))

    def list_quotas(self, project_id: str) -> list[Item]:
        reply = self._get("ListQuotas", f"/v2/manage/projects/{quote(project_id, safe='')}/quotas")
        return self.decode(reply.operation, lambda: _member_list(reply, "quotas"))

    def show_domain_overview(self) -> Item:
        reply = self._get("ShowDomainOverview", "/v2/manage/overview")
        return self.decode(reply.operation, lambda: _object(reply))

    def list_repository_tags(self, namespace: str, repository: str) -> list[Item]:
        return self._paged("ListRepositoryTags", _repo_path(namespace, "repos", repository) + "/tags", [])

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R | ApiError]:
        """fn over items in parallel, results in input order; an ApiError takes its item's slot.

        A fresh pool per call, so a fn that itself calls map() never waits for its own pool; the
        transport's semaphore, not the pools, bounds the requests in flight. Once the client is closed
        every fn fails at once, without a pool: none may be started while the interpreter shuts down.
        """
        work = items if isinstance(items, Sequence) else list(items)
        if len(work) <= 1 or self._transport.closed:
            return [_capture(fn, item) for item in work]
        pool = ThreadPoolExecutor(max_workers=min(self._transport.max_concurrency, len(work)),
                                  thread_name_prefix="swr-client")
        try:
            return list(pool.map(lambda item: _capture(fn, item), work))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def decode(self, operation: str, parse: Callable[[], T]) -> T:
        """``parse()``; an :class:`InvalidResponse` it raises is counted for ``operation`` and re-raised.

        For the collectors' parsers: ``client.decode("ListReposDetails", lambda: parse(items))``.
        """
        return self._transport.decode(operation, parse)

    def close(self) -> None:
        """Fail every request from now on, at once, IAM token requests of this target's credentials too."""
        self._transport.close()

    def _get(self, operation: str, path: str, pairs: Pairs = ()) -> Reply:
        return self._transport.send(operation, "GET", self._endpoint, path, pairs, auth=self._auth)

    def _paged(self, operation: str, path: str, pairs: Pairs) -> list[Item]:
        return [item for page in self._pages(operation, path, pairs) for item in page]

    def _pages(self, operation: str, path: str, pairs: Pairs) -> Iterator[list[Item]]:
        first, total = self._page(operation, path, pairs, 0, self._page_size)
        yield first
        pages, items = 1, len(first)
        for page in self._more_pages(operation, path, pairs, len(first), total):
            pages, items = pages + 1, items + len(page)
            yield page
        log.debug("%s: %d items in %d pages (total %s)", operation, items, pages, total)

    def _more_pages(self, operation: str, path: str, pairs: Pairs, first: int,
                    total: int | None) -> Iterator[list[Item]]:
        """The pages after a first one of ``first`` items: in parallel when the total is known."""
        size = self._page_size
        if total is not None and 0 < first < min(size, total):
            # Fewer items than asked for while the total says there are more: the server caps the
            # page size below our limit. Step by what it sends, and ask that as the limit too: SWR
            # wants every offset to be 0 or a multiple of the limit sent.
            size = first
        elif first < size:
            return
        if total is None:
            yield from self._sequential_pages(operation, path, pairs, size)
            return
        if -(-total // size) > self._max_pages:
            self._refuse(operation, f"a total of {total}", size)
        # range() is lazy and sized: no list of offsets however large the total.
        yield from self._in_order(lambda offset: self._page(operation, path, pairs, offset, size)[0],
                                  range(size, total, size))

    def _in_order(self, fn: Callable[[int], list[Item]], offsets: range) -> Iterator[list[Item]]:
        """``fn`` over ``offsets`` in parallel, each result yielded as soon as it and the earlier ones
        are in (the first ApiError raised in its place); the rest cancelled if the caller stops."""
        if len(offsets) <= 1 or self._transport.closed:
            yield from map(fn, offsets)
            return
        pool = ThreadPoolExecutor(max_workers=min(self._transport.max_concurrency, len(offsets)),
                                  thread_name_prefix="swr-client")
        try:
            yield from pool.map(fn, offsets)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _sequential_pages(self, operation: str, path: str, pairs: Pairs,
                          size: int) -> Iterator[list[Item]]:
        """Without a total: one page after the other until one is short, at most ``max_pages`` in all."""
        pages, last = 1, size
        while last == size:
            if pages >= self._max_pages:
                self._refuse(operation, "full pages", size)
            page = self._page(operation, path, pairs, pages * size, size)[0]
            pages, last = pages + 1, len(page)
            yield page

    def _refuse(self, operation: str, what: str, size: int) -> None:
        """Raise an InvalidResponse, counted like any other: more pages than ``max_pages`` cannot be true."""
        detail = f"{what} of {size} items need more than {self._max_pages} pages"

        def parse() -> None:
            raise InvalidResponse(operation, detail)

        self.decode(operation, parse)

    def _page(self, operation: str, path: str, pairs: Pairs, offset: int,
              limit: int) -> tuple[list[Item], int | None]:
        reply = self._get(operation, path, [*pairs, ("limit", limit), ("offset", offset)])
        items = self.decode(operation, lambda: _list(reply, reply.data))
        return items, _total(reply.headers.get("Content-Range"), items)


def _list(reply: Reply, data: object) -> list[Item]:
    if data is None:  # what the SDK makes of [], and what a null body means
        return []
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise _invalid(reply, "expected a JSON array of objects")
    return data


def _object(reply: Reply) -> Item:
    if not isinstance(reply.data, dict):
        raise _invalid(reply, "expected a JSON object")
    return reply.data


def _member_list(reply: Reply, key: str) -> list[Item]:
    data = _object(reply)
    if key not in data:
        raise _invalid(reply, f'no "{key}" member')
    return _list(reply, data[key])


def _invalid(reply: Reply, detail: str) -> InvalidResponse:
    return InvalidResponse(reply.operation, detail, status=reply.status, request_id=reply.request_id)


def _capture(fn: Callable[[T], R], item: T) -> R | ApiError:
    try:
        return fn(item)
    except ApiError as error:
        return error


def _repo_path(namespace: str, kind: str, repository: str) -> str:
    # SWR wants "$" for the "/" inside repository names (docs); quoting then sends it as %24.
    return (f"/v2/manage/namespaces/{quote(namespace, safe='')}/{kind}/"
            f"{quote(repository.replace('/', '$'), safe='')}")


def _total(content_range: str | None, items: list[Item]) -> int | None:
    """Total from "offset-count/total", else the elements' total_range; the middle number is ignored."""
    if content_range and "/" in content_range:
        tail = content_range.rsplit("/", 1)[1].strip()
        if tail.isdigit():
            return int(tail)
    value = items[0].get("total_range") if items else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
