"""The Snapshot: everything one poll of one target produced, immutable, swapped in with one assignment.

Each collector's result is kept under its spec (``snapshot.get(repositories.SPEC)`` is typed as that
collector's result); the statuses say how each collector fared, and failure is data like the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from exporter.collectors.spec import CollectorSpec, Results

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CollectorStatus:
    name: str
    success: bool
    duration_seconds: float
    error: str | None = None
    last_success: float | None = None  # epoch seconds of the data being served
    stale: bool = False  # serving an earlier poll's data after a failure


@dataclass(frozen=True)
class Snapshot:
    target: str
    started_at: float
    # None while the first poll still runs: an interim snapshot has no finished poll to describe.
    duration_seconds: float | None
    collectors: tuple[CollectorStatus, ...]
    results: Results = field(default_factory=Results)
    polls_total: int = 0
    poll_failures_total: int = 0
    last_success: float | None = None
    max_series: int = 1_000_000
    # Collectors of the first poll that have not finished yet (an interim snapshot serves the rest).
    pending: tuple[str, ...] = ()

    @property
    def up(self) -> bool | None:
        """Whether every collector succeeded; None while some have never run, which is no answer."""
        if self.pending:
            return None
        return all(status.success for status in self.collectors)

    def get(self, spec: CollectorSpec[T, Any]) -> T | None:
        return self.results.get(spec)

    def status(self, collector: str) -> CollectorStatus | None:
        return next((s for s in self.collectors if s.name == collector), None)
