"""Wiring: one ``TargetRuntime`` per configured target, and the app the HTTP server serves.

Every collaborator is built here and handed to its user through a constructor: the client (with its
credentials and the target's telemetry as its observer), the poller (with the client and the clock), the
expositions (with the snapshot source and the self-metrics registry). Tests build the same objects with
fakes; nothing below patches anything.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.registry import Collector

from exporter.config.model import Config, Target
from exporter.exposition.cache import Exposition
from exporter.exposition.self_metrics import ApiCollector, BuildInfoCollector
from exporter.exposition.telemetry import Telemetry
from exporter.polling.poller import Poller
from exporter.swr.client import SwrClient
from exporter.swr.factory import build_client
from exporter.web.access import AccessControl
from exporter.web.config import WebConfig
from exporter.web.server import App

log = logging.getLogger(__name__)

READINESS_CHECK = 0.5  # seconds between looks at stop while waiting for the first polls


@dataclass
class TargetRuntime:
    """One target: its client, poller and API telemetry, and its ``/probe`` exposition."""

    target: Target
    client: SwrClient
    poller: Poller
    telemetry: Telemetry
    probe: Exposition
    thread: threading.Thread | None = field(default=None, repr=False)

    @classmethod
    def build(cls, target: Target, clock: Callable[[], float] = time.time) -> TargetRuntime:
        telemetry = Telemetry()
        client = build_client(target, telemetry, clock)
        poller = Poller(target, client, clock=clock)
        probe = Exposition(_registry(ApiCollector(telemetry)), self_version=telemetry.version)
        return cls(target, client, poller, telemetry, probe)

    def start(self, stop: threading.Event) -> None:
        self.thread = threading.Thread(
            target=self.poller.run, args=(stop,), name=f"poller-{self.target.name}", daemon=True
        )
        self.thread.start()

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def join(self, timeout: float) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def close(self) -> None:
        self.client.close()


@dataclass
class Runtime:
    """Every target's runtime, in configuration order."""

    targets: list[TargetRuntime]

    @property
    def pollers(self) -> list[Poller]:
        return [target.poller for target in self.targets]

    def start(self, stop: threading.Event) -> None:
        started = time.monotonic()
        for target in self.targets:
            target.start(stop)
        threading.Thread(target=self._announce_ready, args=(stop, started), name="readiness",
                         daemon=True).start()

    def _announce_ready(self, stop: threading.Event, started: float) -> None:
        """Log when /-/ready turns 200: the first poll of every target has ended."""
        for target in self.targets:
            while not target.poller.first_poll_done.wait(READINESS_CHECK):
                if stop.is_set():
                    return
        log.info("ready: the first poll of every target has finished", extra={
            "targets": len(self.targets), "after_seconds": time.monotonic() - started})

    def alive(self) -> bool:
        return bool(self.targets) and all(target.alive() for target in self.targets)

    def join(self, timeout: float) -> None:
        """Wait for the pollers to end after ``stop`` was set, at most ``timeout`` seconds in all."""
        deadline = time.monotonic() + timeout
        for target in self.targets:
            target.join(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        for target in self.targets:
            target.close()


def build_runtime(config: Config, clock: Callable[[], float] = time.time) -> Runtime:
    """``clock``: the wall clock of pollers and credentials (staleness, token lifetimes); tests pass a
    fake."""
    return Runtime([TargetRuntime.build(target, clock) for target in config.targets])


def _registry(*collectors: Collector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    return registry


def process_registry() -> CollectorRegistry:
    """``process_*`` (memory, CPU, open files, start time) as prometheus_client writes them: on Linux
    from /proc, elsewhere nothing. Read on every scrape of ``/metrics``, never on ``/probe``."""
    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)
    return registry


def build_app(config: Config, runtime: Runtime, telemetry_path: str,
              web: WebConfig | Callable[[], WebConfig] | None = None, demo: bool = False) -> App:
    """With a single target, ``/metrics`` carries its data and API telemetry; with ``targets:``, only the
    build info, and each target is scraped through ``/probe``. Both modes add the process metrics to
    ``/metrics``. ``web``: the web config, or a callable giving the current one (``LiveWebConfig.get``)."""
    if config.multi_target:
        exposition = Exposition(
            _registry(BuildInfoCollector()), self_version=lambda: 0, live_registry=process_registry()
        )
    else:
        first = runtime.targets[0].telemetry
        exposition = Exposition(
            _registry(BuildInfoCollector(), ApiCollector(first)), self_version=first.version,
            live_registry=process_registry(),
        )
    return App(
        exposition=exposition,
        probes={target.target.name: target.probe for target in runtime.targets},
        pollers=runtime.pollers,
        alive=runtime.alive,
        telemetry_path=telemetry_path,
        multi_target=config.multi_target,
        access=AccessControl(web),
        demo=demo,
    )


def target_names(runtime: Runtime) -> Sequence[str]:
    return [target.target.name for target in runtime.targets]
