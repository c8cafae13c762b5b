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

from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector

from exporter.config.model import Config, Target
from exporter.exposition import process
from exporter.exposition.background import SnapshotRenders
from exporter.exposition.cache import Exposition
from exporter.exposition.self_metrics import (
    ApiCollector,
    BuildInfoCollector,
    CredentialsCollector,
    ReloadCollector,
    ReloadStatus,
)
from exporter.exposition.telemetry import Telemetry
from exporter.polling.poller import Poller
from exporter.swr.client import SwrClient
from exporter.swr.factory import build_client
from exporter.web.access import AccessControl
from exporter.web.app import App
from exporter.web.config import WebConfig

log = logging.getLogger(__name__)

READINESS_CHECK = 0.5  # seconds between looks at stop while waiting for the first polls


@dataclass
class TargetRuntime:
    """One target: its client, poller and API telemetry, the renders of its snapshots (shared by its
    ``/probe`` exposition and, with a single target, ``/metrics``), and its ``/probe`` exposition."""

    target: Target
    client: SwrClient
    poller: Poller
    telemetry: Telemetry
    probe: Exposition
    renders: SnapshotRenders = field(default_factory=SnapshotRenders, repr=False)
    thread: threading.Thread | None = field(default=None, repr=False)
    # Its own stop: a reload ends one target and leaves the others polling.
    halt: threading.Event = field(default_factory=threading.Event, repr=False)

    @classmethod
    def build(cls, target: Target, clock: Callable[[], float] = time.time) -> TargetRuntime:
        telemetry = Telemetry()
        client = build_client(target, telemetry, clock)
        renders = SnapshotRenders()
        poller = Poller(target, client, clock=clock, on_snapshot=renders.publish)
        expiry = CredentialsCollector(client.credentials_expiry)
        probe = Exposition(_registry(ApiCollector(telemetry), expiry), renders,
                           self_version=lambda: (telemetry.version(), client.credentials_expiry()))
        return cls(target, client, poller, telemetry, probe, renders)

    @property
    def project_id(self) -> str | None:
        """The project in use: configured, else looked up at IAM or named by the IAM token (None until
        the first request has found it)."""
        return self.client.project_id

    def start(self) -> None:
        self.thread = threading.Thread(
            target=self.poller.run, args=(self.halt,), name=f"poller-{self.target.name}", daemon=True
        )
        self.thread.start()

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def join(self, timeout: float) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def refresh_credentials(self) -> None:
        """Have the credentials re-read their files now (reload), when they are of a kind that has any."""
        refresh = getattr(self.client.auth, "refresh", None)
        if callable(refresh):
            refresh()

    def close(self) -> None:
        """Stops polling: the loop at its next wait, a request in flight at once."""
        self.halt.set()
        self.client.close()


@dataclass(frozen=True)
class Changes:
    """What ``Runtime.apply`` did, by target name."""

    started: tuple[str, ...]
    stopped: tuple[str, ...]
    unchanged: tuple[str, ...]

    def __str__(self) -> str:
        parts = [f"{what}: {', '.join(names) or 'none'}" for what, names in
                 (("started", self.started), ("stopped", self.stopped), ("unchanged", self.unchanged))]
        return "; ".join(parts)


@dataclass
class Runtime:
    """Every target's runtime, in configuration order."""

    targets: list[TargetRuntime]
    clock: Callable[[], float] = field(default=time.time, repr=False)
    _stop: threading.Event | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def pollers(self) -> list[Poller]:
        return [target.poller for target in self.targets]

    def start(self, stop: threading.Event) -> None:
        """Polls until ``stop`` is set, the targets of later ``apply`` calls included."""
        started = time.monotonic()
        with self._lock:
            self._stop = stop
            for target in self.targets:
                target.start()
            first = list(self.targets)
        threading.Thread(target=self._halt_when, args=(stop,), name="runtime-stop", daemon=True).start()
        threading.Thread(target=self._announce_ready, args=(first, stop, started), name="readiness",
                         daemon=True).start()

    def _halt_when(self, stop: threading.Event) -> None:
        stop.wait()
        with self._lock:
            for target in self.targets:
                target.halt.set()

    def apply(self, config: Config) -> Changes:
        """Runs the targets of ``config``: one equal to a running target (same name, same settings)
        keeps that target's runtime, so its snapshot, counters and polling schedule; the others start,
        and running ones not kept stop."""
        with self._lock:
            running = {each.target.name: each for each in self.targets}
            targets, kept, started = [], [], []
            for target in config.targets:
                current = running.pop(target.name, None)
                if current is not None and current.target == target:
                    kept.append(current)
                else:
                    current = TargetRuntime.build(target, self.clock)
                    started.append(current)
                targets.append(current)
            stopped = [each for each in self.targets if not any(each is new for new in targets)]
            self.targets = targets
            for each in stopped:
                each.close()
            if self._stop is not None and not self._stop.is_set():
                for each in started:
                    each.start()
        for each in kept:
            each.refresh_credentials()
        return Changes(*(tuple(each.target.name for each in group) for group in (started, stopped, kept)))

    @staticmethod
    def _announce_ready(targets: list[TargetRuntime], stop: threading.Event, started: float) -> None:
        """Log when /-/ready turns 200: the first poll of every target has ended."""
        for target in targets:
            while not target.poller.first_poll_done.wait(READINESS_CHECK):
                if stop.is_set():
                    return
        log.info("ready: the first poll of every target has finished", extra={
            "targets": len(targets), "after_seconds": time.monotonic() - started})

    def alive(self) -> bool:
        targets = self.targets
        return bool(targets) and all(target.alive() for target in targets)

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
    return Runtime([TargetRuntime.build(target, clock) for target in config.targets], clock)


def _registry(*collectors: Collector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    return registry


def build_app(config: Config, runtime: Runtime, telemetry_path: str,
              web: WebConfig | Callable[[], WebConfig] | None = None, *,
              reload: Callable[[], str | None] | None = None, status: ReloadStatus | None = None,
              was_ready: threading.Event | None = None, demo: bool = False) -> App:
    """With a single target, ``/metrics`` carries its data and API telemetry; with ``targets:``, only the
    build info, and each target is scraped through ``/probe``; the reload metrics and the process
    metrics in both cases. ``web``: the web config, or a callable giving the current one
    (``LiveWebConfig.get``). ``reload``: what ``POST /-/reload`` runs (``reloading.Service.reload``),
    ``status`` how it last went, ``was_ready`` the readiness the Apps of one process share."""
    status = status or ReloadStatus()
    own: list[Collector] = [BuildInfoCollector(), ReloadCollector(status)]
    proc = process.shared()  # after the others: the process metrics close the self-metrics
    if config.multi_target:
        exposition = Exposition(_registry(*own, proc),
                                self_version=lambda: (status.version(), proc.version()))
    else:
        first = runtime.targets[0]
        telemetry, expiry = first.telemetry, first.client.credentials_expiry
        exposition = Exposition(
            _registry(*own, ApiCollector(telemetry), CredentialsCollector(expiry), proc), first.renders,
            self_version=lambda: (telemetry.version(), status.version(), expiry(), proc.version()),
        )
    return App(
        exposition=exposition,
        probes={target.target.name: target.probe for target in runtime.targets},
        pollers=runtime.pollers,
        alive=runtime.alive,
        telemetry_path=telemetry_path,
        multi_target=config.multi_target,
        access=AccessControl(web),
        reload=reload,
        was_ready=was_ready or threading.Event(),
        demo=demo,
    )


def target_names(runtime: Runtime) -> Sequence[str]:
    return [target.target.name for target in runtime.targets]
