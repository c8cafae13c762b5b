"""Where tokens come from: a fixed value, a file that may be rotated, or IAM password authentication.

No HTTP here: :class:`IamPasswordToken` is handed a ``fetch`` callable (``iam.py``). Token values are
kept in :class:`~exporter.config.secret.Secret` and never appear in messages, logs or reprs.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from exporter.config.secret import Secret
from exporter.swr.errors import log_fields
from exporter.swr.headers import header_value

log = logging.getLogger(__name__)

IamFetch = Callable[[dict[str, Any]], tuple[Mapping[str, str], object]]

# A 24 h IAM token is replaced after 18 h, leaving hours of slack for IAM outages.
REFRESH_FRACTION = 0.75
BACKOFF_FIRST = 30.0
BACKOFF_MAX = 600.0


class TokenError(Exception):
    """No usable token; the message names the source but never carries a secret."""


class TokenSource(Protocol):
    def token(self) -> Secret: ...

    def invalidate(self) -> None: ...


class StaticToken:
    """A token fixed at start-up, e.g. HUAWEICLOUD_SDK_SECURITY_TOKEN."""

    def __init__(self, value: Secret) -> None:
        self._value = value

    def token(self) -> Secret:
        if not self._value:
            raise TokenError("the configured token is empty")
        return self._value

    def invalidate(self) -> None:
        """A fixed value cannot be refreshed."""


class FileToken:
    """A token read from a file and re-read whenever the file changes.

    A rotated Kubernetes secret is an atomic symlink swap; ``os.stat`` follows the link, so the inode
    changes even when size and mtime happen to match.
    """

    def __init__(self, path: Path, stat: Callable[[Path], os.stat_result] = os.stat) -> None:
        self._path = Path(path)
        self._stat = stat
        self._lock = threading.Lock()
        self._key: tuple[int, int, int] | None = None
        self._value: Secret | None = None

    def token(self) -> Secret:
        with self._lock:
            key = self._current_key()
            if self._value is None or key != self._key:
                # Stat before reading: a change racing with the read shows up as a new key next time.
                self._value = self._read()
                self._key = key
                log.debug("read token file %s", self._path)
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._key = None
            self._value = None

    def _current_key(self) -> tuple[int, int, int]:
        try:
            st = self._stat(self._path)
        except FileNotFoundError:
            raise TokenError(f"token file {self._path} does not exist") from None
        except OSError as exc:
            raise TokenError(f"cannot access token file {self._path}: {exc.strerror}") from None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _read(self) -> Secret:
        return read_secret_file(self._path, "token")


@dataclass(frozen=True)
class IssuedToken:
    """``expires_at`` is on the local clock (see :func:`parse_token_response`)."""

    value: Secret
    expires_at: float
    project_id: str | None


def password_auth_body(
    username: str, password: Secret, domain: str, project_id: str | None, region: str
) -> dict[str, Any]:
    """Body of IAM ``POST /v3/auth/tokens``, scoped to the project by id if known, else by region name."""
    scope = {"id": project_id} if project_id else {"name": region}
    user = {"domain": {"name": domain}, "name": username, "password": password.reveal()}
    return {
        "auth": {
            "identity": {"methods": ["password"], "password": {"user": user}},
            "scope": {"project": scope},
        }
    }


def parse_token_response(headers: Mapping[str, str], body: object, now: float) -> IssuedToken:
    """Token from ``X-Subject-Token``, lifetime from ``expires_at - issued_at`` of the body.

    Lifetime is measured on IAM's clock and laid onto ours from ``now``, so a skewed local clock neither
    expires tokens early nor serves them late.
    """
    value = header_value(headers, "X-Subject-Token")
    if not value:
        raise TokenError("IAM response has no X-Subject-Token header")
    result = body.get("token", body) if isinstance(body, dict) else None
    if not isinstance(result, dict):
        raise TokenError("IAM response body is not a token object")
    expires = parse_expiry(result.get("expires_at"))
    if expires is None:
        raise TokenError("IAM response has no valid token.expires_at")
    issued = parse_expiry(result.get("issued_at"))
    lifetime = expires - (issued if issued is not None else now)
    if lifetime <= 0:
        raise TokenError("IAM issued a token that has already expired")
    project = result.get("project")
    project_id = project.get("id") if isinstance(project, dict) else None
    return IssuedToken(Secret(value), now + lifetime, str(project_id) if project_id else None)


def read_secret_file(path: Path, what: str, error: type[TokenError] = TokenError) -> Secret:
    """The stripped text of ``path``; ``error`` naming the file (never its content) otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise error(f"{what} file {path} does not exist") from None
    except OSError as exc:
        raise error(f"cannot read {what} file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{what} file {path} is not valid UTF-8 text") from None
    if not text:
        raise error(f"{what} file {path} is empty")
    return Secret(text)


def parse_expiry(value: object) -> float | None:
    """``%Y-%m-%dT%H:%M:%S.%fZ`` as IAM and STS write it (fromisoformat also takes it without the
    fraction, or with an offset); None for anything else, an out-of-range year included."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        stamp = parsed.timestamp()
    except (OverflowError, ValueError):
        return None
    return stamp if math.isfinite(stamp) else None


class IamPasswordToken:
    """IAM user-password token, cached and refreshed after 75 % of its lifetime.

    Concurrent callers wait for a single fetch. A failed refresh keeps the old token while it is still
    valid and is retried after an exponential back-off (30 s doubling to 10 min); without a valid token
    the caller gets :class:`TokenError`, and no new attempt is made before the back-off ends either, so
    an IAM outage does not turn every SWR request into an IAM request.
    """

    def __init__(
        self,
        fetch: IamFetch,
        username: str,
        password: Secret,
        domain: str,
        project_id: str | None,
        region: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self._username = username
        self._password = password
        self._domain = domain
        self._configured_project = project_id
        self._region = region
        self._clock = clock
        self._lock = threading.Lock()
        self._issued: IssuedToken | None = None
        self._refresh_at = 0.0
        self._failures = 0
        self._next_attempt = 0.0
        self._last_error = "no request made yet"

    @property
    def expires_at(self) -> float | None:
        issued = self._issued
        return issued.expires_at if issued is not None else None

    @property
    def project_id(self) -> str | None:
        issued = self._issued
        if issued is not None and issued.project_id:
            return issued.project_id
        return self._configured_project

    def token(self) -> Secret:
        with self._lock:
            now = self._clock()
            issued = self._issued
            if issued is not None and now < self._refresh_at:
                return issued.value
            if now >= self._next_attempt:
                issued = self._try_fetch(now)
            if issued is not None and now < issued.expires_at:
                return issued.value
            raise TokenError(
                f"no valid IAM token: {self._last_error}; next attempt in "
                f"{max(0.0, self._next_attempt - now):.0f}s"
            )

    def invalidate(self) -> None:
        with self._lock:
            self._issued = None
            self._next_attempt = 0.0

    def _try_fetch(self, now: float) -> IssuedToken | None:
        """Fetch a token; on failure log, arm the back-off and return the previous token (maybe None)."""
        try:
            headers, body = self._fetch(
                password_auth_body(
                    self._username, self._password, self._domain, self._configured_project, self._region
                )
            )
            fetched = self._clock()
            issued = parse_token_response(headers, body, fetched)
        except Exception as exc:  # any failure of the caller's HTTP stack must not leak past here
            self._failures += 1
            delay = min(BACKOFF_FIRST * 2 ** (self._failures - 1), BACKOFF_MAX)
            self._next_attempt = now + delay
            self._last_error = self._scrub(str(exc)) or type(exc).__name__
            log.warning("IAM token request failed (%s); next attempt in %.0fs", self._last_error, delay,
                        extra=log_fields(exc))
            return self._issued
        lifetime = issued.expires_at - fetched
        self._issued = issued
        self._refresh_at = fetched + REFRESH_FRACTION * lifetime
        self._failures = 0
        self._next_attempt = 0.0
        log.info("obtained IAM token valid for %.0fs (project %s)", lifetime, issued.project_id)
        return issued

    def _scrub(self, text: str) -> str:
        secret = self._password.reveal()
        return text.replace(secret, "********") if secret else text
