"""Temporary credentials: an AK/SK/security-token triple issued together, and how issuers' answers read.

Every issuer (the metadata service, IAM, STS, CCE pod identity) answers in the shape the SDK's
``StsAccessor._process_credential`` reads (swr-api.md 12.2): the object under ``credential`` or
``credentials``, with one of several spellings per key. Values are kept in :class:`Secret`; nothing here
ever puts one into a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from exporter.config.secret import Secret
from exporter.swr.tokens import TokenError, parse_expiry

_ACCESS = ("access", "accessKeyId", "access_key_id")
_SECRET = ("secret", "secretAccessKey", "secret_access_key")
_TOKEN = ("securitytoken", "securityToken", "security_token")
_EXPIRY = ("expires_at", "expiration")
_MAX_KEY = 4096  # a security token is a few kilobytes; anything far beyond is not one
_MAX_TOKEN = 65_536


class CredentialError(TokenError):
    """No usable credentials; the message names the source and the cause, never a secret.

    A :class:`TokenError`, so the poller counts it as an expected failure of the collector."""


@dataclass(frozen=True)
class Triple:
    """``expires_at`` is Unix time, None for a permanent AK/SK; ``security_token`` None for those too."""

    access_key: Secret
    secret_key: Secret
    security_token: Secret | None = None
    expires_at: float | None = None

    def __repr__(self) -> str:
        return f"Triple(expires_at={self.expires_at!r})"


class TripleSource(Protocol):
    """Asks an issuer for a fresh triple; raises CredentialError (or the transport's ApiError)."""

    name: str

    def fetch(self) -> Triple: ...


def parse_credential(data: object, issuer: str) -> Triple:
    """The triple of an issuer's JSON answer; :class:`CredentialError` for any other shape."""
    body = data
    if isinstance(body, dict):
        for wrapper in ("credential", "credentials"):
            if wrapper in body:
                body = body[wrapper]
                break
    if not isinstance(body, dict):
        raise CredentialError(f"{issuer} answered without a credential object")
    access = _text(body, _ACCESS, issuer, "access key", _MAX_KEY)
    secret = _text(body, _SECRET, issuer, "secret key", _MAX_KEY)
    token = _text(body, _TOKEN, issuer, "security token", _MAX_TOKEN)
    expiry = next((body[key] for key in _EXPIRY if body.get(key)), None)
    expires_at = parse_expiry(expiry)
    if expires_at is None:
        raise CredentialError(f"{issuer} answered without a valid expires_at")
    return Triple(Secret(access), Secret(secret), Secret(token), expires_at)


def _text(body: dict[object, object], keys: tuple[str, ...], issuer: str, what: str, limit: int) -> str:
    value = next((body[key] for key in keys if body.get(key)), None)
    if not isinstance(value, str) or not value.strip():
        raise CredentialError(f"{issuer} answered without a valid {what}")
    value = value.strip()
    # It goes into an HTTP header: a control character or a non-ASCII one could split or break it.
    if len(value) > limit or not value.isascii() or not value.isprintable():
        raise CredentialError(f"{issuer} answered with an unusable {what}")
    return value
