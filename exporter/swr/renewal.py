"""Keeps a target's temporary credentials fresh: renewed before they expire, retried when the issuer fails.

A triple is renewed after 60 to 75 % of its lifetime, the point drawn at random for each renewal, so
that targets (and replicas) started together do not all ask their issuer at once, and an issuer that
fails still leaves a quarter of the lifetime for retries. Retries back off from 1 s, doubling, with
jitter, to at most a quarter of the last lifetime (and never beyond 5 min): short-lived credentials are
retried often enough to be back before the old ones run out. While no valid triple is held, every
request fails at once with a :class:`CredentialError` naming the issuer and its last error, and no
request reaches the issuer before the back-off ends.
"""

from __future__ import annotations

import logging
import random as _random
import threading
import time
from collections.abc import Callable
from typing import Protocol

from exporter.swr.temporary import CredentialError, Triple, TripleSource

log = logging.getLogger(__name__)

RENEW_LATEST = 0.75
RENEW_SPREAD = 0.15
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 300.0
# A triple is not used in its last moments: a request signed with it could arrive after it expired.
EXPIRY_MARGIN = 30.0


class KeyProvider(Protocol):
    @property
    def expires_at(self) -> float | None:
        """When the triple in use expires (Unix time); None when unknown or permanent."""
        ...

    def current(self) -> Triple:
        """The triple to sign with now; raises CredentialError when none is usable."""
        ...

    def invalidate(self, rejected: Triple) -> bool:
        """After a 401 for ``rejected``: get another one if it can be had; True when the retry may succeed."""
        ...

    def accepted(self, triple: Triple) -> None:
        """An answer other than 401 came back for a request signed with ``triple``."""
        ...


class RenewingKeys:
    def __init__(self, source: TripleSource, clock: Callable[[], float] = time.time,
                 random: Callable[[], float] = _random.random) -> None:
        self._source = source
        self._clock = clock
        self._random = random
        self._lock = threading.RLock()
        self._triple: Triple | None = None
        self._lifetime: float | None = None
        self._renew_at = 0.0
        self._failures = 0
        self._next_attempt = 0.0
        self._last_error = "no request made yet"
        self._forced: Triple | None = None  # obtained after a 401, not yet accepted
        self._strikes = 0
        self._struck: Triple | None = None
        self._hold_until = 0.0

    @property
    def expires_at(self) -> float | None:
        triple = self._triple
        return triple.expires_at if triple is not None else None

    def current(self) -> Triple:
        with self._lock:
            now = self._clock()
            triple = self._triple
            if triple is not None and now < self._renew_at:
                return triple
            if now >= self._next_attempt:
                triple = self._try_fetch(now)
            if triple is not None and self._usable(triple, now):
                return triple
            raise CredentialError(
                f"no valid temporary credentials from {self._source.name}: {self._last_error}; "
                f"next attempt in {max(0.0, self._next_attempt - now):.0f}s")

    def invalidate(self, rejected: Triple) -> bool:
        with self._lock:
            if self._triple is not rejected:
                return self._triple is not None  # renewed meanwhile: retry with the new one
            now = self._clock()
            if rejected is self._forced and rejected is not self._struck:
                # A triple fresh from the issuer refused too: the fault is not the triple's age.
                self._strikes += 1
                self._struck = rejected
                self._hold_until = now + min(BACKOFF_FIRST * 2 ** self._strikes, BACKOFF_MAX)
            if now < self._hold_until:
                return False
            log.info("temporary credentials from %s refused (401); asking for new ones", self._source.name)
            fresh = self._try_fetch(now)
            if fresh is None or fresh is rejected:
                return False
            self._forced = fresh
            return True

    def accepted(self, triple: Triple) -> None:
        if triple is self._forced:
            with self._lock:
                if triple is self._forced:
                    self._forced, self._strikes = None, 0

    def _usable(self, triple: Triple, now: float) -> bool:
        if triple.expires_at is None:
            return True
        margin = min(EXPIRY_MARGIN, 0.1 * (self._lifetime or 0.0))
        return now < triple.expires_at - margin

    def _try_fetch(self, now: float) -> Triple | None:
        try:
            triple = self._source.fetch()
            fetched = self._clock()
            lifetime = None if triple.expires_at is None else triple.expires_at - fetched
            if lifetime is not None and lifetime <= 0:
                raise CredentialError(f"{self._source.name} issued credentials that have already expired")
        except Exception as exc:
            self._failures += 1
            delay = self._backoff()
            self._next_attempt = now + delay
            self._last_error = str(exc) or type(exc).__name__
            log.warning("temporary credentials from %s: %s; next attempt in %.1fs", self._source.name,
                        self._last_error, delay)
            return self._triple
        self._triple, self._lifetime = triple, lifetime
        self._failures, self._next_attempt = 0, 0.0
        if lifetime is None:
            self._renew_at = float("inf")
        else:
            self._renew_at = fetched + lifetime * (RENEW_LATEST - RENEW_SPREAD * self._random())
        log.info("temporary credentials from %s obtained, valid for %s; renewing in %.0fs",
                 self._source.name, "ever" if lifetime is None else f"{lifetime:.0f}s",
                 self._renew_at - fetched if lifetime is not None else 0.0)
        return triple

    def _backoff(self) -> float:
        cap = BACKOFF_MAX
        if self._lifetime is not None:
            cap = max(BACKOFF_FIRST, min(BACKOFF_MAX, self._lifetime / 4))
        delay = min(BACKOFF_FIRST * 2 ** (self._failures - 1), cap)
        return delay * (0.5 + 0.5 * self._random())
