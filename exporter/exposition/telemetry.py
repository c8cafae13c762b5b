"""Counts what the client reports about each API call, for the exporter's self-metrics.

The client knows nothing of Prometheus; it calls these three methods (the ``RequestObserver`` protocol
of ``client.py``) from many threads. Values only grow, so a scrape reads a consistent copy under the lock.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass

from exporter import metrics


@dataclass(frozen=True)
class HistogramState:
    buckets: tuple[float, ...]
    counts: tuple[int, ...]  # per bucket, not cumulative; the last slot is +Inf
    total: float

    @property
    def count(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class TelemetryState:
    requests: dict[tuple[str, str], int]
    errors: dict[tuple[str, str], int]
    retries: dict[str, int]
    durations: dict[str, HistogramState]


class Telemetry:
    def __init__(self, buckets: tuple[float, ...] = metrics.API_DURATION_BUCKETS) -> None:
        self._buckets = buckets
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str]] = Counter()
        self._errors: Counter[tuple[str, str]] = Counter()
        self._retries: Counter[str] = Counter()
        self._duration_counts: dict[str, list[int]] = {}
        self._duration_sums: defaultdict[str, float] = defaultdict(float)
        self._version = 0  # bumped by every record, so a scrape can reuse the last rendering until then

    def request(self, operation: str, code: str, seconds: float) -> None:
        slot = bisect.bisect_left(self._buckets, seconds)
        with self._lock:
            self._requests[operation, code] += 1
            self._version += 1
            counts = self._duration_counts.setdefault(operation, [0] * (len(self._buckets) + 1))
            counts[slot] += 1
            self._duration_sums[operation] += seconds

    def error(self, operation: str, reason: str) -> None:
        with self._lock:
            self._errors[operation, reason] += 1
            self._version += 1

    def retry(self, operation: str) -> None:
        with self._lock:
            self._retries[operation] += 1
            self._version += 1

    def version(self) -> int:
        return self._version

    def state(self) -> TelemetryState:
        with self._lock:
            durations = {
                op: HistogramState(self._buckets, tuple(counts), self._duration_sums[op])
                for op, counts in self._duration_counts.items()
            }
            return TelemetryState(dict(self._requests), dict(self._errors), dict(self._retries), durations)
