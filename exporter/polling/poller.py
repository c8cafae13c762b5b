"""The background loop: poll the SWR API, build an immutable Snapshot, swap it in with one assignment.

Each collector succeeds or fails on its own. A failed collector serves its last good data until
``max_staleness`` has passed since that data was fetched, then its series go; its failure always shows
in ``swr_exporter_collector_success`` and ``swr_up``. Nothing raised by the API ends the loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from exporter.collectors.sources import (
    BriefResult,
    Client,
    Organizations,
    Unavailable,
    fetch_organizations,
    fetch_quotas,
    fetch_repositories,
    fetch_repository_briefs,
    fetch_shared,
    fetch_shares,
    fetch_tags,
)
from exporter.config.loader import Target
from exporter.polling.snapshot import CollectorStatus, Repository, ResponseError, Snapshot
from exporter.swr.client import ApiError, RequestObserver
from exporter.swr.tokens import TokenError

log = logging.getLogger(__name__)

EXPECTED_FAILURES = (ApiError, TokenError, Unavailable)
# Collectors of a phase run in parallel; each phase may use what the earlier ones produced.
PHASES = (("organizations",), ("repositories", "shared", "quotas"), ("shares", "tags"))
# Polls start on a schedule that drifts by milliseconds; a slow collector due "almost now" runs now.
INTERVAL_SLACK = 1.0


class PartialFailure(Exception):
    """A collector got some of its data; it fails, but what it got is served."""

    def __init__(self, message: str, data: Any) -> None:
        super().__init__(message)
        self.data = data


@dataclass(frozen=True)
class _Good:
    data: Any
    at: float


class Poller:
    def __init__(
        self,
        target: Target,
        client: Client,
        *,
        project_id: Callable[[], str | None] | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        observer: RequestObserver | None = None,
    ) -> None:
        self.target = target
        self._polling = target.polling
        self._client = client
        self._project_id = project_id or (lambda: target.project_id)
        self._clock = clock
        self._monotonic = monotonic
        self._observer = observer
        self._good: dict[str, _Good] = {}
        self._briefs: dict[tuple[str, str], _Good] = {}
        self._polls = 0
        self._failures = 0
        self._last_success: float | None = None
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        self._previous: dict[str, tuple[CollectorStatus, Any]] = {}
        self._ran: dict[str, float] = {}
        self.first_poll_done = threading.Event()

    @property
    def snapshot(self) -> Snapshot | None:
        return self._snapshot

    def collectors(self) -> list[str]:
        """Organizations always (discovery and filters need them); account-wide ones on shard 0 only."""
        enabled = self._polling.collectors
        account_wide = self._polling.shard.index == 0
        wanted = {
            "organizations": True,
            "repositories": enabled.repositories,
            "shared": enabled.shared and account_wide,
            "quotas": enabled.quotas and account_wide,
            "shares": enabled.shares,
            "tags": enabled.tags,
        }
        return [name for phase in PHASES for name in phase if wanted[name]]

    def poll_once(self) -> Snapshot:
        with self._lock:
            return self._poll()

    def _poll(self) -> Snapshot:
        started, begin = self._clock(), self._monotonic()
        names = self.collectors()
        results: dict[str, tuple[CollectorStatus, Any]] = {}
        for phase in PHASES:
            tasks = self._tasks(results)
            enabled = [name for name in phase if name in names]
            due = [name for name in enabled if self._due(name, begin)]
            results.update({name: self._previous[name] for name in enabled if name not in due})
            with ThreadPoolExecutor(max_workers=max(1, len(due)), thread_name_prefix="collector") as pool:
                futures = {name: pool.submit(self._run, name, tasks[name]) for name in due}
                results.update({name: future.result() for name, future in futures.items()})
            for name in due:
                self._ran[name] = begin
            if phase == PHASES[-2] and any(name in names for name in PHASES[-1]):
                # Shares and tags may take minutes on a large account: serve what is fresh meanwhile.
                self._publish(started, None, names, {**self._previous, **results}, final=False)
        self._previous = results
        return self._publish(started, self._monotonic() - begin, names, results)

    def _due(self, name: str, now: float) -> bool:
        """Every poll runs the collectors whose interval is the poll interval; a slower one runs when its
        interval has passed, and after a failure at every poll."""
        interval = self._polling.interval(name)
        previous = self._previous.get(name)
        if interval <= self._polling.poll_interval or previous is None or not previous[0].success:
            return True
        return now - self._ran.get(name, float("-inf")) >= interval - INTERVAL_SLACK

    def _tasks(self, results: dict[str, tuple[CollectorStatus, Any]]) -> dict[str, Callable[[], Any]]:
        """What each collector does, given what the earlier phases of this poll produced."""

        def data(name: str) -> Any:
            return results[name][1] if name in results else None

        orgs: Organizations | None = data("organizations")
        return {
            "organizations": lambda: fetch_organizations(self._client, self._polling),
            "repositories": lambda: self._repositories(orgs),
            "shared": lambda: fetch_shared(self._client),
            "quotas": lambda: fetch_quotas(self._client, self._project_id()),
            "shares": lambda: fetch_shares(self._client, self._polling, data("shared")),
            "tags": lambda: fetch_tags(self._client, data("repositories")),
        }

    def _publish(
        self,
        started: float,
        duration: float | None,
        names: list[str],
        results: dict[str, tuple[CollectorStatus, Any]],
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
        data: dict[str, Any] = {name: results[name][1] for name in present if results[name][1] is not None}
        orgs = data.pop("organizations", None)
        if orgs is not None:
            data["organizations"] = orgs.watched
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
            data=data,
            polls_total=self._polls,
            poll_failures_total=self._failures,
            last_success=self._last_success,
            filtered_series=orgs.left_out if orgs is not None else 0,
            max_series=self._polling.max_series,
            pending=tuple(name for name in names if name not in results),
        )
        self._snapshot = snapshot
        return snapshot

    def _repositories(self, orgs: Organizations | None) -> tuple[Repository, ...]:
        if not self._polling.repositories:
            return fetch_repositories(self._client, self._polling, orgs.watched if orgs else None)
        return self._briefs_with_carry_over(fetch_repository_briefs(self._client, self._polling))

    def _briefs_with_carry_over(self, result: BriefResult) -> tuple[Repository, ...]:
        """A configured repository that fails keeps its last good record until max_staleness, so one
        missing repository does not hide the others."""
        now = self._clock()
        for repo in result.repositories:
            self._briefs[repo.organization, repo.name] = _Good(repo, now)
        repos = list(result.repositories)
        for ref, _ in result.failures:
            good = self._briefs.get((ref.organization, ref.name))
            if good and now - good.at <= self._polling.max_staleness:
                repos.append(good.data)
        repos.sort(key=lambda r: (r.organization, r.name))
        if result.failures:
            first_ref, first_error = result.failures[0]
            message = (
                f"{len(result.failures)} of {len(result.failures) + len(result.repositories)} configured "
                f"repositories failed; first {first_ref.organization}/{first_ref.name}: {first_error}"
            )
            raise PartialFailure(message, tuple(repos))
        return tuple(repos)

    def _run(self, name: str, fetch: Callable[[], Any]) -> tuple[CollectorStatus, Any]:
        begin = self._monotonic()
        try:
            data = fetch()
        except ResponseError as error:
            # The client counted the HTTP exchange as fine; the content was not, so count it here.
            if self._observer is not None:
                self._observer.error(error.operation, "invalid_response")
            return self._failed(name, begin, str(error), None)
        except PartialFailure as partial:
            return self._failed(name, begin, str(partial), partial.data, partial=True)
        except EXPECTED_FAILURES as error:
            return self._failed(name, begin, str(error), None)
        except Exception as error:  # a bug must not take the other collectors or the loop down
            log.exception("target %s: collector %s raised unexpectedly", self.target.name, name)
            return self._failed(name, begin, f"internal error: {type(error).__name__}", None)
        now = self._clock()
        self._good[name] = _Good(data, now)
        return CollectorStatus(name, True, self._monotonic() - begin, None, now), data

    def _failed(
        self, name: str, begin: float, message: str, data: Any, partial: bool = False
    ) -> tuple[CollectorStatus, Any]:
        duration = self._monotonic() - begin
        log.warning("target %s: collector %s failed: %s", self.target.name, name, message)
        if partial:
            return CollectorStatus(name, False, duration, message, self._clock()), data
        good = self._good.get(name)
        if good is not None and self._clock() - good.at <= self._polling.staleness(name):
            return CollectorStatus(name, False, duration, message, good.at, stale=True), good.data
        self._good.pop(name, None)
        return CollectorStatus(name, False, duration, message, None), None

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
