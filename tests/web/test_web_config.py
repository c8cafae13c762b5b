"""--web.config.file: the exporter-toolkit format parsed strictly, basic auth with bcrypt, TLS with real
TLS clients on loopback."""

from __future__ import annotations

import base64
import http.client
import secrets
import socket
import ssl
import threading
from http import HTTPStatus

import bcrypt
import pytest
from prometheus_client import CollectorRegistry

from exporter.config.errors import ConfigError
from exporter.config.loader import load_config
from exporter.config.secret import Secret
from exporter.exposition.cache import Exposition
from exporter.web.access import AccessControl, BasicAuth, TokenBucket
from exporter.web.app import App
from exporter.web.config import RateLimit, load_web_config, parse_web_config
from exporter.web.server import make_server
from exporter.web.tls import server_context
from tests.e2e.harness import make_tls_files
from tests.web.test_server import FakePoller


def hashed(password: str, prefix: str = "$2b$") -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", prefix, 1)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def test_a_full_toolkit_file_is_accepted(tmp_path, tls):
    password = secrets.token_hex(8)
    (tmp_path / "web.yml").write_text(
        f"tls_server_config:\n  cert_file: {tls.cert}\n  key_file: {tls.key}\n  min_version: TLS13\n"
        f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {tls.ca}\n"
        "  client_allowed_sans: [scraper.example]\n"
        "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n"
        "http_server_config:\n  http2: false\n  headers: {X-Frame-Options: deny}\n"
        f"basic_auth_users:\n  alice: '{hashed(password, '$2y$')}'\n"
        "basic_auth_excluded_paths: [/-/healthy]\n"
        "rate_limit: {interval: 100ms, burst: 20}\n"
    )
    config = load_web_config(tmp_path / "web.yml")
    assert config.tls is not None and config.tls.min_version == ssl.TLSVersion.TLSv1_3
    assert config.tls.client_auth == ssl.CERT_REQUIRED
    assert config.tls.client_allowed_sans == ("scraper.example",)
    assert config.headers == {"X-Frame-Options": "deny"}
    assert set(config.users) == {"alice"}
    assert config.excluded_paths == {"/-/healthy"}
    assert config.rate_limit == RateLimit(0.1, 20)


def test_every_problem_is_reported_at_once_without_echoing_hashes(tmp_path):
    almost_a_hash = "$2y$10$" + "x" * 40
    data = {
        "tls_server_config": {"cert_file": "missing.pem", "min_version": "SSL3",
                              "client_auth_type": "RequireAnyClientCert", "curve_preferences": ["X25519"]},
        "basic_auth_users": {"bob": almost_a_hash, "eve": 5},
        "basic_auth_excluded_paths": ["metrics"],
        "rate_limit": {"interval": "fast"},
        "tls_config": {},
    }
    with pytest.raises(ConfigError) as caught:
        parse_web_config(data, base_dir=tmp_path)
    text = str(caught.value)
    for fragment in ("tls_server_config.cert_file: file does not exist", "key_file: required",
                     "min_version: must be one of TLS10", "RequireAnyClientCert is not supported",
                     "curve_preferences: not supported", "basic_auth_users.bob: must be a bcrypt hash",
                     "basic_auth_users.eve", "'metrics' must start with /", "rate_limit.interval",
                     "tls_config: unknown key (did you mean 'tls_server_config'?)"):
        assert fragment in text
    assert almost_a_hash not in text and "x" * 40 not in text


def test_a_user_given_twice_is_refused_like_the_exporter_toolkit_does_without_echoing_either_hash(tmp_path):
    first, second = "$2y$10$" + "a" * 53, "$2y$10$" + "b" * 53
    (tmp_path / "web.yml").write_text(f"basic_auth_users:\n  alice: '{first}'\n  alice: '{second}'\n")
    with pytest.raises(ConfigError) as caught:
        load_web_config(tmp_path / "web.yml")
    assert caught.value.problems == [
        "line 3, column 3: invalid YAML: mapping key 'alice' already defined at line 2"]
    assert first not in str(caught.value) and second not in str(caught.value)


def test_a_web_config_that_is_not_yaml_names_the_place_without_quoting_the_line(tmp_path):
    (tmp_path / "web.yml").write_text("basic_auth_users:\n  alice: '$2y$10$secret\n")
    with pytest.raises(ConfigError) as caught:
        load_web_config(tmp_path / "web.yml")
    assert caught.value.problems[0].startswith("line 3, column 1: invalid YAML: ")
    assert "secret" not in str(caught.value)


def test_an_invalid_web_config_file_fails_exactly_like_an_invalid_config_file(tmp_path):
    # One error type and one block for both files: the CLI prints either the same way.
    config, web = tmp_path / "swr-exporter.yml", tmp_path / "web.yml"
    config.write_text("region: cn-north-4\nproject_id: p\nauth: {access_key: a, secret_key: b}\n"
                      "poll_interval: soon\nretries: many\n")
    web.write_text("basic_auth_excluded_paths: [metrics]\nrate_limit: {interval: soon}\n")
    with pytest.raises(ConfigError) as config_error:
        load_config(config, environ={})
    with pytest.raises(ConfigError) as web_error:
        load_web_config(web)
    assert str(config_error.value).splitlines() == [
        f"invalid configuration file {config}:",
        '  - poll_interval: invalid duration "soon"',
        "  - retries: must be an integer, got str",
    ]
    assert str(web_error.value).splitlines() == [
        f"invalid web configuration file {web}:",
        "  - basic_auth_excluded_paths: 'metrics' must start with /",
        '  - rate_limit.interval: invalid duration "soon"',
    ]


@pytest.mark.parametrize(
    ("load", "kind"),
    [(lambda path: load_config(path, environ={}), "configuration file"),
     (load_web_config, "web configuration file")],
    ids=["config", "web-config"],
)
def test_a_key_given_twice_is_the_same_error_in_either_file(tmp_path, load, kind):
    path = tmp_path / "file.yml"
    path.write_text("rate_limit: {}\nrate_limit: {}\n")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(caught.value).splitlines() == [
        f"invalid {kind} {path}:",
        "  - line 2, column 1: invalid YAML: mapping key 'rate_limit' already defined at line 1",
    ]


@pytest.mark.parametrize(("web", "problem"), [
    ({"rate_limit": {"interval": 5, "burst": 1}}, "rate_limit.interval: invalid duration 5: give a unit"),
    ({"rate_limit": {"interval": "1d", "burst": 1}}, 'rate_limit.interval: invalid duration "1d"'),
    ({"rate_limit": {"interval": "1s"}}, "rate_limit.burst: required with an interval"),
    ({"rate_limit": {"interval": "1s", "burst": -1}}, "rate_limit.burst: must be at least 0"),
    ({"http_server_config": {"headers": {"X-Frame-Options": "DENY"}}}, "X-Frame-Options: invalid value"),
    ({"http_server_config": {"headers": {"X-XSS-Protection": True}}}, "X-XSS-Protection: must be a string"),
    ({"tls_server_config": {"cipher_suites": ["TLS_AES_128_GCM_SHA256"], "max_version": "TLS12"}},
     "cipher_suites: lists TLS 1.3 suites only"),
    ({"tls_server_config": {"client_ca": "x", "client_ca_file": "ca.pem"}}, "give either client_ca or"),
], ids=["bare-number", "prometheus-only-unit", "no-burst", "negative-burst", "header-case", "header-bool",
        "tls13-suites-only", "two-client-cas"])
def test_what_the_toolkits_test_configs_leave_out_is_decided_and_said(tmp_path, web, problem):
    with pytest.raises(ConfigError) as caught:
        parse_web_config(web, base_dir=tmp_path)
    assert problem in str(caught.value)


@pytest.mark.parametrize(("limit", "expected"), [({"interval": "1.5s", "burst": 0}, RateLimit(1.5, 0)),
                                                  ({"interval": "0s"}, None), ({"interval": 0}, None)])
def test_rate_limit_intervals_are_go_durations_and_zero_is_off(tmp_path, limit, expected):
    assert parse_web_config({"rate_limit": limit}, base_dir=tmp_path).rate_limit == expected


def test_a_certificate_that_does_not_match_its_key_is_refused_at_load(tmp_path, tls):
    with pytest.raises(ConfigError, match="cannot load the certificate"):
        parse_web_config({"tls_server_config": {"cert_file": str(tls.cert), "key_file": str(tls.client_key)}},
                         base_dir=tmp_path)


def test_inline_cert_and_key_work_like_files(tmp_path, tls):
    config = parse_web_config({"tls_server_config": {"cert": tls.cert.read_text(),
                                                     "key": tls.key.read_text()}}, base_dir=tmp_path)
    assert isinstance(server_context(config.tls), ssl.SSLContext)
    assert tls.key.read_text() not in repr(config)


def test_basic_auth_accepts_only_the_right_password_for_a_known_user():
    password = secrets.token_hex(8)
    auth = BasicAuth({"alice": Secret(hashed(password))})
    assert auth.check(basic("alice", password))
    assert auth.check(basic("alice", password))  # the cached answer agrees
    assert not auth.check(basic("alice", password + "x"))
    assert not auth.check(basic("mallory", password))
    assert password not in repr(auth)


@pytest.mark.parametrize("header", [None, "", "Bearer abc", "Basic", "Basic !!!notbase64",
                                    "Basic " + base64.b64encode(b"no-colon").decode(),
                                    "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
                                    "Basic " + base64.b64encode(b"alice:" + b"p" * 100).decode()])
def test_malformed_or_oversized_credentials_are_refused_without_error(header):
    assert not BasicAuth({"alice": Secret(hashed("p" * 72))}).check(header)  # not truncated to match


def test_rate_limit_refuses_beyond_the_burst_and_refills_with_time():
    now = [0.0]
    bucket = TokenBucket(RateLimit(interval=1.0, burst=2), monotonic=lambda: now[0])
    assert [bucket.allow() for _ in range(3)] == [True, True, False]
    now[0] += 1.0
    assert bucket.allow() and not bucket.allow()


def test_excluded_paths_skip_auth_and_everything_else_needs_it(tmp_path):
    password = secrets.token_hex(8)
    config = parse_web_config({"basic_auth_users": {"alice": hashed(password)},
                               "basic_auth_excluded_paths": ["/-/healthy"]}, base_dir=tmp_path)
    access = AccessControl(config)
    assert access.check("/-/healthy", None) is None
    assert access.check("/metrics", None) == HTTPStatus.UNAUTHORIZED
    assert access.check("/nope", None) == HTTPStatus.UNAUTHORIZED  # which paths exist stays hidden
    assert access.check("/metrics", basic("alice", password)) is None


# --- over real TLS --------------------------------------------------------------------------------


def serve(tmp_path, web: dict):
    config = parse_web_config(web, base_dir=tmp_path)
    poller = FakePoller()
    poller.first_poll_done.set()
    app = App(Exposition(CollectorRegistry()), [poller], alive=lambda: True, access=AccessControl(config))
    server = make_server("127.0.0.1:0", app, tls=server_context(config.tls))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def client_context(tls, *, maximum=None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(tls.ca))
    if maximum is not None:
        context.maximum_version = maximum
    return context


def https_get(port, context, path="/-/healthy", headers=None):
    conn = http.client.HTTPSConnection("localhost", port, context=context, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


def test_tls_serves_a_verifying_client_and_basic_auth_guards_metrics(tmp_path, tls):
    password = secrets.token_hex(8)
    server = serve(tmp_path, {"tls_server_config": {"cert_file": str(tls.cert), "key_file": str(tls.key)},
                              "basic_auth_users": {"prometheus": hashed(password)},
                              "http_server_config": {"headers": {"X-Content-Type-Options": "nosniff"}}})
    port = server.server_address[1]
    try:
        status, _, headers = https_get(port, client_context(tls), "/metrics")
        assert status == 401 and headers["WWW-Authenticate"].startswith("Basic realm=")
        wrong = {"Authorization": basic("prometheus", "no")}
        assert https_get(port, client_context(tls), "/metrics", wrong)[0] == 401
        status, _, headers = https_get(port, client_context(tls), "/metrics",
                                       {"Authorization": basic("prometheus", password)})
        assert status == 200 and headers["X-Content-Type-Options"] == "nosniff"
        with pytest.raises(ssl.SSLCertVerificationError):
            https_get(port, ssl.create_default_context())  # a client that does not know our CA
        with pytest.raises((ConnectionError, http.client.BadStatusLine, http.client.RemoteDisconnected)):
            plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            plain.request("GET", "/-/healthy")
            plain.getresponse()
    finally:
        server.shutdown()
        server.server_close()


def test_min_version_tls13_refuses_a_tls12_client(tmp_path, tls):
    server = serve(tmp_path, {"tls_server_config": {"cert_file": str(tls.cert), "key_file": str(tls.key),
                                                    "min_version": "TLS13"}})
    port = server.server_address[1]
    try:
        with pytest.raises(ssl.SSLError):
            https_get(port, client_context(tls, maximum=ssl.TLSVersion.TLSv1_2))
        assert https_get(port, client_context(tls))[0] == 200
    finally:
        server.shutdown()
        server.server_close()


def test_a_client_that_never_starts_its_handshake_does_not_block_others(tmp_path, tls):
    server = serve(tmp_path, {"tls_server_config": {"cert_file": str(tls.cert), "key_file": str(tls.key)}})
    port = server.server_address[1]
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
    try:
        assert https_get(port, client_context(tls))[0] == 200
    finally:
        for sock in idle:
            sock.close()
        server.shutdown()
        server.server_close()
