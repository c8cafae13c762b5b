"""The background loop: poll the SWR API, build an immutable Snapshot, swap it in with one assignment.

Each collector succeeds or fails on its own. A failed collector serves its last good data until
``max_staleness`` has passed since that data was fetched, then its series go; its failure always shows
in ``swr_exporter_collector_success`` and ``swr_up``. Nothing raised by the API ends the loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from exporter.collectors.registry import (
    REGISTRY,
    CollectorSpec,
    FetchContext,
    PartialFailure,
    Results,
    Unavailable,
    phases,
)
from exporter.config.model import Target
from exporter.polling.snapshot import CollectorStatus, Snapshot
from exporter.swr.api import SwrApi
from exporter.swr.errors import ApiError, log_fields
from exporter.swr.tokens import TokenError

log = logging.getLogger(__name__)

EXPECTED_FAILURES = (ApiError, TokenError, Unavailable)
# Polls start on a schedule that drifts by milliseconds; a slow collector due "almost now" runs now.
INTERVAL_SLACK = 1.0

Specs = Sequence[CollectorSpec[Any, Any]]
Outcome = tuple[CollectorStatus, Any]


@dataclass(frozen=True)
class _Good:
    data: Any
    at: float


class Poller:
    def __init__(
        self,
        target: Target,
        client: SwrApi,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        registry: Specs = REGISTRY,
        on_snapshot: Callable[[Snapshot], None] | None = None,
    ) -> None:
        """``on_snapshot``: told of every snapshot swapped in (the exposition renders it then)."""
        self.target = target
        self._on_snapshot = on_snapshot
        self._polling = target.polling
        self._client = client
        self._clock = clock
        self._monotonic = monotonic
        self._phases = phases(tuple(registry))
        self._good: dict[str, _Good] = {}
        self._stores: dict[str, dict[Any, Any]] = {spec.name: {} for spec in registry}
        self._polls = 0
        self._failures = 0
        self._last_success: float | None = None
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        self._previous: dict[str, Outcome] = {}
        self._ran: dict[str, float] = {}
        self.first_poll_done = threading.Event()

    @property
    def snapshot(self) -> Snapshot | None:
        return self._snapshot

    @property
    def project_id(self) -> str | None:
        """The configured project, else the one the client looked up; None until that is known."""
        return self._client.project_id

    def collectors(self) -> list[str]:
        """The enabled collectors in the order they run: discovery always, account-wide ones on shard 0."""
        return [spec.name for phase in self._phases for spec in phase if spec.enabled(self._polling)]

    def poll_once(self) -> Snapshot:
        with self._lock:
            return self._poll()

    def _poll(self) -> Snapshot:
        started, begin = self._clock(), self._monotonic()
        names = self.collectors()
        results: dict[str, Outcome] = {}
        for number, phase in enumerate(self._phases):
            enabled = [spec for spec in phase if spec.name in names]
            due = [spec for spec in enabled if self._due(spec, begin)]
            results.update({spec.name: self._previous[spec.name] for spec in enabled if spec not in due})
            earlier = Results({name: outcome[1] for name, outcome in results.items()})
            with ThreadPoolExecutor(max_workers=max(1, len(due)), thread_name_prefix="collector") as pool:
                futures = {spec.name: pool.submit(self._run, spec, earlier) for spec in due}
                results.update({name: future.result() for name, future in futures.items()})
            for spec in due:
                self._ran[spec.name] = begin
            if number == len(self._phases) - 2 and any(s.name in names for s in self._phases[-1]):
                # The last phase (per-repository calls) may take minutes on a large account: serve what
                # is fresh meanwhile.
                self._publish(started, None, names, {**self._previous, **results}, final=False)
        self._previous = results
        snapshot = self._publish(started, self._monotonic() - begin, names, results)
        self._log_poll(snapshot)
        return snapshot

    def _log_poll(self, snapshot: Snapshot) -> None:
        """One line per finished poll: enough to see at info level that the exporter works, and how well."""
        failed = [status.name for status in snapshot.collectors if not status.success]
        log.info("poll finished", extra={
            "target": self.target.name, "duration_seconds": snapshot.duration_seconds,
            "series": self._series(snapshot), "up": not failed,
            "failed_collectors": ",".join(failed) or None,
        })

    def _series(self, snapshot: Snapshot) -> int:
        """The data series of the snapshot, before the ``max_series`` cap."""
        present = [spec for phase in self._phases for spec in phase if snapshot.results.has(spec)]
        return sum(spec.cost(record) for spec in present for record in spec.records(snapshot.get(spec)))

    def _due(self, spec: CollectorSpec[Any, Any], now: float) -> bool:
        """Every poll runs the collectors whose interval is the poll interval; a slower one runs when its
        interval has passed, and after a failure at every poll."""
        interval = spec.interval(self._polling)
        previous = self._previous.get(spec.name)
        if interval <= self._polling.poll_interval or previous is None or not previous[0].success:
            return True
        return now - self._ran.get(spec.name, float("-inf")) >= interval - INTERVAL_SLACK

    def _publish(
        self,
        started: float,
        duration: float | None,
        names: list[str],
        results: dict[str, Outcome],
        final: bool = True,
    ) -> Snapshot:
        """Swap in a snapshot of ``results``; only the final one of a poll counts as a poll.

        An interim snapshot brings fresh data, but its poll has not finished: it keeps the last finished
        poll's start and duration, and names the collectors that have never finished (first poll).
        """
        present = [name for name in names if name in results]
        if not final and self._snapshot is not None:
            started, duration = self._snapshot.started_at, self._snapshot.duration_seconds
        statuses = tuple(results[name][0] for name in present)
        if final:
            self._polls += 1
            if all(status.success for status in statuses):
                self._last_success = self._clock()
            else:
                self._failures += 1
        snapshot = Snapshot(
            target=self.target.name,
            started_at=started,
            duration_seconds=duration,
            collectors=statuses,
            results=Results({name: results[name][1] for name in present}),
            polls_total=self._polls,
            poll_failures_total=self._failures,
            last_success=self._last_success,
            max_series=self._polling.max_series,
            pending=tuple(name for name in names if name not in results),
        )
        self._snapshot = snapshot
        if self._on_snapshot is not None:
            try:
                self._on_snapshot(snapshot)
            except Exception:  # the snapshot is in place and served; polling goes on regardless
                log.exception("target %s: the new snapshot's listener failed", self.target.name)
        return snapshot

    def _run(self, spec: CollectorSpec[Any, Any], earlier: Results) -> Outcome:
        begin = self._monotonic()
        context = FetchContext(self._client, self._polling, earlier, self._clock, self._stores[spec.name])
        try:
            data = spec.fetch(context)
        except PartialFailure as partial:
            self._log_failure(spec, partial, partial.__cause__)
            return self._failed(spec, begin, str(partial), partial.data, partial=True)
        except EXPECTED_FAILURES as error:
            self._log_failure(spec, error, error)
            return self._failed(spec, begin, str(error), None)
        except Exception as error:  # a bug must not take the other collectors or the loop down
            log.exception("collector raised unexpectedly",
                          extra={"target": self.target.name, "collector": spec.name})
            return self._failed(spec, begin, f"internal error: {type(error).__name__}", None)
        now = self._clock()
        self._good[spec.name] = _Good(data, now)
        return CollectorStatus(spec.name, True, self._monotonic() - begin, None, now), data

    def _log_failure(
        self, spec: CollectorSpec[Any, Any], error: Exception, cause: BaseException | None
    ) -> None:
        """operation, status, code and request_id as fields of their own when an API call failed."""
        log.warning("collector failed", extra={
            "target": self.target.name, "collector": spec.name, **log_fields(cause), "err": str(error)})

    def _failed(
        self, spec: CollectorSpec[Any, Any], begin: float, message: str, data: Any, partial: bool = False
    ) -> Outcome:
        duration = self._monotonic() - begin
        if partial:
            return CollectorStatus(spec.name, False, duration, message, self._clock()), data
        good = self._good.get(spec.name)
        if good is not None and self._clock() - good.at <= spec.staleness(self._polling):
            return CollectorStatus(spec.name, False, duration, message, good.at, stale=True), good.data
        self._good.pop(spec.name, None)
        return CollectorStatus(spec.name, False, duration, message, None), None

    def run(self, stop: threading.Event) -> None:
        """Poll every ``poll_interval`` (start to start) until ``stop`` is set."""
        interval = self._polling.poll_interval
        while not stop.is_set():
            begin = self._monotonic()
            try:
                self.poll_once()
            except Exception:  # keep polling: the next poll may well succeed
                log.exception("target %s: poll failed unexpectedly", self.target.name)
            finally:
                self.first_poll_done.set()
            stop.wait(max(0.0, interval - (self._monotonic() - begin)))
