"""``--web.config.file``: TLS, basic auth and request rate limit, in the Prometheus exporter-toolkit format.

The keys and meanings are those of prometheus/exporter-toolkit's ``docs/web-configuration.md``, so one
file serves this exporter and Go exporters alike. One extension: ``basic_auth_excluded_paths``, exact
paths served without basic auth (Kubernetes probes on ``/-/healthy`` cannot easily send a password).
What Python's ``ssl`` cannot do is refused with a message rather than silently ignored:
``client_auth_type`` RequestClientCert and RequireAnyClientCert (a certificate asked for but not
verified) and ``curve_preferences``.

Every problem is reported at once with its YAML path. Password hashes are never echoed.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from exporter.config.durations import parse_duration
from exporter.config.fields import Context, Node, type_name
from exporter.config.secret import Secret
from exporter.config.yaml_file import YamlFileError, read_yaml

log = logging.getLogger(__name__)

TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_UNVERIFIED_CLIENT_AUTH = ("RequestClientCert", "RequireAnyClientCert")
# Go's names (crypto/tls) of the TLS 1.2 suites it calls secure, and OpenSSL's names for them.
CIPHER_SUITES = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
}
SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                    "X-XSS-Protection", "Strict-Transport-Security")
_TLS_KEYS = ("cert_file", "key_file", "cert", "key", "client_auth_type", "client_ca_file", "client_ca",
             "client_allowed_sans", "min_version", "max_version", "cipher_suites",
             "prefer_server_cipher_suites", "curve_preferences")
_TOP_KEYS = ("tls_server_config", "http_server_config", "basic_auth_users", "rate_limit",
             "basic_auth_excluded_paths")
_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")


class WebConfigError(Exception):
    """Every problem of one web configuration file; ``str()`` is the block the CLI prints."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(source, self.problems)

    def __str__(self) -> str:
        lines = "".join(f"\n  - {problem}" for problem in self.problems)
        return f"invalid web configuration file {self.source}:{lines}"


@dataclass(frozen=True)
class TLSServerConfig:
    cert_file: Path | None = None
    key_file: Path | None = None
    cert: str | None = None
    key: Secret | None = None
    client_auth: ssl.VerifyMode = ssl.CERT_NONE
    client_ca_file: Path | None = None
    client_ca: str | None = None
    client_allowed_sans: tuple[str, ...] = ()
    min_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
    max_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3
    ciphers: tuple[str, ...] = ()
    prefer_server_ciphers: bool = True


@dataclass(frozen=True)
class RateLimit:
    interval: float  # seconds between two requests; the bucket refills one token per interval
    burst: int


@dataclass(frozen=True)
class WebConfig:
    tls: TLSServerConfig | None = None
    users: Mapping[str, Secret] = field(default_factory=dict)  # user -> bcrypt hash
    excluded_paths: frozenset[str] = frozenset()
    headers: Mapping[str, str] = field(default_factory=dict)
    rate_limit: RateLimit | None = None


def load_web_config(path: str | Path) -> WebConfig:
    path = Path(path)
    try:
        data = read_yaml(path)
    except YamlFileError as exc:
        raise WebConfigError(str(path), [exc.problem]) from None
    return parse_web_config(data, base_dir=path.absolute().parent, source=str(path))


def parse_web_config(data: object, *, base_dir: Path, source: str = "<web config>") -> WebConfig:
    ctx = Context(base_dir=base_dir, hostname=lambda: "")
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise WebConfigError(source, [f"(top level): must be a mapping, got {type_name(data)}"])
    root = Node(data, "", ctx)
    root.check_keys(_TOP_KEYS)
    tls_node = root.mapping("tls_server_config")
    config = WebConfig(
        tls=_tls(tls_node) if tls_node is not None else None,
        users=_users(root),
        excluded_paths=_excluded_paths(root),
        headers=_headers(root),
        rate_limit=_rate_limit(root),
    )
    if config.tls is not None and not ctx.problems:
        try:
            server_context(config.tls)
        except (ssl.SSLError, OSError, ValueError) as error:
            ctx.add("tls_server_config", f"cannot load the certificate, key or CA ({_ssl_reason(error)})")
    if ctx.problems:
        raise WebConfigError(source, ctx.problems)
    return config


def _ssl_reason(error: Exception) -> str:
    return getattr(error, "reason", None) or getattr(error, "strerror", None) or type(error).__name__


def _tls(node: Node) -> TLSServerConfig:
    node.check_keys(_TLS_KEYS)
    cert_file, key_file = node.file_path("cert_file"), node.file_path("key_file")
    cert, key = node.string("cert"), node.string("key")
    for name, inline, path_key in (("cert", cert, "cert_file"), ("key", key, "key_file")):
        if inline is not None and node.has(path_key):
            node.add(name, f"give either {name} or {path_key}, not both")
        elif inline is None and not node.has(path_key):
            node.add(path_key, f"required with tls_server_config (or {name} inline)")
    if node.has("curve_preferences"):
        node.add("curve_preferences", "not supported by this exporter (OpenSSL chooses the curves)")
    return TLSServerConfig(
        cert_file=cert_file, key_file=key_file, cert=cert, key=Secret(key) if key else None,
        client_auth=_client_auth(node),
        client_ca_file=node.file_path("client_ca_file"), client_ca=node.string("client_ca"),
        client_allowed_sans=_strings(node, "client_allowed_sans"),
        min_version=_version(node, "min_version", ssl.TLSVersion.TLSv1_2),
        max_version=_version(node, "max_version", ssl.TLSVersion.TLSv1_3),
        ciphers=_ciphers(node),
        prefer_server_ciphers=node.boolean("prefer_server_cipher_suites") is not False,
    )


def _client_auth(node: Node) -> ssl.VerifyMode:
    name = node.string("client_auth_type") or "NoClientCert"
    if name in _UNVERIFIED_CLIENT_AUTH:
        node.add("client_auth_type", f"{name} is not supported (a certificate that is not verified "
                                     "proves nothing): use RequireAndVerifyClientCert")
        return ssl.CERT_NONE
    if name not in CLIENT_AUTH:
        node.add("client_auth_type", f"must be one of {', '.join(CLIENT_AUTH)}")
        return ssl.CERT_NONE
    mode = CLIENT_AUTH[name]
    if mode != ssl.CERT_NONE and not (node.has("client_ca_file") or node.has("client_ca")):
        node.add("client_ca_file", f"required with client_auth_type {name}")
    if node.has("client_allowed_sans") and mode != ssl.CERT_REQUIRED:
        node.add("client_allowed_sans", "needs client_auth_type RequireAndVerifyClientCert")
    return mode


def _version(node: Node, key: str, default: ssl.TLSVersion) -> ssl.TLSVersion:
    name = node.string(key)
    if name is None:
        return default
    if name not in TLS_VERSIONS:
        node.add(key, f"must be one of {', '.join(TLS_VERSIONS)}")
        return default
    return TLS_VERSIONS[name]


def _strings(node: Node, key: str) -> tuple[str, ...]:
    items = node.sequence(key) or []
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item:
            node.add(f"{key}[{index}]", f"must be a non-empty string, got {type_name(item)}")
    return tuple(item for item in items if isinstance(item, str) and item)


def _ciphers(node: Node) -> tuple[str, ...]:
    names = _strings(node, "cipher_suites")
    for name in names:
        if name not in CIPHER_SUITES:
            node.add("cipher_suites", f"unknown or insecure cipher suite {name}")
    return tuple(CIPHER_SUITES[name] for name in names if name in CIPHER_SUITES)


def _users(root: Node) -> dict[str, Secret]:
    node = root.mapping("basic_auth_users")
    if node is None:
        return {}
    users = {}
    for user, hashed in node.data.items():
        where = node.at(str(user))
        if not isinstance(user, str) or not user or ":" in user:
            root.ctx.add(where, "a user name must be a non-empty string without ':'")
        elif not isinstance(hashed, str) or not hashed.startswith(_BCRYPT_PREFIXES) or len(hashed) != 60:
            root.ctx.add(where, "must be a bcrypt hash ($2y$..., 60 characters), e.g. from htpasswd -nBC 10")
        else:
            users[user] = Secret(hashed)
    return users


def _excluded_paths(root: Node) -> frozenset[str]:
    paths = _strings(root, "basic_auth_excluded_paths")
    for path in paths:
        if not path.startswith("/"):
            root.add("basic_auth_excluded_paths", f"{path!r} must start with /")
    return frozenset(path for path in paths if path.startswith("/"))


def _headers(root: Node) -> dict[str, str]:
    http = root.mapping("http_server_config")
    if http is None:
        return {}
    http.check_keys(("http2", "headers"))
    http.boolean("http2")  # accepted for compatibility; this server speaks HTTP/1.1
    node = http.mapping("headers")
    if node is None:
        return {}
    node.check_keys(SECURITY_HEADERS)
    headers = {name: node.string(name) for name in SECURITY_HEADERS}
    for name, value in headers.items():
        if value is not None and any(c in value for c in "\r\n"):
            node.add(name, "must be one line")
            headers[name] = None
    return {name: value for name, value in headers.items() if value is not None}


def _rate_limit(root: Node) -> RateLimit | None:
    node = root.mapping("rate_limit")
    if node is None:
        return None
    node.check_keys(("interval", "burst"))
    text = node.string("interval", required="required")
    burst = node.integer("burst", 1) if node.has("burst") else 1
    try:
        interval = parse_duration(text) if text is not None else None
    except ValueError:
        node.add("interval", f'invalid duration "{text}"')
        return None
    return RateLimit(interval, burst or 1) if interval else None  # 0 disables, as in the toolkit


def server_context(tls: TLSServerConfig) -> ssl.SSLContext:
    """The server side of TLS; certificate and key are read now, so a broken pair fails at start-up."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = tls.min_version
    context.maximum_version = tls.max_version
    _load_chain(context, tls)
    context.verify_mode = tls.client_auth
    if tls.client_ca_file is not None:
        context.load_verify_locations(cafile=str(tls.client_ca_file))
    if tls.client_ca is not None:
        context.load_verify_locations(cadata=tls.client_ca)
    if tls.ciphers:
        context.set_ciphers(":".join(tls.ciphers))
    if tls.prefer_server_ciphers:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    return context


def _load_chain(context: ssl.SSLContext, tls: TLSServerConfig) -> None:
    if tls.cert is None and tls.key is None:
        context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
        return
    # ssl only loads a chain from files: inline PEM goes through a private temporary directory.
    import tempfile

    with tempfile.TemporaryDirectory(prefix="swr-exporter-tls-") as tmp:
        cert = Path(tmp, "cert.pem")
        key = Path(tmp, "key.pem")
        cert.write_text(tls.cert or Path(str(tls.cert_file)).read_text())
        key.touch(mode=0o600)
        key.write_text(tls.key.reveal() if tls.key else Path(str(tls.key_file)).read_text())
        context.load_cert_chain(str(cert), str(key))


def peer_allowed(peer: Mapping[str, object] | None, allowed_sans: tuple[str, ...]) -> bool:
    """True when ``allowed_sans`` is empty or the client certificate names one of them (exact match)."""
    if not allowed_sans:
        return True
    names = peer.get("subjectAltName", ()) if peer else ()
    return any(value in allowed_sans for _, value in names)  # type: ignore[union-attr]
