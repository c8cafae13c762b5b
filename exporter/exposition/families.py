"""Snapshot -> metric families. Pure translation: no I/O, no state between calls.

``SnapshotCollector`` yields the data and health of one target's latest poll, e.g.::

    # HELP swr_repository_size_bytes Total size of the repository's images in bytes. Refreshed ...
    # TYPE swr_repository_size_bytes gauge
    swr_repository_size_bytes{organization="group",repository="busybox"} 2099575.0

from ``GET /v2/manage/repos`` (or the brief-info endpoint for an explicit repository list).
``BuildInfoCollector`` and ``ApiCollector`` yield the process's own metrics, which change between polls
and are therefore rendered on every scrape.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from exporter import __version__, metrics
from exporter.exposition.telemetry import Telemetry
from exporter.metrics import MetricSpec
from exporter.polling.snapshot import (
    Image,
    Organization,
    Quota,
    Repository,
    RepositoryShares,
    SharedRepository,
    Snapshot,
)

DIRECTIONS = ("self", "thirdparty")


def family(spec: MetricSpec) -> Metric:
    """An empty family for ``spec``; one constructor per type so ``metrics.py`` stays the only source."""
    if spec.type == "counter":
        return CounterMetricFamily(spec.name, spec.help, labels=spec.labels)
    if spec.type == "histogram":
        return HistogramMetricFamily(spec.name, spec.help, labels=spec.labels)
    return GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)


def _add(metric: Metric, labels: Sequence[str], value: float | None) -> None:
    if value is not None:
        metric.add_metric(list(labels), float(value))


def _repository_values(repo: Repository) -> tuple[float | None, ...]:
    return (repo.size_bytes, repo.images, repo.downloads, _flag(repo.public), repo.created, repo.updated)


def _shared_values(repo: SharedRepository) -> tuple[float | None, ...]:
    return (_flag(repo.valid), repo.size_bytes, repo.images)


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _share_series(entry: RepositoryShares) -> int:
    return 1 + sum((s.valid is not None) + (s.expiry is not None) for s in entry.shares)


def _image_series(image: Image) -> int:
    return (image.size_bytes is not None) + (image.updated is not None)


def _series(values: tuple[float | None, ...]) -> int:
    """Series one record produces: its info series plus each known value."""
    return 1 + sum(value is not None for value in values)


def _within_cap(records: Sequence[Any], series: Callable[[Any], int], budget: int) -> tuple[list[Any], int]:
    """Keep records in order while they fit; return them and the number of series left out."""
    kept: list[Any] = []
    dropped = 0
    for record in records:
        cost = series(record)
        if cost <= budget and not dropped:
            kept.append(record)
            budget -= cost
        else:
            dropped += cost
    return kept, dropped


class SnapshotCollector(Collector):
    """The data and health metrics of one snapshot; register on a registry of its own."""

    def __init__(self, snapshot: Callable[[], Snapshot | None]) -> None:
        self._snapshot = snapshot

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        snapshot = self._snapshot()
        if snapshot is None:
            return
        budget = snapshot.max_series
        orgs, dropped_orgs = _within_cap(snapshot.organizations, lambda _: 1, budget)
        budget -= len(orgs)
        shared, dropped_shared = _within_cap(snapshot.shared, lambda r: _series(_shared_values(r)), budget)
        budget -= sum(_series(_shared_values(r)) for r in shared)
        repos, dropped_repos = _within_cap(
            snapshot.repositories, lambda r: _series(_repository_values(r)), budget
        )
        budget -= sum(_series(_repository_values(r)) for r in repos)
        shares, dropped_shares = _within_cap(snapshot.shares, _share_series, budget)
        budget -= sum(_share_series(entry) for entry in shares)
        images, dropped_images = _within_cap(snapshot.images, _image_series, budget)
        yield from _organization_families(orgs)
        yield from _repository_families(repos)
        if "shared" in snapshot.data:
            yield from _shared_families(snapshot.shared, shared)
        if "shares" in snapshot.data:
            yield from _share_families(shares)
        if "tags" in snapshot.data:
            yield from _image_families(images)
        yield from _quota_families(snapshot.quotas)
        dropped = dropped_orgs + dropped_shared + dropped_repos + dropped_shares + dropped_images
        yield from _health_families(snapshot, dropped)


def _organization_families(orgs: Sequence[Organization]) -> Iterator[Metric]:
    info = family(metrics.ORGANIZATION_INFO)
    for org in orgs:
        info.add_metric([org.name, org.access], 1.0)
    yield info


_REPOSITORY_SPECS = (
    metrics.REPOSITORY_SIZE,
    metrics.REPOSITORY_IMAGES,
    metrics.REPOSITORY_DOWNLOADS,
    metrics.REPOSITORY_PUBLIC,
    metrics.REPOSITORY_CREATED,
    metrics.REPOSITORY_UPDATED,
)


def _repository_families(repos: Sequence[Repository]) -> Iterator[Metric]:
    info = family(metrics.REPOSITORY_INFO)
    valued = [family(spec) for spec in _REPOSITORY_SPECS]
    for repo in repos:
        labels = (repo.organization, repo.name)
        info.add_metric([*labels, repo.category], 1.0)
        for metric, value in zip(valued, _repository_values(repo), strict=True):
            _add(metric, labels, value)
    yield info
    yield from valued


_SHARED_SPECS = (
    metrics.SHARED_REPOSITORY_VALID,
    metrics.SHARED_REPOSITORY_SIZE,
    metrics.SHARED_REPOSITORY_IMAGES,
)


def _shared_families(
    everything: Sequence[SharedRepository], kept: Sequence[SharedRepository]
) -> Iterator[Metric]:
    totals = family(metrics.SHARED_REPOSITORIES)
    for direction in DIRECTIONS:
        totals.add_metric([direction], float(sum(r.direction == direction for r in everything)))
    yield totals
    info = family(metrics.SHARED_REPOSITORY_INFO)
    valued = [family(spec) for spec in _SHARED_SPECS]
    for repo in kept:
        labels = (repo.direction, repo.owner_account, repo.organization, repo.name)
        info.add_metric([*labels, repo.category], 1.0)
        for metric, value in zip(valued, _shared_values(repo), strict=True):
            _add(metric, labels, value)
    yield info
    yield from valued


def _share_families(entries: Sequence[RepositoryShares]) -> Iterator[Metric]:
    count = family(metrics.REPOSITORY_SHARES)
    valid = family(metrics.REPOSITORY_SHARE_VALID)
    expiry = family(metrics.REPOSITORY_SHARE_EXPIRY)
    for entry in entries:
        labels = (entry.organization, entry.repository)
        count.add_metric(list(labels), float(len(entry.shares)))
        for share in entry.shares:
            _add(valid, [*labels, share.shared_with, share.permit], _flag(share.valid))
            _add(expiry, [*labels, share.shared_with], share.expiry)
    yield count
    yield valid
    yield expiry


def _image_families(images: Sequence[Image]) -> Iterator[Metric]:
    size, updated = family(metrics.IMAGE_SIZE), family(metrics.IMAGE_UPDATED)
    for image in images:
        labels = [image.organization, image.repository, image.tag]
        _add(size, labels, image.size_bytes)
        _add(updated, labels, image.updated)
    yield size
    yield updated


def _quota_families(quotas: Sequence[Quota]) -> Iterator[Metric]:
    if not quotas:
        return
    limit, used = family(metrics.QUOTA_LIMIT), family(metrics.QUOTA_USED)
    for quota in quotas:
        _add(limit, [quota.key], quota.limit)
        _add(used, [quota.key], quota.used)
    yield limit
    yield used


def _health_families(snapshot: Snapshot, capped: int) -> Iterator[Metric]:
    up = family(metrics.UP)
    _add(up, [], None if snapshot.up is None else float(snapshot.up))
    yield up
    last_success = family(metrics.LAST_POLL_SUCCESS)
    _add(last_success, [], snapshot.last_success)
    yield last_success
    duration = family(metrics.LAST_POLL_DURATION)
    _add(duration, [], snapshot.duration_seconds)
    yield duration
    polls, failures = family(metrics.POLLS), family(metrics.POLL_FAILURES)
    polls.add_metric([], snapshot.polls_total)
    failures.add_metric([], snapshot.poll_failures_total)
    yield polls
    yield failures
    success, seconds = family(metrics.COLLECTOR_SUCCESS), family(metrics.COLLECTOR_DURATION)
    for status in snapshot.collectors:
        success.add_metric([status.name], float(status.success))
        seconds.add_metric([status.name], status.duration_seconds)
    yield success
    yield seconds
    dropped = family(metrics.SERIES_DROPPED)
    dropped.add_metric(["filter"], float(snapshot.filtered_series))
    dropped.add_metric(["cap"], float(capped))
    yield dropped


class BuildInfoCollector(Collector):
    """``swr_exporter_build_info``: which exporter and Python answer."""

    def __init__(self, version: str = __version__) -> None:
        self._version = version

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        build = family(metrics.BUILD_INFO)
        build.add_metric([self._version, platform.python_version()], 1.0)
        yield build


class ApiCollector(Collector):
    """Every API call one target's client reported: requests, errors, retries, durations."""

    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        state = self._telemetry.state()
        requests = family(metrics.API_REQUESTS)
        for (operation, code), count in sorted(state.requests.items()):
            requests.add_metric([operation, code], count)
        yield requests
        errors = family(metrics.API_ERRORS)
        for (operation, reason), count in sorted(state.errors.items()):
            errors.add_metric([operation, reason], count)
        yield errors
        retries = family(metrics.API_RETRIES)
        for operation, count in sorted(state.retries.items()):
            retries.add_metric([operation], count)
        yield retries
        durations = family(metrics.API_DURATION)
        for operation, histogram in sorted(state.durations.items()):
            cumulative, buckets = 0, []
            for bound, count in zip([*histogram.buckets, float("inf")], histogram.counts, strict=True):
                cumulative += count
                buckets.append((_bound(bound), cumulative))
            durations.add_metric([operation], buckets, histogram.total)
        yield durations


def _bound(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(value)
