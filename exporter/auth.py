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
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote, unquote

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

    The SDK sends this exact string as the URL query, so the server sees what was signed.
    """
    items = sorted((key, query_value(value)) for key, value in pairs)
    return "&".join(f"{_quote(key)}={_quote(value)}" for key, value in items)


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    return sorted({name.lower() for name in headers if "_" not in name})


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
    sdk_date = _header(headers, "X-Sdk-Date")
    if sdk_date is None:
        raise ValueError("X-Sdk-Date header is required for signing")
    canonical, signed = canonical_request(method, path, query, headers, body)
    sig = signature(secret_key, string_to_sign(canonical, sdk_date))
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={signed}, Signature={sig}"


def sdk_date(now: datetime) -> str:
    return now.astimezone(UTC).strftime(DATE_FORMAT)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None
