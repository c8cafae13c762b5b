"""Snapshot -> metric families. Pure translation: no I/O, no state between calls.

``SnapshotCollector`` walks the collector registry: each collector present in the snapshot writes its
own families (its module's docstring shows them), under the ``max_series`` budget, followed by the
target's health::

    # HELP swr_exporter_collector_success 1 if the collector's last run succeeded, else 0.
    # TYPE swr_exporter_collector_success gauge
    swr_exporter_collector_success{collector="repositories"} 1.0
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from exporter import metrics
from exporter.collectors.registry import REGISTRY, CollectorSpec
from exporter.polling.snapshot import Snapshot

log = logging.getLogger(__name__)

Specs = Sequence[CollectorSpec[Any, Any]]


class SnapshotCollector(Collector):
    """The data and health metrics of one snapshot; register on a registry of its own."""

    def __init__(self, snapshot: Callable[[], Snapshot | None], registry: Specs = REGISTRY) -> None:
        self._snapshot = snapshot
        self._registry = registry

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        snapshot = self._snapshot()
        if snapshot is None:
            return
        present = [spec for spec in self._registry if snapshot.results.has(spec)]
        kept, capped = _budget(snapshot, present)
        for spec in present:
            yield from spec.families(snapshot.get(spec), kept[spec.name])
        filtered = sum(spec.filtered(snapshot.get(spec)) for spec in present)
        yield from health_families(snapshot, filtered, capped)


def _budget(snapshot: Snapshot, present: Specs) -> tuple[dict[str, Sequence[Any]], int]:
    """Each collector's records that fit in ``max_series``: the account's own objects first, in registry
    order, then the explosive collectors; and the series left out."""
    budget, capped = snapshot.max_series, 0
    kept: dict[str, Sequence[Any]] = {}
    cut: dict[str, int] = {}
    for spec in sorted(present, key=lambda spec: spec.explosive):
        kept[spec.name], used, dropped = spec.kept(snapshot.get(spec), budget)
        budget -= used
        capped += dropped
        if dropped:
            cut[spec.name] = dropped
    if cut:
        log.warning("target %s: max_series (%d) reached; series left out: %s", snapshot.target,
                    snapshot.max_series, ", ".join(f"{name} {count}" for name, count in cut.items()))
    return kept, capped


def health_families(snapshot: Snapshot, filtered: int, capped: int) -> Iterator[Metric]:
    up = metrics.UP.gauge()
    metrics.add(up, [], None if snapshot.up is None else float(snapshot.up))
    yield up
    last_success = metrics.LAST_POLL_SUCCESS.gauge()
    metrics.add(last_success, [], snapshot.last_success)
    yield last_success
    duration = metrics.LAST_POLL_DURATION.gauge()
    metrics.add(duration, [], snapshot.duration_seconds)
    yield duration
    polls, failures = metrics.POLLS.counter(), metrics.POLL_FAILURES.counter()
    polls.add_metric([], snapshot.polls_total)
    failures.add_metric([], snapshot.poll_failures_total)
    yield polls
    yield failures
    success, seconds = metrics.COLLECTOR_SUCCESS.gauge(), metrics.COLLECTOR_DURATION.gauge()
    for status in snapshot.collectors:
        success.add_metric([status.name], float(status.success))
        seconds.add_metric([status.name], status.duration_seconds)
    yield success
    yield seconds
    dropped = metrics.SERIES_DROPPED.gauge()
    dropped.add_metric(["filter"], float(filtered))
    dropped.add_metric(["cap"], float(capped))
    yield dropped
