"""The signer against the published vectors: canonical request, Authorization header, wire query."""

from __future__ import annotations

import hashlib

import pytest

from exporter.swr.signing import authorization, canonical_query, canonical_request
from tests.swr.vectors import COMMON, VECTORS


def _ids(vector: dict) -> str:
    return vector["name"]


def _vector_headers() -> dict[str, str]:
    return {**COMMON["headers"], "Host": COMMON["host"]}


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=_ids)
def test_canonical_request_hash_matches_vector(vector: dict) -> None:
    query = canonical_query(tuple(pair) for pair in vector["query"])
    text, _ = canonical_request(
        vector["method"], vector["path"], query, _vector_headers(), vector["body"].encode()
    )
    assert hashlib.sha256(text.encode()).hexdigest() == vector["canonical_request_sha256"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=_ids)
def test_authorization_header_matches_vector(vector: dict) -> None:
    query = canonical_query(tuple(pair) for pair in vector["query"])
    header = authorization(
        COMMON["ak"],
        COMMON["sk"],
        vector["method"],
        vector["path"],
        query,
        _vector_headers(),
        vector["body"].encode(),
    )
    assert header == vector["authorization"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=_ids)
def test_wire_uri_is_path_plus_canonical_query(vector: dict) -> None:
    query = canonical_query(tuple(pair) for pair in vector["query"])
    assert (vector["path"] + ("?" + query if query else "")) == vector["wire_uri"]


def test_canonical_query_sorts_raw_values_and_expands_lists_like_the_sdk() -> None:
    assert canonical_query([("b", True), ("a", 10), ("a", 9), ("c", ["y", "x"])]) == "a=9&a=10&b=true&c=x&c=y"

