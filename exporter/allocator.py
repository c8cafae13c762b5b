"""Large buffers straight from the system, so that memory freed after a poll goes back to it.

Each poll allocates, then frees, buffers of 100 KB to 10 MB and more: API pages, rendered sample blocks,
compressed bodies. glibc's malloc serves such a request with a mapping of its own, returned to the
system on free, only above a threshold that it raises to the size of every mapped block freed, up to
32 MB. After the first poll nearly every large buffer comes from the heaps of the threads that made it
instead, and the holes they leave are rarely whole or at the top, so they are never returned. At
100,000 repositories with polls back to back, peak resident memory climbed in three minutes from 350
to 490 MiB (441 in a second run), past the 480 MiB limit the sizing table gave that account, and
between polls it wandered from 240 to 400 MiB. With the threshold fixed at glibc's own starting value
the peak stayed at 280 MiB, about 190 MiB between polls, for no more CPU (``docs/performance.md``).

A fixed threshold turns off glibc's adjustment of it. Set ``MALLOC_MMAP_THRESHOLD_`` (or glibc's
``glibc.malloc.mmap_threshold`` tunable) to choose another value: the exporter then leaves it alone.
"""

from __future__ import annotations

import ctypes
import logging
import os
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt()'s parameter number, from glibc's <malloc.h>
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value
TUNABLE = "glibc.malloc.mmap_threshold"

Mallopt = Callable[[int, int], int]


def glibc_mallopt() -> Mallopt | None:
    """The C library's ``mallopt``, where the C library is glibc; musl has a ``mallopt`` that does
    nothing, macOS none."""
    try:
        if not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"):
            return None
        function: Mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, ValueError):
        return None
    return function


def return_large_buffers(find_mallopt: Callable[[], Mallopt | None] = glibc_mallopt,
                         environ: Mapping[str, str] = os.environ) -> bool:
    """Fix the threshold above which glibc maps a buffer of its own; True if it did. ``find_mallopt``
    is looked up only when the user has not chosen a threshold."""
    if "MALLOC_MMAP_THRESHOLD_" in environ or TUNABLE in environ.get("GLIBC_TUNABLES", ""):
        return False
    function = find_mallopt()
    if function is None:
        return False
    if not function(M_MMAP_THRESHOLD, MMAP_THRESHOLD):  # mallopt() answers 0 when it refuses
        log.debug("the C library refused a fixed mmap threshold; large buffers stay in its heaps")
        return False
    return True
