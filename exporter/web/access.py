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
from http import HTTPStatus

import bcrypt

from exporter.config.secret import Secret
from exporter.web.config import RateLimit, WebConfig

CACHE_SIZE = 1024
REALM = 'Basic realm="swr-exporter", charset="UTF-8"'


class TokenBucket:
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


class AccessControl:
    """Decides, per request, whether it may go on: None to serve it, else the status to answer."""

    def __init__(self, config: WebConfig | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        config = config or WebConfig()
        self.headers: dict[str, str] = dict(config.headers)
        self._excluded = config.excluded_paths
        self._auth = BasicAuth(config.users) if config.users else None
        self._bucket = TokenBucket(config.rate_limit, monotonic) if config.rate_limit else None

    def check(self, path: str, authorization: str | None) -> HTTPStatus | None:
        if self._bucket is not None and not self._bucket.allow():
            return HTTPStatus.TOO_MANY_REQUESTS
        if self._auth is None or path in self._excluded or self._auth.check(authorization):
            return None
        return HTTPStatus.UNAUTHORIZED
