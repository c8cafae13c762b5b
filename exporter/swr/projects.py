"""The project a target works in: the configured one, else looked up once at IAM as the SDK does.

No HTTP here: the lookup is a callable (``IamClient.list_projects`` bound to the target's credentials),
handed in by ``swr/sources/build.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from exporter.swr.errors import ApiError
from exporter.swr.temporary import CredentialError

log = logging.getLogger(__name__)

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 300.0


class ProjectRef:
    """``get()`` what is known now; ``resolve()`` looks it up first when it is not (once, with a
    back-off after a failure so that an IAM outage does not turn every SWR request into an IAM one)."""

    def __init__(self, configured: str | None = None, lookup: Callable[[], str] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._value = configured
        self.lookup = lookup
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._next_attempt = 0.0
        self._last_error = ""

    def get(self) -> str | None:
        return self._value

    def resolve(self) -> str | None:
        if self._value is not None or self.lookup is None:
            return self._value
        with self._lock:
            if self._value is not None:
                return self._value
            now = self._clock()
            if now < self._next_attempt:
                raise CredentialError(f"cannot look up the project: {self._last_error}; next attempt in "
                                      f"{self._next_attempt - now:.0f}s")
            try:
                self._value = self.lookup()
            except (ApiError, CredentialError) as exc:
                self._failures += 1
                delay = min(BACKOFF_FIRST * 2 ** (self._failures - 1), BACKOFF_MAX)
                self._next_attempt = now + delay
                self._last_error = str(exc)
                message = f"cannot look up the project: {exc}; next attempt in {delay:.0f}s"
                raise CredentialError(message) from None
            log.info("project id looked up at IAM: %s", self._value)
            return self._value
