"""What a collector is: one ``CollectorSpec`` declaring its name, schedule, fetch, families and cost.

The poller, the families walk under ``max_series``, the config's ``collectors:`` and
``collector_intervals`` keys and the landing page all read specs from ``registry.REGISTRY``; none of them
knows a collector by name. A collector's result is stored under its spec and read back through it, so
``results.get(repositories.SPEC)`` is typed as the repositories collector's own result type.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, cast

from prometheus_client.core import Metric

from exporter.config.model import Polling
from exporter.swr.api import SwrApi

T = TypeVar("T")
R = TypeVar("R")

# discovery: always runs, the others build on it; account: account-wide data, polled by shard 0 only;
# organization: data of the watched organizations, split between shards.
Scope = Literal["discovery", "account", "organization"]


class Unavailable(Exception):
    """Something a collector needs is missing (configuration, or another collector's data)."""


class PartialFailure(Exception):
    """A collector got some of its data; it fails, but what it got is served."""

    def __init__(self, message: str, data: object) -> None:
        super().__init__(message)
        self.data = data


class Results:
    """Collector results by spec. Stored by name, read back with the type the spec declares."""

    def __init__(self, values: Mapping[str, object] | None = None) -> None:
        self._values: dict[str, object] = {k: v for k, v in (values or {}).items() if v is not None}

    def get(self, spec: CollectorSpec[T, Any]) -> T | None:
        return cast("T | None", self._values.get(spec.name))

    def has(self, spec: CollectorSpec[Any, Any]) -> bool:
        return spec.name in self._values

    def names(self) -> tuple[str, ...]:
        return tuple(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Results) and self._values == other._values

    def __repr__(self) -> str:
        return f"Results({', '.join(self._values)})"


@dataclass(frozen=True)
class FetchContext:
    """What a collector's fetch may use: the client, the target's settings, what earlier phases of this
    poll produced, the wall clock, and a store of its own that lasts from poll to poll."""

    client: SwrApi
    polling: Polling
    earlier: Results = field(default_factory=Results)
    clock: Callable[[], float] = time.time
    store: dict[Any, Any] = field(default_factory=dict)


def _no_filter(_: object) -> int:
    return 0


@dataclass(frozen=True)
class CollectorSpec(Generic[T, R]):
    """One collector. ``T`` is what its fetch returns (kept in the snapshot); ``R`` is the record the
    series budget counts, ``records(result)`` in the order they are kept while the budget lasts."""

    name: str
    phase: int
    scope: Scope
    fetch: Callable[[FetchContext], T]
    families: Callable[[T, Sequence[R]], Iterable[Metric]]
    records: Callable[[T], Sequence[R]]
    cost: Callable[[R], int]
    default_enabled: bool = True
    default_interval: float | None = None  # None: every poll
    # Per-tag and per-artifact collectors get the series budget only after the account's own objects.
    explosive: bool = False
    filtered: Callable[[T], int] = _no_filter  # series the organization filter and shard left out

    @property
    def switchable(self) -> bool:
        """Discovery runs whenever anything does; the others have a ``collectors:`` switch."""
        return self.scope != "discovery"

    def enabled(self, polling: Polling) -> bool:
        if not self.switchable:
            return True
        switch = polling.collectors.get(self.name)
        wanted = self.default_enabled if switch is None else switch
        return wanted and (self.scope != "account" or polling.shard.index == 0)

    def interval(self, polling: Polling) -> float:
        return polling.interval(self.name, self.default_interval)

    def staleness(self, polling: Polling) -> float:
        return polling.staleness(self.name, self.default_interval)

    def kept(self, result: T, budget: int) -> tuple[list[R], int, int]:
        """The records that fit in ``budget``, in order, stopping at the first that does not; with the
        series they use and the series of the records left out."""
        kept: list[R] = []
        used = dropped = 0
        for record in self.records(result):
            cost = self.cost(record)
            if not dropped and used + cost <= budget:
                kept.append(record)
                used += cost
            else:
                dropped += cost
        return kept, used, dropped
