"""TLS of the HTTP server: ``tls_server_config`` of the web config file and the ``ssl`` context it makes.

Names, defaults and checks are those of prometheus/exporter-toolkit (``web/tls_config.go``), so one file
serves this exporter and Go exporters alike; docs/security.md lists every key beside the toolkit's
behaviour. Refused with a message rather than silently ignored: ``client_auth_type`` RequestClientCert and
RequireAnyClientCert (a certificate asked for but not verified) and ``curve_preferences`` (OpenSSL chooses).
"""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from exporter.config.fields import Node
from exporter.config.secret import Secret

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
# Go's names of the suites crypto/tls.CipherSuites() lists, with OpenSSL's names for the TLS 1.2 ones.
# TLS 1.3 suites cannot be chosen in Go (nor in Python's ssl): the toolkit accepts their names, and so
# does this exporter, and both leave TLS 1.3 negotiation to the library.
TLS13_CIPHER_SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")
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
_TLS_KEYS = ("cert_file", "key_file", "cert", "key", "client_auth_type", "client_ca_file", "client_ca",
             "client_allowed_sans", "min_version", "max_version", "cipher_suites",
             "prefer_server_cipher_suites", "curve_preferences")


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
    cipher_suites: tuple[str, ...] = ()  # Go's names, as given
    prefer_server_ciphers: bool = True

    def files(self) -> tuple[Path, ...]:
        """The files this config reads; a change to any of them is a change of the config."""
        return tuple(path for path in (self.cert_file, self.key_file, self.client_ca_file) if path)


def parse_tls(node: Node) -> TLSServerConfig:
    """``tls_server_config``; problems are recorded on ``node`` with their YAML paths."""
    node.check_keys(_TLS_KEYS)
    cert_file, key_file = node.file_path("cert_file"), node.file_path("key_file")
    cert, key = node.string("cert"), node.string("key")
    for name, inline, path_key in (("cert", cert, "cert_file"), ("key", key, "key_file")):
        if inline is not None and node.has(path_key):
            node.add(name, f"give either {name} or {path_key}, not both")
        elif inline is None and not node.has(path_key):
            node.add(path_key, f"required with tls_server_config (or {name} inline)")
    if node.has("client_ca") and node.has("client_ca_file"):
        node.add("client_ca", "give either client_ca or client_ca_file, not both")
    if node.has("curve_preferences"):
        node.add("curve_preferences", "not supported by this exporter (OpenSSL chooses the curves)")
    max_version = _version(node, "max_version", ssl.TLSVersion.TLSv1_3)
    return TLSServerConfig(
        cert_file=cert_file, key_file=key_file, cert=cert, key=Secret(key) if key else None,
        client_auth=_client_auth(node),
        client_ca_file=node.file_path("client_ca_file"), client_ca=node.string("client_ca"),
        client_allowed_sans=node.strings("client_allowed_sans") or (),
        min_version=_version(node, "min_version", ssl.TLSVersion.TLSv1_2),
        max_version=max_version,
        cipher_suites=_cipher_suites(node, max_version),
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
    # Without a CA the toolkit verifies client certificates against the system's roots (Go's default),
    # and so does server_context. A CA without a policy would verify nothing: the toolkit refuses it.
    if mode == ssl.CERT_NONE and (node.has("client_ca_file") or node.has("client_ca")):
        node.add("client_auth_type", "required with client_ca_file or client_ca, which verify nothing "
                                     "without it (a client CA without a client auth policy): "
                                     "use RequireAndVerifyClientCert")
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


def _cipher_suites(node: Node, max_version: ssl.TLSVersion) -> tuple[str, ...]:
    names = node.strings("cipher_suites") or ()
    known = [name for name in names if name in CIPHER_SUITES or name in TLS13_CIPHER_SUITES]
    for name in names:
        if name not in known:
            node.add("cipher_suites", f"unknown or insecure cipher suite {name}")
    if known and max_version < ssl.TLSVersion.TLSv1_3 and not any(name in CIPHER_SUITES for name in known):
        node.add("cipher_suites", "lists TLS 1.3 suites only, so no TLS version up to max_version has one")
    return tuple(known)


def openssl_ciphers(cipher_suites: tuple[str, ...]) -> str | None:
    """The OpenSSL cipher string for TLS 1.2 and below; None leaves OpenSSL's defaults."""
    if not cipher_suites:
        return None
    return ":".join(CIPHER_SUITES[name] for name in cipher_suites if name in CIPHER_SUITES)


def server_context(tls: TLSServerConfig) -> ssl.SSLContext:
    """The server side of TLS; certificate and key are read now, so a broken pair fails at start-up."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = tls.min_version
    context.maximum_version = tls.max_version
    _load_chain(context, tls)
    context.verify_mode = tls.client_auth
    if tls.client_ca_file is not None:
        context.load_verify_locations(cafile=str(tls.client_ca_file))
    elif tls.client_ca is not None:
        context.load_verify_locations(cadata=tls.client_ca)
    elif tls.client_auth != ssl.CERT_NONE:
        context.load_default_certs(ssl.Purpose.CLIENT_AUTH)  # Go's ClientCAs nil: the system's roots
    ciphers = openssl_ciphers(tls.cipher_suites)
    if ciphers == "":  # TLS 1.3 suites only: as in Go, no TLS 1.2 suite is left
        context.minimum_version = ssl.TLSVersion.TLSv1_3
    elif ciphers is not None:
        context.set_ciphers(ciphers)
    if tls.prefer_server_ciphers:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    else:  # Python sets it on every new context: false must clear it
        context.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    if tls.client_allowed_sans:
        context.sslsocket_class = _checking_sans(tls.client_allowed_sans)
    return context


class SANCheckedSocket(ssl.SSLSocket):
    """A TLS connection whose handshake ends with the ``client_allowed_sans`` check (the toolkit's
    ``VerifyPeerCertificate``): part of the context, so it follows the web config like the rest."""

    allowed_sans: tuple[str, ...] = ()

    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        if not peer_allowed(self.getpeercert(), self.allowed_sans):
            raise ssl.SSLError("the client certificate names none of client_allowed_sans")


def _checking_sans(allowed: tuple[str, ...]) -> type[ssl.SSLSocket]:
    return type("SANCheckedSocket", (SANCheckedSocket,), {"allowed_sans": allowed})


def _load_chain(context: ssl.SSLContext, tls: TLSServerConfig) -> None:
    if tls.cert is None and tls.key is None:
        context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
        return
    cert = tls.cert if tls.cert is not None else _pem(tls.cert_file)
    key = tls.key.reveal() if tls.key is not None else _pem(tls.key_file)
    # ssl loads a chain only from files: inline PEM goes through a private temporary directory.
    with tempfile.TemporaryDirectory(prefix="swr-exporter-tls-") as tmp:
        cert_path, key_path = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_path.write_text(cert)
        key_path.touch(mode=0o600)
        key_path.write_text(key)
        context.load_cert_chain(str(cert_path), str(key_path))


def _pem(path: Path | None) -> str:
    if path is None:
        raise ValueError("neither inline PEM nor a file given")  # parse_tls has refused such a config
    return path.read_text()


def peer_allowed(peer: Mapping[str, object] | None, allowed_sans: tuple[str, ...]) -> bool:
    """True when ``allowed_sans`` is empty or the client certificate names one of them (exact match)."""
    if not allowed_sans:
        return True
    names = peer.get("subjectAltName") if peer else None
    if not isinstance(names, tuple):
        return False
    # getpeercert() gives each name as a (type, value) pair: ("DNS", "scraper.example").
    return any(isinstance(name, tuple) and len(name) == 2 and name[1] in allowed_sans for name in names)
