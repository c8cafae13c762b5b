"""Request authentication: which headers prove who we are, and what to do when the API answers 401.

:class:`AkSkAuth` signs (``signing.py``); :class:`TokenAuth` sends an ``X-Auth-Token`` from a token source
(``tokens.py``). No HTTP here: a token source that must ask IAM is handed a ``fetch`` callable at
construction, which ``factory.py`` builds on the same transport as the SWR client.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from exporter.config.secret import Secret
from exporter.swr.projects import ProjectRef
from exporter.swr.signing import authorization, sdk_date
from exporter.swr.tokens import (
    BACKOFF_FIRST,
    BACKOFF_MAX,
    FileToken,
    IamFetch,
    IamPasswordToken,
    StaticToken,
    TokenError,
    TokenSource,
)

if TYPE_CHECKING:
    from exporter.config.model import AuthConfig

log = logging.getLogger(__name__)


class RequestAuth(Protocol):
    @property
    def project_id(self) -> str | None:
        """The configured project, else the one an IAM token was scoped to (known after the first)."""
        ...

    def headers(
        self, method: str, host: str, path: str, query: str, body: bytes | None, base: Mapping[str, str]
    ) -> dict[str, str]:
        """The complete headers to send: ``base`` plus Host and the authentication headers.

        ``host`` is the endpoint's netloc (``host[:port]``), ``path`` the percent-encoded wire path and
        ``query`` the canonical query string.
        """
        ...

    def on_unauthorized(self) -> bool:
        """Called after a 401, on the thread that sent; True when a retry may now succeed."""
        ...

    def on_accepted(self) -> None:
        """Called after any answer but a 401, on the thread that sent: the credentials were accepted."""
        ...


def merge_headers(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """``base`` overridden by ``extra`` regardless of case, so no header goes out (or is signed) twice.

    A stray Authorization in ``base`` is dropped: it must neither be signed nor replace ours.
    """
    replaced = {name.lower() for name in extra} | {"authorization"}
    merged = {name: value for name, value in base.items() if name.lower() not in replaced}
    merged.update(extra)
    return merged


class AkSkAuth:
    """SDK-HMAC-SHA256 request signing with a permanent or temporary AK/SK, as huaweicloudsdkcore does."""

    def __init__(
        self,
        access_key: Secret,
        secret_key: Secret,
        project_id: str | ProjectRef | None,
        security_token: TokenSource | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._access_key = access_key
        self._secret_key = secret_key
        self._project = project_id if isinstance(project_id, ProjectRef) else ProjectRef(project_id)
        self._security_token = security_token
        self._clock = clock
        self._sent = threading.local()  # the transport calls on_unauthorized on the thread that sent

    @property
    def project_id(self) -> str | None:
        return self._project.get()

    expires_at = None  # a permanent AK/SK, or a security token whose expiry nobody told us

    def headers(
        self, method: str, host: str, path: str, query: str, body: bytes | None, base: Mapping[str, str]
    ) -> dict[str, str]:
        project_id = self._project.resolve()  # may itself send a signed IAM call (the project lookup)
        extra = {"Host": host, "X-Sdk-Date": sdk_date(datetime.fromtimestamp(self._clock(), UTC))}
        if project_id:
            extra["X-Project-Id"] = project_id
        if self._security_token is not None:
            token = self._security_token.token()
            self._sent.token = token
            extra["X-Security-Token"] = token.reveal()
        headers = merge_headers(base, extra)
        headers["Authorization"] = authorization(
            self._access_key.reveal(), self._secret_key.reveal(), method, path, query, headers, body
        )
        return headers

    def on_unauthorized(self) -> bool:
        """Only temporary credentials can change under us: re-read them, retry if they did change."""
        if self._security_token is None:
            return False
        self._security_token.invalidate()
        try:
            fresh = self._security_token.token()
        except TokenError as exc:
            log.warning("cannot reload the security token after a 401: %s", exc)
            return False
        changed = fresh != getattr(self._sent, "token", None)
        if changed:
            log.info("security token changed; retrying the rejected request")
        return changed

    def on_accepted(self) -> None:
        """Nothing to learn: a signature carries no state."""


class TokenAuth:
    """``X-Auth-Token`` authentication with a token from a :class:`TokenSource`.

    After a 401 the token is dropped and the request may be retried once per token value. A token
    obtained by such a refresh and rejected before any answer accepted it points at the credentials
    rather than the token: the next refresh then waits a back-off (30 s doubling to 10 min, on
    ``clock``), so that broken credentials cannot hammer IAM into locking the account, yet renewal never
    stops for good. A refreshed token that is accepted resets the back-off: each later revocation is
    recovered from at once.
    """

    _REMEMBERED = 16

    def __init__(self, source: TokenSource, project_id: str | ProjectRef | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._source = source
        self._project = project_id if isinstance(project_id, ProjectRef) else ProjectRef(project_id)
        self._clock = clock
        self._lock = threading.Lock()
        self._sent = threading.local()  # the transport calls on_unauthorized on the thread that sent
        self._rejected: deque[Secret] = deque(maxlen=self._REMEMBERED)
        self._refresh_pending = False
        self._refreshed: Secret | None = None  # obtained by a refresh, not yet accepted
        self._strikes = 0  # refreshed tokens rejected in a row
        self._held: Secret | None = None  # a rejected refreshed token, kept until ``_hold_until``
        self._hold_until = 0.0

    @property
    def project_id(self) -> str | None:
        # Only an IAM token source knows a project; a token file does not say which it is scoped to.
        return self._project.get() or getattr(self._source, "project_id", None)

    @property
    def expires_at(self) -> float | None:
        return getattr(self._source, "expires_at", None)

    def headers(
        self, method: str, host: str, path: str, query: str, body: bytes | None, base: Mapping[str, str]
    ) -> dict[str, str]:
        looked_up = self._project.resolve()  # may itself send an IAM call (the project lookup)
        token = self._source.token()
        self._sent.token = token
        with self._lock:
            if self._refresh_pending and token not in self._rejected:
                self._refresh_pending = False
                self._refreshed = token
        extra = {"Host": host, "X-Auth-Token": token.reveal()}
        project_id = looked_up or getattr(self._source, "project_id", None)
        if project_id:
            extra["X-Project-Id"] = project_id
        return merge_headers(base, extra)

    def on_unauthorized(self) -> bool:
        failed: Secret | None = getattr(self._sent, "token", None)
        if failed is None:
            return False
        with self._lock:
            if failed in self._rejected:
                if failed != self._held or self._clock() < self._hold_until:
                    return False
                self._held = None  # its back-off is over: refresh it now
            else:
                self._rejected.append(failed)
                if failed == self._refreshed:
                    self._hold(failed)
                    return False
            self._refresh_pending = True
        self._source.invalidate()
        log.info("token rejected (401); refreshing it once")
        return True

    def on_accepted(self) -> None:
        token = getattr(self._sent, "token", None)
        if token is None or token != self._refreshed:
            return
        with self._lock:
            if token == self._refreshed:
                self._refreshed, self._strikes = None, 0

    def _hold(self, token: Secret) -> None:
        self._strikes += 1
        delay = min(BACKOFF_FIRST * 2 ** (self._strikes - 1), BACKOFF_MAX)
        self._held, self._hold_until = token, self._clock() + delay
        log.warning("a freshly obtained token was rejected too (401); refreshing it again in %.0fs", delay)


def build_auth(
    cfg: AuthConfig,
    project_id: str | ProjectRef | None,
    region: str,
    fetch_iam_token: IamFetch,
    clock: Callable[[], float] = time.time,
) -> RequestAuth:
    """Wire a permanent AK/SK, a password or a token file; ``cfg`` has already been validated by
    ``config``. Credentials in files and temporary ones are wired by ``swr/sources/build.py``.

    ``fetch_iam_token`` is only called later, when a password token is first needed.
    """
    if cfg.type == "aksk":
        if not cfg.access_key or not cfg.secret_key or cfg.security_token_file is not None:
            raise ValueError("auth.type aksk needs an access key and a secret key (files: sources.build)")
        token = StaticToken(cfg.security_token) if cfg.security_token else None
        return AkSkAuth(cfg.access_key, cfg.secret_key, project_id, token, clock)
    if cfg.type == "password":
        if not cfg.username or not cfg.password or not cfg.domain:
            raise ValueError("auth.type password needs username, password and domain")
        scope = project_id.get() if isinstance(project_id, ProjectRef) else project_id
        source = IamPasswordToken(
            fetch_iam_token, cfg.username, cfg.password, cfg.domain, scope, region, clock
        )
        return TokenAuth(source, project_id, clock)
    if cfg.type == "token":
        if cfg.token_file is None:
            raise ValueError("auth.type token needs token_file")
        return TokenAuth(FileToken(cfg.token_file), project_id, clock)
    raise ValueError(f"unknown auth.type {cfg.type!r}")

