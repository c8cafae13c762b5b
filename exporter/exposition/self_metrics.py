"""The process's own metrics, which move between polls and are rendered on every scrape (or when they
change): which build answers, and every API call one target's client reported."""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable, Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from exporter import __version__, metrics
from exporter.exposition.telemetry import Telemetry


class BuildInfoCollector(Collector):
    """``swr_exporter_build_info``: which exporter and Python answer."""

    def __init__(self, version: str = __version__) -> None:
        self._version = version

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        build = metrics.BUILD_INFO.gauge()
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
        requests = metrics.API_REQUESTS.counter()
        for (operation, code), count in sorted(state.requests.items()):
            requests.add_metric([operation, code], count)
        yield requests
        errors = metrics.API_ERRORS.counter()
        for (operation, reason), count in sorted(state.errors.items()):
            errors.add_metric([operation, reason], count)
        yield errors
        retries = metrics.API_RETRIES.counter()
        for operation, count in sorted(state.retries.items()):
            retries.add_metric([operation], count)
        yield retries
        durations = metrics.API_DURATION.histogram()
        for operation, histogram in sorted(state.durations.items()):
            cumulative, buckets = 0, []
            for bound, count in zip([*histogram.buckets, float("inf")], histogram.counts, strict=True):
                cumulative += count
                buckets.append((_bound(bound), cumulative))
            durations.add_metric([operation], buckets, histogram.total)
        yield durations


class CredentialsCollector(Collector):
    """``swr_exporter_credentials_expiry_timestamp_seconds`` of one target; not even the family when the
    expiry is unknown (a permanent AK/SK), so such an exporter's output is what it was before."""

    def __init__(self, expiry: Callable[[], float | None]) -> None:
        self._expiry = expiry

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        expiry = self._expiry()
        if expiry is not None:
            family = metrics.CREDENTIALS_EXPIRY.gauge()
            family.add_metric([], float(expiry))
            yield family


def _bound(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(value)
