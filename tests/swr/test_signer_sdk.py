"""Our signer agrees with huaweicloudsdkcore's own on generated requests.

The SDK is driven the way its clients drive it: path parameters quoted with ``quote(v, safe='')``, the
query as a list of pairs, then ``BasicCredentials.sign_request`` (which adds X-Project-Id and
X-Security-Token before handing over to ``Signer``). Both sides sign with the same X-Sdk-Date.
"""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.config.secret import Secret
from exporter.swr.credentials import AkSkAuth
from exporter.swr.signing import canonical_query, sdk_date
from exporter.swr.tokens import StaticToken

RESERVED = ":|/?#&=+ ~*'()!%$@,;[]\"<>^`{}\\"
TEXT = st.text(alphabet=st.sampled_from(string.ascii_letters + string.digits + "-._" + RESERVED), max_size=12)
UNICODE = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8
)
SEGMENT = st.one_of(TEXT, UNICODE, st.sampled_from(["library/nginx", "library$nginx", "a%2Fb", "ü/ß"]))
QUERY_KEY = st.one_of(
    st.sampled_from(["limit", "offset", "namespace", "filter", "marker", "is_public"]), TEXT
)
QUERY_VALUE = st.one_of(
    TEXT,
    UNICODE,
    st.booleans(),
    st.integers(min_value=0, max_value=10**6),
    st.just("namespace::group|name::busy box|order_column::updated_at"),
    st.lists(TEXT, min_size=1, max_size=3),
)
JSON_BODY = st.dictionaries(UNICODE, st.one_of(UNICODE, st.integers(), st.booleans()), max_size=3)
BODY = st.one_of(
    st.none(),
    st.just(b""),
    TEXT.map(str.encode),
    JSON_BODY.map(lambda d: json.dumps(d).encode()),
    JSON_BODY.map(lambda d: json.dumps(d, ensure_ascii=False).encode()),
)
KEY = st.text(alphabet=string.ascii_letters + string.digits, min_size=16, max_size=40)
HOST = st.sampled_from(["swr-api.cn-north-4.myhuaweicloud.com", "127.0.0.1:40273", "localhost:8443"])
WHEN = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC))
BASE = {"Content-Type": "application/json", "User-Agent": "swr-exporter/test (generated)"}


def _sdk_sign(
    method: str,
    host: str,
    path: str,
    pairs: list[tuple[str, Any]],
    body: bytes | None,
    creds: tuple[str, str, str | None, str | None],
    date: str,
) -> SdkRequest:
    ak, sk, project_id, security_token = creds
    credentials = BasicCredentials(ak, sk, project_id)
    if security_token is not None:
        credentials.with_security_token(security_token)
    request = SdkRequest(
        method=method,
        schema="https",
        host=host,
        resource_path=path,
        # the SDK sorts list values in place: hand it copies
        query_params=[(k, list(v) if isinstance(v, list) else v) for k, v in pairs],
        header_params={**BASE, "X-Sdk-Date": date},
        body=body,
    )
    return credentials.sign_request(request)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "get"]),
    host=HOST,
    segments=st.lists(SEGMENT, min_size=1, max_size=3),
    query=st.dictionaries(QUERY_KEY, QUERY_VALUE, max_size=5),
    body=BODY,
    ak=KEY,
    sk=KEY,
    project_id=st.one_of(st.none(), st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)),
    security_token=st.one_of(st.none(), KEY),
    when=WHEN,
)
def test_aksk_auth_matches_sdk_signer_on_generated_requests(
    method: str,
    host: str,
    segments: list[str],
    query: dict[str, Any],
    body: bytes | None,
    ak: str,
    sk: str,
    project_id: str | None,
    security_token: str | None,
    when: datetime,
) -> None:
    path = "/v2/manage/namespaces/" + "/repos/".join(quote(segment, safe="") for segment in segments)
    pairs = list(query.items())
    date = sdk_date(when)
    sdk = _sdk_sign(method, host, path, pairs, body, (ak, sk, project_id, security_token), date)

    token_source = StaticToken(Secret(security_token)) if security_token is not None else None
    auth = AkSkAuth(Secret(ak), Secret(sk), project_id, token_source, clock=when.timestamp)
    wire_query = canonical_query(pairs)
    ours = auth.headers(method, host, path, wire_query, body, BASE)

    assert ours["Authorization"] == sdk.header_params["Authorization"]
    assert ours == sdk.header_params
    assert path + ("?" + wire_query if wire_query else "") == sdk.uri


def test_sdk_agreement_covers_encoded_slash_and_dollar_and_security_token() -> None:
    """A fixed case of the generated ones, so the key behaviours are checked on every run by name."""
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    path = "/v2/manage/namespaces/group/repos/" + quote("library/nginx", safe="") + "/tags"
    pairs: list[tuple[str, Any]] = [("with_manifest", False), ("tag", "v1 (rc)+~*'!"), ("limit", 100)]
    creds = ("AK" + "0" * 18, "SK" + "1" * 38, "0123456789abcdef0123456789abcdef", "tok" * 10)
    sdk = _sdk_sign("GET", "127.0.0.1:40273", path, pairs, None, creds, sdk_date(when))
    auth = AkSkAuth(
        Secret(creds[0]), Secret(creds[1]), creds[2], StaticToken(Secret(creds[3])), when.timestamp
    )
    query = canonical_query(pairs)
    ours = auth.headers("GET", "127.0.0.1:40273", path, query, None, BASE)
    assert ours == sdk.header_params
    assert query == "limit=100&tag=v1%20%28rc%29%2B~%2A%27%21&with_manifest=false"
    assert "x-security-token" in ours["Authorization"]
