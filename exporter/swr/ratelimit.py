"""Pacing of SWR API requests: the shared rate limit, retry back-off and ``Retry-After``.

Kept apart from ``transport.py`` because it is pure timing policy: no HTTP, clock and sleep injected.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime


class RateLimiter:
    """At most ``rate`` starts per second across all threads, evenly spaced (no bursts).

    Each caller reserves the next free slot under the lock and sleeps outside it, so waiting threads
    do not serialise on the lock and every reserved slot is used exactly once. A ``rate`` of 0 or
    less disables the limit.
    """

    def __init__(
        self,
        rate: float,
        *,
        monotonic: Callable[[], float],
        sleep: Callable[[float], object],
    ) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = -math.inf

    def wait(self) -> None:
        if self._interval == 0.0:
            return
        with self._lock:
            now = self._monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            self._sleep(start - now)


def backoff_delay(retry: int, *, base: float, cap: float, random: Callable[[], float]) -> float:
    """Exponential back-off with full jitter: uniform in [0, min(cap, base * 2**retry))."""
    return min(cap, base * 2**retry) * random()


def retry_after_seconds(value: str | None, *, date: str | None, now: Callable[[], float]) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header, or None when absent or unreadable.

    An HTTP-date is measured against the response's own ``Date`` header when there is one, so a skewed
    local clock does not distort it; otherwise against ``now()`` (epoch seconds).
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    until = _epoch(value)
    if until is None:
        return None
    reference = _epoch(date) if date else None
    return max(0.0, until - (reference if reference is not None else now()))


def _epoch(http_date: str) -> float | None:
    try:
        moment = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    # HTTP dates are GMT; "-0000" parses as naive, which timestamp() would read as local time.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
