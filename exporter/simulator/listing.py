"""Query handling shared by the v2 list endpoints: the ``filter=k::v|...`` form, paging, ordering."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from exporter.simulator.replies import Reply, bad_parameter

T = TypeVar("T")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
ORDER_COLUMNS = ("updated_at", "updated_time", "name", "tag_count")


def parse_filter(value: str) -> dict[str, str]:
    """``namespace::group|mode::visible`` -> {"namespace": "group", "mode": "visible"}."""
    result: dict[str, str] = {}
    for part in value.split("|"):
        if not part:
            continue
        key, sep, val = part.partition("::")
        if not sep or not key:
            raise bad_parameter(f"filter element {part!r} is not key::value")
        result[key] = val
    return result


def effective_params(query: Mapping[str, str]) -> dict[str, str]:
    """When ``filter`` is given the individual parameters are ignored, as SWR does."""
    if "filter" in query:
        return parse_filter(query["filter"])
    return dict(query)


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int
    # Content-Range is sent only when offset and limit were both given.
    ranged: bool
    # At most this many items whatever the limit (Behaviour.page_size_cap); None: the limit.
    cap: int | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str], cap: int | None = None) -> Page:
        limit = _integer(params, "limit", DEFAULT_LIMIT)
        offset = _integer(params, "offset", 0)
        if not 1 <= limit <= MAX_LIMIT:
            raise bad_parameter(f"limit must be between 1 and {MAX_LIMIT}")
        # Checked against the limit sent, not the capped page size: a client that keeps asking for
        # 1000 after receiving 100 is refused at offset 100.
        if offset < 0 or offset % limit:
            raise bad_parameter("offset must be 0 or a multiple of limit")
        return cls(offset, limit, "limit" in params and "offset" in params, cap)

    @property
    def size(self) -> int:
        return self.limit if self.cap is None else min(self.limit, self.cap)

    def reply(self, items: Sequence[T], render: Callable[[T, int], Any]) -> Reply:
        total = len(items)
        chunk = items[self.offset:self.offset + self.size]
        body = [render(item, total) for item in chunk]
        headers = {"Content-Range": f"{self.offset}-{len(body)}/{total}"} if self.ranged else {}
        return Reply(200, body, headers)


def _integer(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise bad_parameter(f"{name} must be an integer") from None


def ordering(params: Mapping[str, str]) -> tuple[str, bool] | None:
    """(column, descending), or None for the default stable order."""
    column = params.get("order_column")
    if column is None:
        return None
    if column not in ORDER_COLUMNS:
        raise bad_parameter(f"order_column must be one of {', '.join(ORDER_COLUMNS)}")
    order_type = params.get("order_type", "desc")
    if order_type not in ("asc", "desc"):
        raise bad_parameter("order_type must be asc or desc")
    return column, order_type == "desc"
