"""``--web.config.file``: TLS, basic auth and request rate limit, in the Prometheus exporter-toolkit format.

The keys and meanings are those of prometheus/exporter-toolkit's ``docs/web-configuration.md``, so one
file serves this exporter and Go exporters alike. One extension: ``basic_auth_excluded_paths``, exact
paths served without basic auth (Kubernetes probes on ``/-/healthy`` cannot easily send a password).
``tls_server_config`` is read by ``exporter.web.tls``.

Every problem is reported at once with its YAML path, in the same ConfigError as the configuration file.
Password hashes are never echoed.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from exporter.config.durations import parse_duration
from exporter.config.errors import WEB_CONFIG_FILE, ConfigError
from exporter.config.fields import Context, Node, type_name
from exporter.config.secret import Secret
from exporter.config.yaml_file import read_yaml
from exporter.web.tls import TLSServerConfig, parse_tls, server_context

SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                    "X-XSS-Protection", "Strict-Transport-Security")
_TOP_KEYS = ("tls_server_config", "http_server_config", "basic_auth_users", "rate_limit",
             "basic_auth_excluded_paths")
_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")


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
    data = read_yaml(path, kind=WEB_CONFIG_FILE)
    return parse_web_config(data, base_dir=path.absolute().parent, source=str(path))


def parse_web_config(data: object, *, base_dir: Path, source: str = "<web config>") -> WebConfig:
    ctx = Context(base_dir=base_dir, hostname=lambda: "")
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        problem = f"(top level): must be a mapping, got {type_name(data)}"
        raise ConfigError(source, [problem], kind=WEB_CONFIG_FILE)
    root = Node(data, "", ctx)
    root.check_keys(_TOP_KEYS)
    tls_node = root.mapping("tls_server_config")
    config = WebConfig(
        tls=parse_tls(tls_node) if tls_node is not None else None,
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
        raise ConfigError(source, ctx.problems, kind=WEB_CONFIG_FILE)
    return config


def _ssl_reason(error: Exception) -> str:
    return getattr(error, "reason", None) or getattr(error, "strerror", None) or type(error).__name__


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
    paths = root.strings("basic_auth_excluded_paths") or ()
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
