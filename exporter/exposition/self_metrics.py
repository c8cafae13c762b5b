"""The process's own metrics, which move between polls and are rendered on every scrape (or when they
change): which build answers, how the last configuration reload went, and every API call one target's
client reported."""

from __future__ import annotations

import platform
import threading
import time
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


class ReloadStatus:
    """Whether the last configuration reload took, and when one last did; start-up counts as one, as in
    Prometheus, so both metrics have a value from the first scrape."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._state = (True, clock(), 0)

    def record(self, successful: bool) -> None:
        with self._lock:
            _, last_success, version = self._state
            self._state = (successful, self._clock() if successful else last_success, version + 1)

    @property
    def successful(self) -> bool:
        return self._state[0]

    def state(self) -> tuple[bool, float]:
        return self._state[0], self._state[1]

    def version(self) -> int:
        """Changes at every reload, so the rendered self-metrics are reused until then."""
        return self._state[2]


class ReloadCollector(Collector):
    """``swr_exporter_config_last_reload_successful`` and its success timestamp."""

    def __init__(self, status: ReloadStatus) -> None:
        self._status = status

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        successful, at = self._status.state()
        flag = metrics.CONFIG_RELOAD_SUCCESSFUL.gauge()
        flag.add_metric([], float(successful))
        yield flag
        when = metrics.CONFIG_RELOAD_SUCCESS_TIME.gauge()
        when.add_metric([], at)
        yield when


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
