"""``--web.config.file`` re-read when it, or a certificate, key or CA file it names, changes on disk.

exporter-toolkit re-reads the file at every request (users, headers) and at every TLS handshake
(certificate, key, client CA and policy, versions, suites), so a renewed certificate or a new password
takes effect without a restart. So does this exporter, reading only when a file's identity (device, inode,
size, modification time) changed. Two deliberate differences: an invalid new file leaves the last good
one serving, with its problems logged, as a SIGHUP reload does (the toolkit answers 500 and fails
handshakes until the file is fixed); and the rate limiter follows the file (the toolkit builds it once).
HTTP or HTTPS is decided at start, as in the toolkit: a file that switches TLS on or off waits for a
restart.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from socket import socket

from exporter.config.errors import WEB_CONFIG_FILE, ConfigError
from exporter.web.config import WebConfig, load_web_config
from exporter.web.tls import server_context

log = logging.getLogger(__name__)

Stamp = tuple[tuple[int, int, int, int] | None, ...]


@dataclass(frozen=True)
class _Loaded:
    config: WebConfig
    context: ssl.SSLContext | None
    stamp: Stamp


class LiveWebConfig:
    """The web config file as last read successfully; ``get()`` re-reads it first if anything changed."""

    def __init__(self, path: str | Path, loader: Callable[[Path], WebConfig] = load_web_config) -> None:
        self._path = Path(path)
        self._loader = loader
        self._lock = threading.Lock()
        self._loaded = self._load()  # ConfigError at start, as before

    def get(self) -> WebConfig:
        return self._current().config

    def tls(self) -> ssl.SSLContext | None:
        """The context for a new handshake, its client_allowed_sans check included; None without TLS."""
        return self._current().context

    def reload(self) -> WebConfig:
        """Re-read now (SIGHUP, POST /-/reload); ConfigError leaves the running config in place."""
        with self._lock:
            self._loaded = self._load(self._loaded)
            return self._loaded.config

    def _current(self) -> _Loaded:
        loaded = self._loaded
        if self._stamp(loaded.config) == loaded.stamp:
            return loaded
        with self._lock:
            if self._stamp(self._loaded.config) != self._loaded.stamp:
                try:
                    self._loaded = self._load(self._loaded)
                    log.info("web config file %s re-read after a change", self._path)
                except ConfigError as error:
                    # Not retried until a file changes again: one log line per bad version.
                    current = self._loaded
                    self._loaded = _Loaded(current.config, current.context, self._stamp(current.config))
                    log.error("%s; the previous web config goes on serving", error)
            return self._loaded

    def _load(self, previous: _Loaded | None = None) -> _Loaded:
        own = _identity(self._path)  # taken before reading: a write after it is seen at the next check
        config = self._loader(self._path)
        stamp = (own, *(_identity(path) for path in config.files()))
        problem = None
        if previous is not None and (config.tls is None) != (previous.config.tls is None):
            problem = "tls_server_config: switching TLS on or off takes a restart"
        context = None
        try:
            if config.tls is not None and problem is None:
                context = server_context(config.tls)
        except (ssl.SSLError, OSError, ValueError) as error:  # a file changed again since the check
            problem = f"tls_server_config: cannot load the certificate, key or CA ({type(error).__name__})"
        if problem is not None:
            raise ConfigError(str(self._path), [problem], kind=WEB_CONFIG_FILE)
        return _Loaded(config, context, stamp)

    def _stamp(self, config: WebConfig) -> Stamp:
        return tuple(_identity(path) for path in (self._path, *config.files()))


def _identity(path: Path) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


class LiveTLSContext(ssl.SSLContext):
    """The server's TLS context: each connection is wrapped with the web config's current TLS settings
    (the toolkit's ``GetConfigForClient``). Only ``wrap_socket`` is used."""

    live: LiveWebConfig

    def __new__(cls, live: LiveWebConfig) -> LiveTLSContext:
        return super().__new__(cls, ssl.PROTOCOL_TLS_SERVER)

    def __init__(self, live: LiveWebConfig) -> None:
        self.live = live

    def wrap_socket(self, sock: socket, server_side: bool = False, do_handshake_on_connect: bool = True,  # type: ignore[override]
                    suppress_ragged_eofs: bool = True, server_hostname: str | None = None,
                    session: ssl.SSLSession | None = None) -> ssl.SSLSocket:
        context = self.live.tls()
        if context is None:  # cannot happen: a file without TLS is not taken while serving TLS
            raise ssl.SSLError("the web config has no TLS")
        return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=do_handshake_on_connect,
                                   suppress_ragged_eofs=suppress_ragged_eofs)
