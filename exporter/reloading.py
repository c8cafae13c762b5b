"""Reload (DESIGN.md section 2): SIGHUP and ``POST /-/reload`` re-read the configuration file, the web
configuration file and the credential files.

A valid configuration replaces the running one (``Runtime.apply``: only the targets that changed
restart); an invalid one is refused with the error text of start-up, logged, and the running
configuration goes on serving. Each attempt shows in ``swr_exporter_config_last_reload_successful``.
The configuration file is read first and applied last, after the web configuration file took, so a
reload takes both files or neither.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from exporter.config.errors import ConfigError
from exporter.config.model import Config
from exporter.exposition.self_metrics import ReloadStatus
from exporter.runtime import Runtime, build_app
from exporter.web.app import App
from exporter.web.reload import LiveWebConfig

log = logging.getLogger(__name__)


class Service:
    """The running configuration and the ``App`` built from it, replaced together by ``reload``.

    ``load`` reads the configuration again (``--demo``: returns the built-in one, there being no file).
    """

    def __init__(self, config: Config, runtime: Runtime, load: Callable[[], Config], telemetry_path: str,
                 web: LiveWebConfig | None = None, status: ReloadStatus | None = None,
                 demo: bool = False) -> None:
        self.runtime = runtime
        self._demo = demo
        self.status = status or ReloadStatus()
        self._load = load
        self._telemetry_path = telemetry_path
        self._web = web
        self._lock = threading.Lock()  # one reload at a time, from a signal and from HTTP alike
        self._was_ready = threading.Event()
        self._app = self._build(config)

    def app(self) -> App:
        return self._app

    def reload(self) -> str | None:
        """None when the new configuration took, else the error text (and nothing changed)."""
        with self._lock:
            try:
                config = self._load()
                if self._web is not None:
                    self._web.reload()
            except ConfigError as error:
                self.status.record(False)
                log.error("reload refused, the running configuration goes on serving: %s", error)
                return str(error)
            changes = self.runtime.apply(config)
            self._app = self._build(config)
            self.status.record(True)
            log.info("configuration reloaded; targets %s", changes)
            return None

    def _build(self, config: Config) -> App:
        web = self._web.get if self._web is not None else None
        return build_app(config, self.runtime, self._telemetry_path, web, reload=self.reload,
                         status=self.status, was_ready=self._was_ready, demo=self._demo)
