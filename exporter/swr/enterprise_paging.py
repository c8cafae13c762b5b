"""Paging of the Enterprise Edition API (swr-api.md 12.1): offset paging with ``total`` in the body, and
marker paging (``page_info.next_marker``). Neither sends ``Content-Range``.

Offsets are 0 or multiples of the ``limit`` sent, and ``limit`` is at most 100: the API refuses more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exporter.swr.errors import ApiError, InvalidResponse
from exporter.swr.transport import Reply

Item = dict[str, Any]
# Offset pager: (offset, limit) -> the reply; marker pager: marker or None -> the reply.
OffsetPage = Callable[[int, int], Reply]
MarkerPage = Callable[[str | None], Reply]
Mapper = Callable[[Callable[[int], list[Item]], range], list["list[Item] | ApiError"]]

LIMIT = 100  # the Enterprise API's largest page


def items_of(reply: Reply, key: str) -> list[Item]:
    """The ``key`` member of an answer object: a list of objects; absent or null is an empty list."""
    data = object_of(reply)
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise invalid(reply, f'"{key}" is not a JSON array of objects')
    return value


def object_of(reply: Reply) -> Item:
    if not isinstance(reply.data, dict):
        raise invalid(reply, "expected a JSON object")
    return reply.data


def total_of(reply: Reply) -> int | None:
    value = object_of(reply).get("total")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid(reply, f'"total" is not a count: {value!r:.40}')
    return value


def invalid(reply: Reply, detail: str) -> InvalidResponse:
    return InvalidResponse(reply.operation, detail, status=reply.status, request_id=reply.request_id)


def offset_pages(page: OffsetPage, key: str, decode: Callable[[str, Callable[[], Any]], Any],
                 mapper: Mapper, operation: str, max_pages: int) -> list[Item]:
    """Every item of an offset-paged list: the first page tells the total, the rest come in parallel."""
    first = page(0, LIMIT)
    items: list[Item] = decode(operation, lambda: items_of(first, key))
    total = decode(operation, lambda: total_of(first))
    size = LIMIT
    if total is not None and 0 < len(items) < min(LIMIT, total):
        size = len(items)  # the server caps the page below our limit: step by what it sends, as the limit too
    elif len(items) < LIMIT:
        return items
    if total is None:
        return items + _sequential(page, key, decode, operation, size, max_pages)
    if -(-total // size) > max_pages:
        _refuse(decode, operation, f"a total of {total} in pages of {size} needs more than {max_pages} pages")

    def one(offset: int) -> list[Item]:
        reply = page(offset, size)
        return list(decode(operation, lambda: items_of(reply, key)))

    for result in mapper(one, range(size, total, size)):
        if isinstance(result, ApiError):
            raise result
        items.extend(result)
    return items


def _sequential(page: OffsetPage, key: str, decode: Callable[[str, Callable[[], Any]], Any],
                operation: str, size: int, max_pages: int) -> list[Item]:
    items: list[Item] = []
    offset = size
    while True:
        if offset // size >= max_pages:
            _refuse(decode, operation, f"full pages of {size} items go on beyond {max_pages} pages")
        reply = page(offset, size)
        got: list[Item] = decode(operation, lambda: items_of(reply, key))  # noqa: B023 (called at once)
        items.extend(got)
        if len(got) < size:
            return items
        offset += size


def marker_pages(page: MarkerPage, key: str, decode: Callable[[str, Callable[[], Any]], Any],
                 operation: str, max_pages: int) -> list[Item]:
    """Every item of a marker-paged list: one page after the other until ``next_marker`` is missing."""
    items: list[Item] = []
    marker: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        reply = page(marker)
        items.extend(decode(operation, lambda: items_of(reply, key)))  # noqa: B023 (called at once)
        marker = decode(operation, lambda: _next_marker(reply))  # noqa: B023
        if not marker:
            return items
        if marker in seen:  # a marker that comes back would page for ever
            _refuse(decode, operation, f"next_marker {marker!r:.40} came back twice")
        seen.add(marker)
    _refuse(decode, operation, f"next_marker goes on beyond {max_pages} pages")
    return items


def _next_marker(reply: Reply) -> str | None:
    info = object_of(reply).get("page_info")
    if info is None:
        return None
    if not isinstance(info, dict):
        raise invalid(reply, '"page_info" is not an object')
    marker = info.get("next_marker")
    if marker is None or marker == "":
        return None
    if not isinstance(marker, str):
        raise invalid(reply, f'"page_info.next_marker" is not a string: {marker!r:.40}')
    return marker


def _refuse(decode: Callable[[str, Callable[[], Any]], Any], operation: str, detail: str) -> None:
    def parse() -> None:
        raise InvalidResponse(operation, detail)

    decode(operation, parse)
