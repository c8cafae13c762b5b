"""Who may use the HTTP endpoints: the request rate limit and basic auth of ``--web.config.file``.

bcrypt is slow on purpose (about 70 ms at cost 10), so a verified user/password pair is remembered, as
the exporter-toolkit does: a scraper that sends the same credentials every few seconds costs one bcrypt
per cache lifetime, and failed guesses still cost the guesser a full bcrypt each. The cache keys are
SHA-256 digests; no password is kept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus

import bcrypt

from exporter.config.secret import Secret
from exporter.web.config import RateLimit, WebConfig

CACHE_SIZE = 1024
REALM = 'Basic realm="swr-exporter", charset="UTF-8"'


class TokenBucket:
    """golang.org/x/time/rate's limiter, as the toolkit uses it: a burst of 0 refuses every request."""

    def __init__(self, limit: RateLimit, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._interval = limit.interval
        self._burst = float(limit.burst)
        self._tokens = float(limit.burst)
        self._monotonic = monotonic
        self._last = monotonic()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            now = self._monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._last) / self._interval)
            self._last = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


class BasicAuth:
    def __init__(self, users: Mapping[str, Secret], cache_size: int = CACHE_SIZE) -> None:
        self._users = {user: hashed.reveal().encode() for user, hashed in users.items()}
        self._decoy = next(iter(self._users.values()), b"")
        self._cache: OrderedDict[bytes, bool] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BasicAuth(users={sorted(self._users)!r})"

    def check(self, authorization: str | None) -> bool:
        credentials = _credentials(authorization)
        if credentials is None:
            return False
        user, password = credentials
        hashed = self._users.get(user)
        key = hashlib.sha256(b"\0".join((user.encode(), password, hashed or b""))).digest()
        with self._lock:
            known = self._cache.get(key)
            if known is not None:
                self._cache.move_to_end(key)
                return known
        # An unknown user costs a bcrypt too, so response times do not tell which users exist.
        ok = _bcrypt_matches(password, hashed or self._decoy) and hashed is not None
        with self._lock:
            self._cache[key] = ok
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return ok


def _credentials(authorization: str | None) -> tuple[str, bytes] | None:
    scheme, _, encoded = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(b":")
    if not sep:
        return None
    try:
        return user.decode("utf-8"), password
    except UnicodeDecodeError:
        return None


def _bcrypt_matches(password: bytes, hashed: bytes) -> bool:
    if not hashed:
        return False
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:  # longer than bcrypt's 72 bytes, or a hash it cannot read
        return False


@dataclass(frozen=True)
class _Rules:
    config: WebConfig
    auth: BasicAuth | None
    bucket: TokenBucket | None


class AccessControl:
    """Decides, per request, whether it may go on: None to serve it, else the status to answer.

    ``config`` is a web config, or a callable giving the current one (``LiveWebConfig.get``), read at
    every request as the toolkit does; the password cache and the rate limiter's bucket survive a
    change that leaves the users or the limit as they were.
    """

    def __init__(self, config: WebConfig | Callable[[], WebConfig] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        fixed = config if isinstance(config, WebConfig) else WebConfig()
        self._source: Callable[[], WebConfig] = config if callable(config) else lambda: fixed
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._rules = self._build(self._source(), None)

    @property
    def headers(self) -> Mapping[str, str]:
        """The ``http_server_config.headers`` to add to every answer."""
        return self._current().config.headers

    def check(self, path: str, authorization: str | None) -> HTTPStatus | None:
        rules = self._current()
        if rules.bucket is not None and not rules.bucket.allow():
            return HTTPStatus.TOO_MANY_REQUESTS
        if rules.auth is None or path in rules.config.excluded_paths or rules.auth.check(authorization):
            return None
        return HTTPStatus.UNAUTHORIZED

    def _current(self) -> _Rules:
        config = self._source()
        if config is not self._rules.config:
            with self._lock:
                if config is not self._rules.config:
                    self._rules = self._build(config, self._rules)
        return self._rules

    def _build(self, config: WebConfig, old: _Rules | None) -> _Rules:
        auth = old.auth if old is not None and old.config.users == config.users else (
            BasicAuth(config.users) if config.users else None)
        limit = config.rate_limit
        bucket = old.bucket if old is not None and old.config.rate_limit == limit else (
            TokenBucket(limit, self._monotonic) if limit is not None else None)
        return _Rules(config, auth, bucket)
