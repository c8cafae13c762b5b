"""The simulator, plus the arrival time of every request and how many were in flight at once.

Measured on the server side, so a rate limit or concurrency bound is checked where the API sees it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from exporter.simulator import Simulator
from exporter.simulator.server import Outcome
from exporter.simulator.verify import Incoming


class CountingSimulator(Simulator):
    def __init__(self, *args: Any, monotonic: Callable[[], float] = time.monotonic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._monotonic = monotonic
        self._count_lock = threading.Lock()
        self.arrivals: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def process(self, request: Incoming) -> Outcome:
        with self._count_lock:
            self.arrivals.append(self._monotonic())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return super().process(request)
        finally:
            with self._count_lock:
                self.in_flight -= 1

    def reset_counts(self) -> None:
        with self._count_lock:
            self.arrivals.clear()
            self.max_in_flight = self.in_flight
        self.clear_requests()


def busiest_window(arrivals: Sequence[float], window: float = 1.0) -> int:
    """The most requests that arrived within any ``window`` seconds (both ends included)."""
    times = sorted(arrivals)
    most, first = 0, 0
    for last, arrival in enumerate(times):
        while arrival - times[first] > window:
            first += 1
        most = max(most, last - first + 1)
    return most
