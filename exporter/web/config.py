"""``--web.config.file``: TLS, basic auth and request rate limit, in the Prometheus exporter-toolkit format.

The keys, meanings and checks are those of prometheus/exporter-toolkit (``docs/web-configuration.md``,
``web/tls_config.go``), so one file serves this exporter and Go exporters alike: the toolkit's own test
configs are accepted or refused as its Go tests expect (tests/web/test_toolkit_parity.py), and
docs/security.md lists each key with the few deliberate differences. One extension:
``basic_auth_excluded_paths``, exact paths served without basic auth (Kubernetes probes on ``/-/healthy``
cannot easily send a password). ``tls_server_config`` is read by ``exporter.web.tls``.

Every problem is reported at once with its YAML path, in the same ConfigError as the configuration file.
Password hashes are never echoed.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from exporter.config.errors import WEB_CONFIG_FILE, ConfigError
from exporter.config.fields import Context, Node, type_name
from exporter.config.secret import Secret
from exporter.config.yaml_file import read_yaml
from exporter.web.tls import TLSServerConfig, parse_tls, server_context

# The headers the toolkit lets a file set, and the values it allows where the header is an enumeration.
HEADER_VALUES: dict[str, tuple[str, ...]] = {
    "Content-Security-Policy": (), "X-Frame-Options": ("deny", "sameorigin"),
    "X-Content-Type-Options": ("nosniff",), "X-XSS-Protection": (), "Strict-Transport-Security": (),
}
# Go's HTTP/2 server refuses a TLS 1.2 suite list without one of these, and the toolkit with it.
HTTP2_REQUIRED_SUITES = ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")

SECURITY_HEADERS = tuple(HEADER_VALUES)
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_GO_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_GO_DURATION = re.compile(rf"\+?(?:{_GO_PART.pattern})+")
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

    def files(self) -> tuple[Path, ...]:
        """The files this config reads besides its own; a change to any of them changes the config."""
        return self.tls.files() if self.tls is not None else ()


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
    _check_http2_suites(root, config.tls)
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
    http.boolean("http2")  # this server speaks HTTP/1.1; see _check_http2_suites
    node = http.mapping("headers")
    if node is None:
        return {}
    node.check_keys(SECURITY_HEADERS)
    headers = {}
    for name, allowed in HEADER_VALUES.items():
        value = _header_value(node, name)
        if value is None:
            continue
        if any(c in value for c in "\r\n"):
            node.add(name, "must be one line")
        elif allowed and value not in allowed:
            node.add(name, f"invalid value: must be one of {', '.join(allowed)}")
        else:
            headers[name] = value
    return headers


def _header_value(node: Node, name: str) -> str | None:
    """Go's YAML reader gives a number its text (``X-XSS-Protection: 1``), and so does this one."""
    value = node.data.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return node.string(name)


def _check_http2_suites(root: Node, tls: TLSServerConfig | None) -> None:
    """A file that Go exporters refuse to start with is refused here too, though this server has no HTTP/2."""
    http = root.data.get("http_server_config")
    http2 = http.get("http2") if isinstance(http, Mapping) else None
    if tls is None or http2 is False or not tls.cipher_suites or tls.min_version >= ssl.TLSVersion.TLSv1_3:
        return
    if not any(name in HTTP2_REQUIRED_SUITES for name in tls.cipher_suites):
        root.add("tls_server_config.cipher_suites",
                 f"must include {' or '.join(HTTP2_REQUIRED_SUITES)} unless http_server_config.http2 is "
                 "false (Go's HTTP/2 requires one: exporter-toolkit refuses the file without it)")


def _rate_limit(root: Node) -> RateLimit | None:
    """0 (``0``, ``0s``) turns the limit off, as in the toolkit. A burst of 0 refuses every request, as
    in the toolkit; a missing burst, which the toolkit takes for 0, is refused rather than guessed."""
    node = root.mapping("rate_limit")
    if node is None:
        return None
    node.check_keys(("interval", "burst"))
    interval = _interval(node)
    burst = node.integer("burst", 0)
    if interval and not node.has("burst"):
        node.add("burst", "required with an interval (exporter-toolkit takes a missing burst as 0 and "
                          "answers every request with 429)")
    return RateLimit(interval, burst) if interval and burst is not None else None


def _interval(node: Node) -> float | None:
    value = node.data.get("interval")
    if value == 0 and not isinstance(value, bool):
        return 0.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Go reads a bare number as nanoseconds: refuse rather than differ or surprise.
        node.add("interval", f'invalid duration {value}: give a unit, e.g. "{value}s", or 0 for off')
        return None
    text = node.string("interval", required="required")
    seconds = go_duration(text) if text is not None else None
    if text is not None and seconds is None:
        node.add("interval", f'invalid duration "{text}"')
    return seconds


def go_duration(text: str) -> float | None:
    """Seconds in a Go ``time.Duration`` (the toolkit's type for the interval); None if it is not one."""
    if text == "0":
        return 0.0
    if not _GO_DURATION.fullmatch(text):
        return None
    return sum(float(number) * _GO_UNITS[unit] for number, unit in _GO_PART.findall(text))
