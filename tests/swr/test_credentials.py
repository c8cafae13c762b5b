"""The RequestAuth implementations' header sets, their 401 handling, and build_auth's wiring."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from exporter.config.secret import Secret
from exporter.swr.credentials import AkSkAuth, TokenAuth, build_auth
from exporter.swr.signing import authorization, canonical_query
from exporter.swr.tokens import FileToken, StaticToken
from tests.swr.vectors import COMMON, VECTOR_DATE, VECTORS

BASE = {"Content-Type": "application/json"}


def _signed_names(auth_header: str) -> list[str]:
    return auth_header.split("SignedHeaders=")[1].split(",")[0].split(";")


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda vector: vector["name"])
def test_aksk_auth_reproduces_vector_from_injected_clock(vector: dict) -> None:
    auth = AkSkAuth(
        Secret(COMMON["ak"]), Secret(COMMON["sk"]), COMMON["project_id"], clock=lambda: VECTOR_DATE
    )
    query = canonical_query(tuple(pair) for pair in vector["query"])
    headers = auth.headers(
        vector["method"], COMMON["host"], vector["path"], query, vector["body"].encode() or None, BASE
    )
    assert headers == {
        "Content-Type": "application/json",
        "Host": COMMON["host"],
        "X-Sdk-Date": COMMON["x_sdk_date"],
        "X-Project-Id": COMMON["project_id"],
        "Authorization": vector["authorization"],
    }


def _aksk(**kwargs: object) -> tuple[AkSkAuth, str, str]:
    ak, sk = secrets.token_hex(10), secrets.token_hex(20)
    kwargs.setdefault("clock", lambda: VECTOR_DATE)
    return AkSkAuth(Secret(ak), Secret(sk), **kwargs), ak, sk  # type: ignore[arg-type]


def test_aksk_host_keeps_port_and_is_signed() -> None:
    auth, ak, sk = _aksk(project_id="p1")
    headers = auth.headers("GET", "127.0.0.1:40273", "/v2/manage/repos", "limit=1", None, BASE)
    assert headers["Host"] == "127.0.0.1:40273"
    assert _signed_names(headers["Authorization"]) == ["content-type", "host", "x-project-id", "x-sdk-date"]
    unsigned = {k: v for k, v in headers.items() if k != "Authorization"}
    assert headers["Authorization"] == authorization(
        ak, sk, "GET", "/v2/manage/repos", "limit=1", unsigned, None
    )


def test_aksk_without_project_id_sends_no_project_header() -> None:
    auth, _, _ = _aksk(project_id=None)
    headers = auth.headers("GET", "h", "/", "", None, BASE)
    assert "X-Project-Id" not in headers
    assert _signed_names(headers["Authorization"]) == ["content-type", "host", "x-sdk-date"]


def test_aksk_sdk_date_follows_the_injected_clock() -> None:
    now = [VECTOR_DATE]
    auth, _, _ = _aksk(project_id="p", clock=lambda: now[0])
    first = auth.headers("GET", "h", "/", "", None, BASE)
    now[0] += 61
    second = auth.headers("GET", "h", "/", "", None, BASE)
    assert (first["X-Sdk-Date"], second["X-Sdk-Date"]) == ("20240102T030405Z", "20240102T030506Z")


def test_aksk_security_token_is_sent_and_signed() -> None:
    token = secrets.token_hex(16)
    auth, _, _ = _aksk(project_id="p", security_token=StaticToken(Secret(token)))
    headers = auth.headers("GET", "h", "/", "", None, BASE)
    assert headers["X-Security-Token"] == token
    assert "x-security-token" in _signed_names(headers["Authorization"])


def test_aksk_base_headers_in_other_case_are_replaced_not_duplicated() -> None:
    auth, _, _ = _aksk(project_id="p")
    base = {**BASE, "host": "wrong", "authorization": "stale", "x-sdk-date": "19700101T000000Z"}
    headers = auth.headers("GET", "right:8443", "/", "", None, base)
    assert {k.lower() for k in headers} == {
        "content-type",
        "host",
        "x-sdk-date",
        "x-project-id",
        "authorization",
    }
    assert headers["Host"] == "right:8443"
    assert headers["Authorization"].startswith("SDK-HMAC-SHA256 ")


def test_aksk_unauthorized_without_security_token_does_not_retry() -> None:
    auth, _, _ = _aksk(project_id="p")
    auth.headers("GET", "h", "/", "", None, BASE)
    assert auth.on_unauthorized() is False


def test_aksk_unauthorized_retries_only_when_security_token_file_changed(tmp_path: Path) -> None:
    path = tmp_path / "security-token"
    path.write_text(secrets.token_hex(8))
    auth, _, _ = _aksk(project_id="p", security_token=FileToken(path))
    auth.headers("GET", "h", "/", "", None, BASE)
    assert auth.on_unauthorized() is False
    new_token = secrets.token_hex(12)
    path.write_text(new_token)
    assert auth.on_unauthorized() is True
    assert auth.headers("GET", "h", "/", "", None, BASE)["X-Security-Token"] == new_token


def test_aksk_unauthorized_with_vanished_token_file_does_not_retry(tmp_path: Path) -> None:
    path = tmp_path / "security-token"
    path.write_text(secrets.token_hex(8))
    auth, _, _ = _aksk(project_id="p", security_token=FileToken(path))
    auth.headers("GET", "h", "/", "", None, BASE)
    path.unlink()
    assert auth.on_unauthorized() is False


class SequenceTokens:
    """Hands out a new value after each invalidate(), like IAM does."""

    def __init__(self, project_id: str | None = None) -> None:
        self.values = [Secret(secrets.token_hex(8)) for _ in range(5)]
        self.index = 0
        self.invalidations = 0
        self.project_id = project_id

    def token(self) -> Secret:
        return self.values[self.index]

    def invalidate(self) -> None:
        self.invalidations += 1
        self.index += 1


def test_token_auth_sends_token_project_and_host_but_no_signature() -> None:
    source = SequenceTokens()
    headers = TokenAuth(source, "p1").headers("GET", "swr:443", "/x", "", None, BASE)
    assert headers == {
        "Content-Type": "application/json",
        "Host": "swr:443",
        "X-Auth-Token": source.values[0].reveal(),
        "X-Project-Id": "p1",
    }


def test_token_auth_takes_project_id_from_source_when_not_configured() -> None:
    headers = TokenAuth(SequenceTokens(project_id="from-iam")).headers("GET", "h", "/", "", None, BASE)
    assert headers["X-Project-Id"] == "from-iam"


def test_auth_exposes_project_id_for_the_quotas_path() -> None:
    assert TokenAuth(SequenceTokens(project_id="from-iam")).project_id == "from-iam"
    assert TokenAuth(SequenceTokens(project_id="from-iam"), "configured").project_id == "configured"
    assert AkSkAuth(Secret("a"), Secret("s"), "p1").project_id == "p1"


def test_aksk_unauthorized_compares_with_the_token_this_thread_sent(tmp_path: Path) -> None:
    path = tmp_path / "security-token"
    path.write_text(secrets.token_hex(8))
    auth, _, _ = _aksk(project_id="p", security_token=FileToken(path))
    auth.headers("GET", "h", "/", "", None, BASE)
    path.write_text(secrets.token_hex(12))
    other = threading.Thread(target=auth.headers, args=("GET", "h", "/", "", None, BASE))
    other.start()
    other.join()  # another thread already sends the new token; ours went out with the old one
    assert auth.on_unauthorized() is True


def test_token_auth_omits_project_header_when_unknown() -> None:
    headers = TokenAuth(SequenceTokens()).headers("GET", "h", "/", "", None, BASE)
    assert "X-Project-Id" not in headers


def test_token_auth_unauthorized_refreshes_once_per_token_value() -> None:
    source = SequenceTokens()
    auth = TokenAuth(source)
    auth.headers("GET", "h", "/", "", None, BASE)
    assert auth.on_unauthorized() is True
    assert auth.on_unauthorized() is False
    assert source.invalidations == 1


def test_token_auth_does_not_refresh_a_freshly_refreshed_token_again() -> None:
    source = SequenceTokens()
    auth = TokenAuth(source)
    auth.headers("GET", "h", "/", "", None, BASE)
    assert auth.on_unauthorized() is True
    retried = auth.headers("GET", "h", "/", "", None, BASE)
    assert retried["X-Auth-Token"] == source.values[1].reveal()
    assert auth.on_unauthorized() is False
    assert source.invalidations == 1


def test_token_auth_unauthorized_before_any_request_does_not_retry() -> None:
    assert TokenAuth(SequenceTokens()).on_unauthorized() is False


def test_token_auth_refreshes_again_for_a_later_token_after_a_successful_refresh() -> None:
    source = SequenceTokens()
    auth = TokenAuth(source)
    auth.headers("GET", "h", "/", "", None, BASE)
    auth.on_unauthorized()
    auth.headers("GET", "h", "/", "", None, BASE)  # value 1 works for a while, then rotates normally
    source.index = 3
    auth.headers("GET", "h", "/", "", None, BASE)
    assert auth.on_unauthorized() is True


def _cfg(**fields: object) -> SimpleNamespace:
    defaults = dict(
        type="aksk",
        access_key=None,
        secret_key=None,
        security_token=None,
        security_token_file=None,
        username=None,
        password=None,
        domain=None,
        token_file=None,
    )
    return SimpleNamespace(**{**defaults, **fields})


def _no_fetch(body: dict) -> tuple[dict, object]:
    raise AssertionError("IAM must not be called while building auth")


def test_build_auth_aksk_with_static_security_token() -> None:
    token = secrets.token_hex(8)
    cfg = _cfg(access_key=Secret("a"), secret_key=Secret("s"), security_token=Secret(token))
    auth = build_auth(cfg, "p", "cn-north-4", _no_fetch)  # type: ignore[arg-type]
    assert auth.headers("GET", "h", "/", "", None, BASE)["X-Security-Token"] == token


def test_build_auth_password_sends_iam_token_and_its_project() -> None:
    token = secrets.token_hex(8)
    bodies: list[dict] = []

    def fetch(body: dict) -> tuple[dict, object]:
        bodies.append(body)
        result = {
            "expires_at": "2024-01-03T03:04:05.000000Z",
            "issued_at": "2024-01-02T03:04:05.000000Z",
            "project": {"id": "pid-from-iam", "name": "cn-north-4"},
        }
        return {"X-Subject-Token": token}, {"token": result}

    cfg = _cfg(type="password", username="u", password=Secret(secrets.token_hex(8)), domain="d")
    auth = build_auth(cfg, None, "cn-north-4", fetch, clock=lambda: VECTOR_DATE)  # type: ignore[arg-type]
    headers = auth.headers("GET", "h", "/", "", None, BASE)
    assert (headers["X-Auth-Token"], headers["X-Project-Id"]) == (token, "pid-from-iam")
    assert bodies[0]["auth"]["scope"] == {"project": {"name": "cn-north-4"}}


def test_build_auth_token_reads_token_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    token = secrets.token_hex(8)
    path.write_text(token)
    auth = build_auth(_cfg(type="token", token_file=path), "p", "r", _no_fetch)  # type: ignore[arg-type]
    assert auth.headers("GET", "h", "/", "", None, BASE)["X-Auth-Token"] == token


@pytest.mark.parametrize(
    "cfg",
    [_cfg(type="kerberos"), _cfg(type="aksk"), _cfg(type="password"), _cfg(type="token")],
    ids=["unknown-type", "aksk-no-keys", "password-no-user", "token-no-file"],
)
def test_build_auth_rejects_incomplete_config(cfg: SimpleNamespace) -> None:
    with pytest.raises(ValueError):
        build_auth(cfg, None, "r", _no_fetch)  # type: ignore[arg-type]


def test_auth_objects_do_not_show_secrets_in_repr() -> None:
    sk, token = secrets.token_hex(20), secrets.token_hex(8)
    auth = AkSkAuth(Secret("ak"), Secret(sk), "p", StaticToken(Secret(token)))
    assert sk not in repr(auth) and token not in repr(auth)
    assert sk not in repr(vars(auth)) and token not in repr(vars(auth))
