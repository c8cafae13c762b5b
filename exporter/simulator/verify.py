"""Server-side authentication: SDK-HMAC-SHA256 signatures and IAM tokens, as the API gateway checks them.

The signature is recomputed with the exporter's own signer functions over what was received: the raw
path (percent-decoding happens inside ``canonical_uri``), the raw query re-canonicalized, the headers
named in ``SignedHeaders`` and the body.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import parse_qsl

from exporter.simulator.account import Account
from exporter.simulator.replies import swr_error, unauthorized
from exporter.swr.signing import canonical_query, canonical_request, signature, string_to_sign

log = logging.getLogger(__name__)

_AUTHORIZATION = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)\s*$"
)
_SIGNATURE_FAILED = "verify aksk signature fail"


@dataclass(frozen=True)
class Incoming:
    """A received request, as raw as http.server gives it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass
class IssuedToken:
    project_id: str | None
    expires_at: float
    revoked: bool = False
    expired: bool = False


class TokenStore:
    """Tokens issued by the simulated IAM; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, project_id: str | None, expires_at: float) -> str:
        # Real tokens are long base64 blobs starting with "MII"; clients must not parse them.
        value = "MII" + secrets.token_urlsafe(96)
        with self._lock:
            self._tokens[value] = IssuedToken(project_id, expires_at)
        return value

    def get(self, value: str) -> IssuedToken | None:
        with self._lock:
            return self._tokens.get(value)

    def values(self) -> list[str]:
        with self._lock:
            return list(self._tokens)

    def revoke_all(self) -> None:
        with self._lock:
            for token in self._tokens.values():
                token.revoked = True

    def expire_all(self) -> None:
        with self._lock:
            for token in self._tokens.values():
                token.expired = True


class Issued(Protocol):
    secret_key: str
    security_token: str
    expires_at: float
    revoked: bool


class Verifier:
    def __init__(self, account: Account, tokens: TokenStore, clock: Callable[[], float],
                 max_skew: float | None = 900.0,
                 issued: Callable[[str], Issued | None] = lambda access: None) -> None:
        self._issued = issued
        self._account = account
        self._tokens = tokens
        self.clock = clock
        self._max_skew = max_skew

    def authenticate(self, request: Incoming, project_scoped: bool) -> str:
        """Return ``"aksk"`` or ``"token"``; raise ApiError (401/403) when the caller is not let in."""
        if "authorization" in request.headers:
            self._check_signature(request)
            if project_scoped:
                self._check_project_header(request, required=True)
            self._check_domain_header(request)
            return "aksk"
        if "x-auth-token" in request.headers:
            self._check_token(request.headers["x-auth-token"], project_scoped)
            if project_scoped:
                self._check_project_header(request, required=False)
            return "token"
        raise unauthorized("the request carries neither an Authorization header nor an X-Auth-Token")

    def _check_signature(self, request: Incoming) -> None:
        match = _AUTHORIZATION.match(request.headers["authorization"])
        if match is None:
            raise unauthorized(_SIGNATURE_FAILED)
        access, signed_names, claimed = match.groups()
        temporary = self._issued(access)
        if temporary is None and not hmac.compare_digest(access, self._account.ak):
            raise unauthorized(_SIGNATURE_FAILED)
        secret_key = temporary.secret_key if temporary is not None else self._account.sk
        self._check_date(request.headers.get("x-sdk-date"), signed_names)
        signed: dict[str, str] = {}
        for name in signed_names.split(";"):
            if name not in request.headers:
                raise unauthorized(_SIGNATURE_FAILED)
            signed[name] = _as_sent(request.headers[name])
        query = canonical_query(parse_qsl(request.query, keep_blank_values=True))
        canonical, _ = canonical_request(request.method, request.path, query, signed, request.body)
        expected = signature(secret_key, string_to_sign(canonical, request.headers["x-sdk-date"]))
        if not hmac.compare_digest(expected, claimed.lower()):
            log.debug("signature mismatch for %s %s", request.method, request.path)
            raise unauthorized(_SIGNATURE_FAILED)
        if temporary is not None:
            self._check_temporary(temporary, signed)

    def _check_temporary(self, temporary: Issued, signed: dict[str, str]) -> None:
        """A temporary AK/SK is only good with its own security token, signed, unexpired, unrevoked."""
        token = signed.get("x-security-token")
        if token is None or not hmac.compare_digest(token, temporary.security_token):
            raise unauthorized("the security token is missing, unsigned or does not belong to the AK")
        if temporary.revoked:
            raise unauthorized("the security token has been revoked")
        if temporary.expires_at <= self.clock():
            raise unauthorized("the security token has expired")

    def _check_date(self, value: str | None, signed_names: str) -> None:
        if value is None or "x-sdk-date" not in signed_names.split(";"):
            raise unauthorized(_SIGNATURE_FAILED)
        try:
            signed_at = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
        except ValueError:
            raise unauthorized(_SIGNATURE_FAILED) from None
        now = self.clock()
        if self._max_skew is not None and abs(now - signed_at) > self._max_skew:
            server_time = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
            raise unauthorized(f"signature expired, signature time:{value}, server time:{server_time}")

    def _check_token(self, value: str, project_scoped: bool) -> None:
        token = self._tokens.get(value)
        if token is None or token.revoked:
            raise unauthorized("decrypt token fail")
        if token.expired or token.expires_at <= self.clock():
            raise unauthorized("token expired")
        if project_scoped and token.project_id != self._account.project_id:
            raise swr_error(403, "SVCSTG.SWR.4030170", "Insufficient permissions: token is not scoped "
                            "to this project", authorization_message="")

    def _check_project_header(self, request: Incoming, required: bool) -> None:
        project = request.headers.get("x-project-id")
        if project is None and not required:
            return
        if project != self._account.project_id:
            raise unauthorized("X-Project-Id is missing or does not match the credentials")

    def _check_domain_header(self, request: Incoming) -> None:
        domain = request.headers.get("x-domain-id")
        if domain is not None and domain != self._account.domain_id:
            raise unauthorized("X-Domain-Id does not match the credentials")


def _as_sent(value: str) -> str:
    """http.server decodes header bytes as latin-1; the SDK signed the text it encoded as UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value
