"""Garbage collection for a process whose data live from one poll to the next.

A large account's snapshot is hundreds of thousands of record objects that stay alive until the next
snapshot replaces them and then go by reference counting: they never form cycles. Python's automatic
full collections scan every one of them all the same, holding the GIL, and a poll's allocations set
one off every few seconds: at 100,000 repositories with polls back to back, about 150 ms each on a busy
2-core machine, none collecting anything, and every scrape in flight waits for each. So the automatic
collections keep to the two young generations, where nearly all garbage dies, and a full collection
runs on a schedule, for the rare cycle that reached the old generation before it became garbage.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Callable, Iterator

log = logging.getLogger(__name__)

FULL_COLLECTION_EVERY = 3600.0  # seconds
# The old generation's threshold counts young collections; this many never comes before the scheduled
# full collection resets the count (one young collection per 7,000 allocations or so).
NEVER = 2**31 - 1


@contextlib.contextmanager
def young_automatic_collections() -> Iterator[None]:
    """While serving; the thresholds are the process's, and a test that serves in-process gets its own
    back afterwards."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], NEVER)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class FullCollections:
    """``due()`` is called often (the main thread's wake-ups); it runs a full collection when one is due."""

    def __init__(self, every: float = FULL_COLLECTION_EVERY, clock: Callable[[], float] = time.monotonic,
                 collect: Callable[[], int] = gc.collect) -> None:
        self._every, self._clock, self._collect = every, clock, collect
        self._next = clock() + every

    def due(self) -> None:
        now = self._clock()
        if now < self._next:
            return
        self._next = now + self._every
        collected = self._collect()
        log.debug("full garbage collection: %d objects collected in %.0f ms", collected,
                  1000 * (self._clock() - now))
