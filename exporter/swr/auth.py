"""Request authentication for the SWR API: SDK-HMAC-SHA256 signing and IAM tokens.

The signing recipe is the one of huaweicloudsdkcore's ``Signer`` (see swr-api.md section 5): the HMAC key
is the raw secret key, there is no credential scope, the canonical URI always ends in ``/`` and every
header whose name has no ``_`` is signed. The query string sent on the wire must be exactly the
canonical one, so callers build their URL with :func:`canonical_query`.

This module does no HTTP itself: token sources that must call IAM are handed a ``fetch`` callable by
``client.py``, the only module that speaks HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote, unquote

from exporter.config.secret import Secret
from exporter.swr.headers import header_value
from exporter.swr.tokens import FileToken, IamFetch, IamPasswordToken, StaticToken, TokenError, TokenSource

if TYPE_CHECKING:
    from exporter.config.loader import AuthConfig

log = logging.getLogger(__name__)

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()


def _quote(value: str) -> str:
    return quote(value, safe="~")


def canonical_uri(path: str) -> str:
    """Unquote, re-quote segment by segment, end with ``/``: ``%2F`` thus becomes a separator."""
    uri = "/".join(_quote(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def canonical_query(pairs: Iterable[tuple[str, object]]) -> str:
    """Sorted ``k=v`` pairs, each side quoted with only ``A-Za-z0-9-._~`` literal.

    The SDK sends this exact string as the URL query, so the server sees what was signed. Like the SDK,
    pairs are sorted on their raw values (``9`` before ``10``) and a list value becomes repeated,
    sorted ``k=v`` pairs.
    """
    pairs = list(pairs)
    try:
        items = sorted(pairs)
    except TypeError:  # values of mixed types under one key: the SDK would fail, we fall back to text
        items = sorted(pairs, key=lambda kv: (kv[0], query_value(kv[1])))
    parts: list[str] = []
    for key, value in items:
        values = sorted(value) if isinstance(value, list) else [value]
        parts.extend(f"{_quote(key)}={_quote(query_value(v))}" for v in values)
    return "&".join(parts)


def canonical_request(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes | None,
) -> tuple[str, str]:
    """Return (canonical request, signed header names joined by ``;``).

    ``query`` is the already canonical query string; ``headers`` must include Host and X-Sdk-Date.
    """
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        if "_" not in name:
            lowered[name.lower()] = str(value).strip()
    names = sorted(lowered)
    canonical_headers = "".join(f"{name}:{lowered[name]}\n" for name in names)
    signed = ";".join(names)
    payload_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_PAYLOAD_SHA256
    text = "\n".join(
        [method.upper(), canonical_uri(path), query, canonical_headers, signed, payload_hash]
    )
    return text, signed


def string_to_sign(canonical: str, sdk_date: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(secret_key: str, to_sign: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(
    access_key: str,
    secret_key: str,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes | None,
) -> str:
    """The ``Authorization`` header value for a request whose headers already carry X-Sdk-Date."""
    sdk_date = header_value(headers, "X-Sdk-Date")
    if sdk_date is None:
        raise ValueError("X-Sdk-Date header is required for signing")
    canonical, signed = canonical_request(method, path, query, headers, body)
    sig = signature(secret_key, string_to_sign(canonical, sdk_date))
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={signed}, Signature={sig}"


def sdk_date(now: datetime) -> str:
    return now.astimezone(UTC).strftime(DATE_FORMAT)


class RequestAuth(Protocol):
    def headers(
        self, method: str, host: str, path: str, query: str, body: bytes | None, base: Mapping[str, str]
    ) -> dict[str, str]:
        """The complete headers to send: ``base`` plus Host and the authentication headers.

        ``host`` is the endpoint's netloc (``host[:port]``), ``path`` the percent-encoded wire path and
        ``query`` the canonical query string.
        """
        ...

    def on_unauthorized(self) -> bool:
        """Called after a 401; True when a retry may now succeed."""
        ...


def _merge(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
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
        project_id: str | None,
        security_token: TokenSource | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._access_key = access_key
        self._secret_key = secret_key
        self._project_id = project_id
        self._security_token = security_token
        self._clock = clock
        self._sent = threading.local()  # the client calls on_unauthorized on the thread that sent

    @property
    def project_id(self) -> str | None:
        return self._project_id

    def headers(
        self, method: str, host: str, path: str, query: str, body: bytes | None, base: Mapping[str, str]
    ) -> dict[str, str]:
        extra = {"Host": host, "X-Sdk-Date": sdk_date(datetime.fromtimestamp(self._clock(), UTC))}
        if self._project_id:
            extra["X-Project-Id"] = self._project_id
        if self._security_token is not None:
            token = self._security_token.token()
            self._sent.token = token
            extra["X-Security-Token"] = token.reveal()
        headers = _merge(base, extra)
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


class TokenAuth:
    """``X-Auth-Token`` authentication with a token from a :class:`TokenSource`.

    After a 401 the token is dropped and the request may be retried once per token value. A token that
    was itself obtained by such a refresh and is rejected again is not refreshed: the credentials, not
    the token's age, are the problem, and refreshing again would only hammer IAM.
    """

    _REMEMBERED = 16

    def __init__(self, source: TokenSource, project_id: str | None = None) -> None:
        self._source = source
        self._project_id = project_id
        self._lock = threading.Lock()
        self._sent = threading.local()  # the client calls on_unauthorized on the thread that sent
        self._rejected: deque[Secret] = deque(maxlen=self._REMEMBERED)
        self._refresh_pending = False
        self._refreshed: Secret | None = None

    @property
    def project_id(self) -> str | None:
        """The configured project, else the one IAM scoped the token to (known after the first fetch)."""
        return self._project_id or getattr(self._source, "project_id", None)

    def headers(
        self, method: str, host: str, path: str, query: str, body: bytes | None, base: Mapping[str, str]
    ) -> dict[str, str]:
        token = self._source.token()
        self._sent.token = token
        with self._lock:
            if self._refresh_pending and token not in self._rejected:
                self._refresh_pending = False
                self._refreshed = token
        extra = {"Host": host, "X-Auth-Token": token.reveal()}
        project_id = self.project_id
        if project_id:
            extra["X-Project-Id"] = project_id
        return _merge(base, extra)

    def on_unauthorized(self) -> bool:
        failed: Secret | None = getattr(self._sent, "token", None)
        with self._lock:
            if failed is None or failed in self._rejected:
                return False
            self._rejected.append(failed)
            if failed == self._refreshed:
                log.warning("a freshly obtained token was rejected too (401); not refreshing it again")
                return False
            self._refresh_pending = True
        self._source.invalidate()
        log.info("token rejected (401); refreshing it once")
        return True


def build_auth(
    cfg: AuthConfig,
    project_id: str | None,
    region: str,
    fetch_iam_token: IamFetch,
    clock: Callable[[], float] = time.time,
) -> RequestAuth:
    """Wire the configured authentication; ``cfg`` has already been validated by ``config.py``."""
    if cfg.type == "aksk":
        if not cfg.access_key or not cfg.secret_key:
            raise ValueError("auth.type aksk needs an access key and a secret key")
        return AkSkAuth(cfg.access_key, cfg.secret_key, project_id, _security_token(cfg), clock)
    if cfg.type == "password":
        if not cfg.username or not cfg.password or not cfg.domain:
            raise ValueError("auth.type password needs username, password and domain")
        source = IamPasswordToken(
            fetch_iam_token, cfg.username, cfg.password, cfg.domain, project_id, region, clock
        )
        return TokenAuth(source, project_id)
    if cfg.type == "token":
        if cfg.token_file is None:
            raise ValueError("auth.type token needs token_file")
        return TokenAuth(FileToken(cfg.token_file), project_id)
    raise ValueError(f"unknown auth.type {cfg.type!r}")


def _security_token(cfg: AuthConfig) -> TokenSource | None:
    if cfg.security_token_file is not None:
        return FileToken(cfg.security_token_file)
    if cfg.security_token:
        return StaticToken(cfg.security_token)
    return None
