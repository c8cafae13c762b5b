"""SDK-HMAC-SHA256 request signing: pure functions, no I/O, no clock.

The recipe is the one of huaweicloudsdkcore's ``Signer`` (see swr-api.md section 5): the HMAC key is the
raw secret key, there is no credential scope, the canonical URI always ends in ``/`` and every header
whose name has no ``_`` is signed. The query string sent on the wire must be exactly the canonical one,
so callers build their URL with :func:`canonical_query`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from exporter.swr.headers import header_value

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
