"""``process_*`` as prometheus_client's ProcessCollector writes them, read once a second off the scrape path.

Reading them opens and reads files under /proc, and every open, read and close lets the GIL go; on a
busy exporter (a poll parsing, a snapshot rendering) taking it back waits each time, which added 10 to
20 ms to the slowest scrapes at 100,000 repositories with polls back to back. A thread reads them once a
second instead; a scrape takes the latest reading, at most a second old, and the self-metrics tail
around it is re-rendered only when a reading is new.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from prometheus_client import ProcessCollector
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

PERIOD = 1.0  # seconds between readings


class ProcessMetrics(Collector):
    """A collector of the latest reading; the reading thread starts with the first scrape."""

    def __init__(self, read: Callable[[], Iterable[Metric]] | None = None, period: float = PERIOD,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._read = read or ProcessCollector(registry=None).collect
        self._period, self._sleep = period, sleep
        self._families = list(self._read())
        self._version = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def collect(self) -> list[Metric]:
        self._start()
        return self._families

    def version(self) -> int:
        """Changes with every reading."""
        return self._version

    def refresh(self) -> None:
        try:
            families = list(self._read())
        except Exception:  # the last reading stays; the next second tries again
            log.exception("reading the process metrics failed")
            return
        # Families before version: a scrape between the two renders the new reading under the old
        # version, and the next one renders it again; never the other way round.
        self._families = families
        self._version += 1

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._follow, name="process-metrics", daemon=True)
                self._thread.start()

    def _follow(self) -> None:
        while True:
            self._sleep(self._period)
            self.refresh()


_shared: ProcessMetrics | None = None
_shared_lock = threading.Lock()


def shared() -> ProcessMetrics:
    """The process's one reader: every App, before and after a reload, serves the same readings."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ProcessMetrics()
        return _shared
