"""SwrClient paging: Content-Range, total_range, sequential fallback, order and failures."""

from __future__ import annotations

import threading

import pytest

from exporter.swr.errors import ApiError
from tests.fakes.http import ENDPOINT, make_client

REPOS = f"{ENDPOINT}/v2/manage/repos"


class PagedServer:
    """Serves ``total`` repositories by offset/limit, optionally announcing the total."""

    def __init__(self, total: int, *, content_range: str | None = "{offset}-{count}/{total}",
                 total_range: bool = False, fail_offset: int | None = None, cap: int | None = None) -> None:
        self.items = [{"name": f"repo-{i:05d}"} for i in range(total)]
        if total_range:
            for item in self.items:
                item["total_range"] = total
        self.content_range = content_range
        self.fail_offset = fail_offset
        self.cap = cap  # a server that sends at most this many items whatever the limit
        self.offsets: list[int] = []
        self.limits: set[int] = set()
        self.requests: list[tuple[int, int]] = []  # (offset, limit) as asked
        self._lock = threading.Lock()

    def __call__(self, request, context):
        offset, limit = int(request.qs["offset"][0]), int(request.qs["limit"][0])
        with self._lock:
            self.offsets.append(offset)
            self.limits.add(limit)
            self.requests.append((offset, limit))
        if offset == self.fail_offset:
            context.status_code = 500
            return {"error_code": "SVCSTG.SWR.5000001", "error_msg": "boom"}
        page = self.items[offset:offset + min(limit, self.cap or limit)]
        if self.content_range is not None:
            context.headers["Content-Range"] = self.content_range.format(
                offset=offset, count=len(page), end=offset + max(len(page), 1) - 1, total=len(self.items))
        return page


@pytest.mark.parametrize("content_range", ["{offset}-{count}/{total}", "{offset}-{end}/{total}"])
def test_known_total_fetches_every_remaining_page_once_and_keeps_order(requests_mock, content_range):
    server = PagedServer(2500, content_range=content_range)
    requests_mock.get(REPOS, json=server)
    h = make_client(max_concurrency=3)

    items = h.client.list_repos()

    assert items == server.items
    assert sorted(server.offsets) == [0, 1000, 2000]
    assert server.offsets[0] == 0
    assert server.limits == {1000}


def test_a_server_that_caps_the_page_size_below_the_limit_still_yields_every_item(requests_mock):
    server = PagedServer(250, cap=100)
    requests_mock.get(REPOS, json=server)
    h = make_client(max_concurrency=3)

    assert h.client.list_repos() == server.items
    assert sorted(server.offsets) == [0, 100, 200]
    # After the capped first page the limit sent is the page size, so every offset is a multiple of it.
    assert sorted(server.requests) == [(0, 1000), (100, 100), (200, 100)]


def test_total_range_is_used_when_content_range_is_missing(requests_mock):
    server = PagedServer(2500, content_range=None, total_range=True)
    requests_mock.get(REPOS, json=server)
    h = make_client(max_concurrency=3)

    assert h.client.list_repos() == server.items
    assert sorted(server.offsets) == [0, 1000, 2000]


@pytest.mark.parametrize(("total", "offsets"), [(2500, [0, 1000, 2000]), (2000, [0, 1000, 2000]),
                                                (999, [0])])
def test_unknown_total_pages_sequentially_until_a_short_page(requests_mock, total, offsets):
    server = PagedServer(total, content_range=None)
    requests_mock.get(REPOS, json=server)
    h = make_client()

    assert h.client.list_repos() == server.items
    assert server.offsets == offsets


def test_unreadable_content_range_falls_back_to_sequential_paging(requests_mock):
    server = PagedServer(1500, content_range="items */*")
    requests_mock.get(REPOS, json=server)

    assert make_client().client.list_repos() == server.items
    assert server.offsets == [0, 1000]


def test_empty_first_page_ends_paging(requests_mock):
    server = PagedServer(0)
    requests_mock.get(REPOS, json=server)

    assert make_client().client.list_repos() == []
    assert server.offsets == [0]


def test_a_failed_page_fails_the_whole_listing(requests_mock):
    server = PagedServer(2500, fail_offset=1000)
    requests_mock.get(REPOS, json=server)
    h = make_client(retries=0)

    with pytest.raises(ApiError) as caught:
        h.client.list_repos()

    assert (caught.value.operation, caught.value.reason) == ("ListReposDetails", "server_error")


@pytest.mark.parametrize(
    ("call", "url", "operation"),
    [
        (lambda c: c.list_shared_repos("thirdparty"), f"{ENDPOINT}/v2/manage/shared-repositories",
         "ListSharedReposDetails"),
        (lambda c: c.list_repository_tags("group", "busybox"),
         f"{ENDPOINT}/v2/manage/namespaces/group/repos/busybox/tags", "ListRepositoryTags"),
    ],
)
def test_shared_and_tag_listings_are_paged_with_page_size(requests_mock, call, url, operation):
    server = PagedServer(5)
    requests_mock.get(url, json=server)
    h = make_client(page_size=2)

    assert call(h.client) == server.items
    assert sorted(server.offsets) == [0, 2, 4]
    assert server.limits == {2}
    assert h.observer.requests == [(operation, "200")] * 3


def test_pages_are_handed_over_in_order_as_they_arrive(requests_mock):
    server = PagedServer(5000)
    requests_mock.get(REPOS, json=server)
    h = make_client(max_concurrency=2)
    pages = h.client.list_repos_pages()
    # The caller holds the first page before any other is asked for: it parses while they travel.
    assert next(pages) == server.items[:1000] and server.offsets == [0]
    assert next(pages) == server.items[1000:2000]
    pages.close()  # e.g. a page did not parse: the listing stops there
    assert [item for page in h.client.list_repos_pages() for item in page] == server.items
