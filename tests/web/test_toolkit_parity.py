"""The web configs of prometheus/exporter-toolkit's own test suite (``web/tls_config_test.go``), run
against this exporter with the outcomes the toolkit's Go tests expect: refused or accepted at start, the
handshake that succeeds or fails, the header sent, the status answered. The files are copies of the
toolkit's ``web/testdata`` (see testdata/exporter-toolkit/README.md); the Go test each case comes from is
named beside it. The deliberate differences are the ones docs/security.md lists."""

from __future__ import annotations

import base64
import contextlib
import http.client
import shutil
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from exporter.config.errors import ConfigError
from exporter.exposition.cache import Exposition
from exporter.web.access import AccessControl
from exporter.web.app import App
from exporter.web.config import load_web_config
from exporter.web.reload import LiveTLSContext, LiveWebConfig
from exporter.web.server import make_server
from exporter.web.tls import CIPHER_SUITES
from tests.e2e.harness import make_tls_files
from tests.web.test_server import FakePoller

TOOLKIT = Path(__file__).parent / "testdata" / "exporter-toolkit"

# TestYAMLFiles and the failing start-ups of TestServerBehaviour: file -> what this exporter says.
REFUSED = {
    "somefile": "cannot read file",
    "web_config_junk.yml": "must be a mapping",
    "web_config_junk_key.yml": "cert_filse: unknown key",
    "web_config_noAuth_certPath_empty.bad.yml": "cert_file: must not be empty",
    "web_config_noAuth_cert_empty.bad.yml": "cert: must not be empty",
    "web_config_noAuth_keyPath_empty.bad.yml": "key_file: must not be empty",
    "web_config_noAuth_key_empty.bad.yml": "key: must not be empty",
    "web_config_noAuth_certPath_keyPath_empty.bad.yml": "cert_file: must not be empty",
    "web_config_noAuth_certPath_invalid.bad.yml": "cert_file: file does not exist",
    "web_config_noAuth_keyPath_invalid.bad.yml": "key_file: file does not exist",
    "web_config_noAuth_certPath_keyPath_invalid.bad.yml": "key_file: file does not exist",
    "web_config_noAuth.bad.yml": "without a client auth policy",  # issue 17, item 1
    "web_config_auth_clientCAs_invalid.bad.yml": "client_ca_file: file does not exist",
    "web_config_auth_user_list_invalid.bad.yml": "basic_auth_users.john: must be a bcrypt hash",
    "web_config_noAuth_inventedCiphers.bad.yml": "unknown or insecure cipher suite",
    "web_config_noAuth_inventedCurves.bad.yml": "curve_preferences: not supported",
    "web_config_noAuth_wrongTLSVersion.bad.yml": "min_version: must be one of",
    "web_config_noAuth_noHTTP2Cipher.bad.yml": "Go's HTTP/2 requires one",
    "web_config_headers_content_type_options.bad.yml": "X-Content-Type-Options: invalid value",  # item 7
    "web_config_headers_frame_options.bad.yml": "X-Frame-Options: invalid value",  # item 7
    "web_config_headers_extra_header.bad.yml": "Content-Type: unknown key",
}
# Accepted by the toolkit, refused here on purpose (docs/security.md, "Deliberate differences").
REFUSED_BY_DESIGN = {
    "tls_config_noAuth.requireanyclientcert.good.yml": "RequireAnyClientCert is not supported",
    "web_config_noAuth_allCurves.good.yml": "curve_preferences: not supported",
    "web_config_noAuth_someCurves.good.yml": "curve_preferences: not supported",
}
ACCEPTED = sorted({path.name for path in TOOLKIT.glob("*.y*ml")} - set(REFUSED) - set(REFUSED_BY_DESIGN))


@pytest.mark.parametrize(("name", "message"), sorted({**REFUSED, **REFUSED_BY_DESIGN}.items()))
def test_the_toolkits_refused_configs_are_refused_at_start(name, message):
    with pytest.raises(ConfigError) as caught:
        load_web_config(TOOLKIT / name)
    assert message in str(caught.value)


@pytest.mark.parametrize("name", ACCEPTED)
def test_the_toolkits_accepted_configs_are_accepted_at_start(name):
    assert "blocking" in name or name.endswith(("good.yml", "good.yaml", ".yaml", "empty.yml"))
    LiveWebConfig(TOOLKIT / name)  # items 2, 3, 4, 6 and 8 were refused here


def test_a_client_ca_without_a_client_auth_policy_is_refused_rather_than_verifying_nobody(tmp_path):
    # Item 1 with a real CA in place of the toolkit's /dev/null: it used to start with no verification.
    config = copy_toolkit(tmp_path, "web_config_noAuth.bad.yml")
    config.write_text(config.read_text().replace('"/dev/null"', "client_selfsigned.pem"))
    with pytest.raises(ConfigError, match="without a client auth policy"):
        load_web_config(config)


# --- TestServerBehaviour, TestUsers, TestConfigReloading --------------------------------------------


@dataclass
class Result:
    status: int | None = None  # None: the request failed (handshake, connection closed)
    error: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    cipher: str = ""


def client_context(cert: str | None = None, *, max_version=None, ciphers: list[str] | None = None):
    """The Go test's getTLSClient: trusts the server's certificate, offers ``cert`` when asked.

    Go's client trusts tls-ca-chain.pem; OpenSSL refuses that chain for a server (its intermediate's only
    extended key usage is anyExtendedKeyUsage), so this client trusts server.crt itself instead."""
    context = ssl.create_default_context(cafile=str(TOOLKIT / "server.crt"))
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    if cert:
        context.load_cert_chain(str(TOOLKIT / f"{cert}.pem"), str(TOOLKIT / f"{cert}.key"))
    if max_version is not None:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer what the server must refuse
        context.minimum_version, context.maximum_version = ssl.TLSVersion.TLSv1, max_version
    if ciphers:
        context.set_ciphers(":".join(CIPHER_SUITES[name] for name in ciphers))
    return context


def get(port: int, context: ssl.SSLContext | None = None, user: str = "", password: str = "") -> Result:
    headers = {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
    conn = (http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=5) if context
            else http.client.HTTPConnection("127.0.0.1", port, timeout=5))
    try:
        conn.request("GET", "/metrics", headers=headers if user else {})
        response = conn.getresponse()
        response.read()
        cipher = conn.sock.cipher()[0] if isinstance(conn.sock, ssl.SSLSocket) else ""
        return Result(response.status, "", dict(response.getheaders()), cipher)
    except (OSError, http.client.HTTPException) as error:
        return Result(error=f"{type(error).__name__}: {getattr(error, 'reason', None) or error}")
    finally:
        conn.close()


@contextlib.contextmanager
def exporter(config: Path) -> Iterator[int]:
    """The exporter's HTTP server as cli.serve wires it, on a free loopback port."""
    live = LiveWebConfig(config)
    poller = FakePoller()
    poller.first_poll_done.set()
    app = App(Exposition(CollectorRegistry()), [poller], alive=lambda: True, access=AccessControl(live.get))
    server = make_server("127.0.0.1:0", app, tls=LiveTLSContext(live) if live.tls() else None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def copy_toolkit(tmp_path: Path, name: str, drop: str = "") -> Path:
    """A copy of a toolkit config beside its files, without the lines naming ``drop``: the toolkit's
    tests use VerifyClientCertIfGiven (item 2) everywhere, dropping it tests one item alone."""
    for pem in ("server.crt", "server.key", "client_selfsigned.pem"):
        shutil.copy(TOOLKIT / pem, tmp_path / pem)
    lines = (TOOLKIT / name).read_text().splitlines(keepends=True)
    (tmp_path / name).write_text("".join(line for line in lines if not drop or drop not in line))
    return tmp_path / name


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_verify_client_cert_if_given_without_a_ca_serves_a_client_with_no_certificate():
    # "valid tls config yml and tls client" (item 2), "... and default client", "... TLS 1.1 client"
    with exporter(TOOLKIT / "web_config_noAuth.good.yml") as port:
        assert get(port, client_context()).status == 200
        assert get(port).status is None  # plain HTTP to the HTTPS port
        refused = get(port, client_context(max_version=ssl.TLSVersion.TLSv1_1))
        assert refused.status is None and "VERSION" in refused.error.upper()
        # Go verifies against the system's roots: a self-signed client certificate is refused.
        assert get(port, client_context("client_selfsigned")).status is None


def test_inline_cert_and_key_serve_a_tls_client():
    with exporter(TOOLKIT / "web_config_noAuth_tlsInline.good.yml") as port:
        assert get(port, client_context()).status == 200


@pytest.mark.parametrize("drop", ["", "client_auth_type"])
def test_all_the_toolkits_cipher_names_tls13_ones_included_are_accepted_and_serve(tmp_path, drop):
    with exporter(copy_toolkit(tmp_path, "web_config_noAuth_allCiphers.good.yml", drop)) as port:  # item 4
        assert get(port, client_context()).status == 200


def test_the_listed_cipher_suites_are_the_only_ones_served():
    with exporter(TOOLKIT / "web_config_noAuth_someCiphers.good.yml") as port:
        ok = get(port, client_context(ciphers=["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]))
        assert ok.status == 200
        refused = get(port, client_context(ciphers=["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"]))
        assert refused.status is None and "HANDSHAKE_FAILURE" in refused.error.upper()
        both = ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
        assert get(port, client_context(ciphers=both)).cipher == CIPHER_SUITES[both[0]]


def test_prefer_server_cipher_suites_false_lets_the_client_choose(tmp_path):
    # "valid tls config yml with multiple client ciphers, client chooses cipher" (item 5): the server
    # lists AES-256 first, the client AES-128, and the toolkit's test expects AES-128.
    both = ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
    for drop in ("client_auth_type", ""):  # alone first, then as the toolkit wrote it
        with exporter(copy_toolkit(tmp_path, "web_config_noAuth_someCiphers_noOrder.good.yml", drop)) as port:
            assert get(port, client_context(ciphers=both)).cipher == CIPHER_SUITES[both[0]]


def test_http2_false_with_a_suite_go_http2_lacks_serves():
    with exporter(TOOLKIT / "web_config_noAuth_noHTTP2.good.yml") as port:
        assert get(port, client_context()).status == 200


def test_the_toolkits_header_config_is_sent_number_included():
    with exporter(TOOLKIT / "web_config_headers.good.yml") as port:  # item 6
        headers = get(port).headers
    assert headers["X-XSS-Protection"] == "1" and headers["X-Frame-Options"] == "deny"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["Content-Security-Policy"] == "default-src 'self' *.test.example.net"


def test_client_certificates_are_verified_and_their_sans_checked():
    with exporter(TOOLKIT / "tls_config_noAuth.requireandverifyclientcert.good.yml") as port:
        assert get(port, client_context("client_selfsigned")).status == 200
        assert get(port, client_context()).status is None
    with exporter(TOOLKIT / "web_config_auth_client_san.good.yaml") as port:
        assert get(port, client_context("client2_selfsigned")).status == 200
    with exporter(TOOLKIT / "web_config_auth_client_san.bad.yaml") as port:
        assert get(port, client_context("client2_selfsigned")).status is None


def test_a_zero_interval_turns_the_rate_limit_off():
    with exporter(TOOLKIT / "web_config_rate_limiter_nonblocking.yaml") as port:  # item 8
        assert [get(port).status for _ in range(11)] == [200] * 11


def test_a_zero_burst_answers_every_request_with_429():
    with exporter(TOOLKIT / "web_config_rate_limiter_one_second.yaml") as port:  # item 8
        assert get(port).status == 429


@pytest.mark.parametrize("name", ["web_config_users_noTLS.good.yml", "web_config_users.good.yml"])
def test_the_toolkits_users_and_passwords(name):
    context = client_context() if "noTLS" not in name else None
    with exporter(TOOLKIT / name) as port:
        assert get(port, context).status == 401
        assert get(port, context, "dave", "dave123").status == 200
        assert get(port, context, "carol", "carol123").status == 200
        assert get(port, context, "dave", "bad").status == 401
        assert get(port, context, "nonexistent", "nonexistent").status == 401


def test_a_rewritten_web_config_takes_effect_without_a_restart(tmp_path):
    # TestConfigReloading (items 3 and 9): RequireAndVerifyClientCert with no CA refuses a client
    # without a certificate; the file is then rewritten to VerifyClientCertIfGiven, and it is served.
    config = copy_toolkit(tmp_path, "web_config_noAuth.good.blocking.yml")
    with exporter(config) as port:
        assert get(port, client_context()).status is None
        config.write_text((TOOLKIT / "web_config_noAuth.good.yml").read_text())
        assert get(port, client_context()).status == 200


def test_a_user_removed_from_the_file_is_refused_and_an_invalid_rewrite_keeps_the_last_good_file(tmp_path):
    config = copy_toolkit(tmp_path, "web_config_users_noTLS.good.yml")  # item 9
    with exporter(config) as port:
        assert get(port, None, "dave", "dave123").status == 200
        config.write_text(config.read_text().replace("  dave:", "  david:"))
        assert get(port, None, "dave", "dave123").status == 401
        config.write_text("basic_auth_users: {dave: nope}\n")  # the toolkit answers 500 until fixed
        assert get(port, None, "david", "dave123").status == 200


def test_a_renewed_certificate_is_served_to_new_connections(tmp_path):
    config = copy_toolkit(tmp_path, "web_config_noAuth.good.yml", drop="client_auth_type")  # item 9
    with exporter(config) as port:
        assert get(port, client_context()).status == 200
        (tmp_path / "renewed").mkdir()
        renewed = make_tls_files(tmp_path / "renewed")
        shutil.copy(renewed.key, tmp_path / "server.key")
        shutil.copy(renewed.cert, tmp_path / "server.crt")
        assert get(port, ssl.create_default_context(cafile=str(renewed.ca))).status == 200
        assert get(port, client_context()).status is None


def test_access_control_reads_the_current_config_at_every_request():
    configs = [load_web_config(TOOLKIT / "web_config_users_noTLS.good.yml")]  # as LiveWebConfig.get gives
    access = AccessControl(lambda: configs[-1])
    dave = "Basic " + base64.b64encode(b"dave:dave123").decode()
    assert access.check("/metrics", None) == 401 and access.check("/metrics", dave) is None
    configs.append(load_web_config(TOOLKIT / "web_config_headers.good.yml"))
    assert access.check("/metrics", None) is None and access.headers["X-XSS-Protection"] == "1"
