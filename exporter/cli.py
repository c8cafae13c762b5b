"""Command line: flags, logging, wiring, signals. ``main(argv) -> int``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector

from exporter import __version__, logs
from exporter.config.loader import Config, ConfigError, Target, load_config
from exporter.exposition.cache import Exposition
from exporter.exposition.families import ApiCollector, BuildInfoCollector
from exporter.exposition.telemetry import Telemetry
from exporter.polling.poller import Poller
from exporter.swr.auth import build_auth
from exporter.swr.client import SwrClient
from exporter.web.access import AccessControl
from exporter.web.config import WebConfig, WebConfigError, load_web_config, server_context
from exporter.web.server import App, check_telemetry_path, make_server

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="swr-exporter", description="Prometheus exporter for Huawei Cloud SWR (SoftWare Repository)."
    )
    add = parser.add_argument
    add("--config.file", dest="config_file", default="swr-exporter.yml", help="configuration file (YAML)")
    add(
        "--config.check", dest="config_check", action="store_true", help="validate the configuration and exit"
    )
    add("--web.listen-address", dest="listen_address", default=":9878", help="address to listen on")
    add("--web.telemetry-path", dest="telemetry_path", default="/metrics", type=_telemetry_path,
        help="path of the metrics")
    add(
        "--web.config.file", dest="web_config_file", default="",
        help="TLS and basic auth settings, in the Prometheus exporter-toolkit format",
    )
    add("--log.level", dest="log_level", default="info", choices=sorted(logs.LEVELS))
    add("--log.format", dest="log_format", default="logfmt", choices=["logfmt", "json"])
    add("--demo", action="store_true", help="run against a built-in SWR simulator with sample data")
    add("--version", action="store_true", help="print the version and exit")
    return parser


def _telemetry_path(path: str) -> str:
    try:
        return check_telemetry_path(path)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


@dataclass
class Runtime:
    """The pollers and clients of every target, and the app the HTTP server serves."""

    pollers: list[Poller]
    clients: list[SwrClient]
    telemetries: list[Telemetry]  # one per target: API calls are part of a target's health
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, stop: threading.Event) -> None:
        for poller in self.pollers:
            thread = threading.Thread(
                target=poller.run, args=(stop,), name=f"poller-{poller.target.name}", daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def alive(self) -> bool:
        return bool(self.threads) and all(thread.is_alive() for thread in self.threads)

    def close(self) -> None:
        for client in self.clients:
            client.close()


def build_target(
    target: Target, telemetry: Telemetry, clock: Callable[[], float] = time.time
) -> tuple[SwrClient, Poller]:
    polling = target.polling
    verify: bool | str = (
        str(polling.tls.ca_file) if polling.tls.ca_file else not polling.tls.insecure_skip_verify
    )
    client: SwrClient | None = None

    def fetch_token(body: dict) -> tuple:
        assert client is not None
        return client.create_token(target.iam_endpoint, body)

    auth = build_auth(target.auth, target.project_id, target.region, fetch_token, clock)
    client = SwrClient(
        endpoint=target.endpoint,
        auth=auth,
        timeout=polling.request_timeout,
        retries=polling.retries,
        max_concurrency=polling.max_concurrency,
        rate_limit=polling.rate_limit,
        observer=telemetry,
        verify=verify,
    )

    def project_id() -> str | None:
        return target.project_id or getattr(auth, "project_id", None)

    return client, Poller(target, client, project_id=project_id, observer=telemetry, clock=clock)


def build_runtime(config: Config, clock: Callable[[], float] = time.time) -> Runtime:
    """``clock``: the wall clock of pollers and auth (staleness, token lifetimes); tests pass a fake."""
    telemetries = [Telemetry() for _ in config.targets]
    pairs = zip(config.targets, telemetries, strict=True)
    built = [build_target(target, telemetry, clock) for target, telemetry in pairs]
    return Runtime([poller for _, poller in built], [client for client, _ in built], telemetries)


def _registry(*collectors: Collector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    return registry


def build_app(
    config: Config, runtime: Runtime, telemetry_path: str, web: WebConfig | None = None
) -> App:
    probes = {
        poller.target.name: Exposition(_registry(ApiCollector(telemetry)), self_version=telemetry.version)
        for poller, telemetry in zip(runtime.pollers, runtime.telemetries, strict=True)
    }
    if config.multi_target:
        exposition = Exposition(_registry(BuildInfoCollector()), self_version=lambda: 0)
    else:
        first = runtime.telemetries[0]
        exposition = Exposition(
            _registry(BuildInfoCollector(), ApiCollector(first)), self_version=first.version
        )
    return App(
        exposition=exposition,
        probes=probes,
        pollers=runtime.pollers,
        alive=runtime.alive,
        telemetry_path=telemetry_path,
        multi_target=config.multi_target,
        access=AccessControl(web),
    )


@contextlib.contextmanager
def _configuration(args: argparse.Namespace) -> Iterator[Config]:
    if args.demo:
        from exporter.demo import demo_config  # the simulator is only imported when asked for

        with demo_config() as config:
            yield config
    else:
        yield load_config(args.config_file)


def _install_signal_handlers(stop: threading.Event) -> None:
    def handle(signum: int, _frame: object) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handle)


def serve(
    config: Config,
    args: argparse.Namespace,
    stop: threading.Event,
    on_ready: Callable[[str], None] | None = None,
) -> int:
    web: WebConfig | None = getattr(args, "web_config", None)
    runtime = build_runtime(config)
    try:
        tls = server_context(web.tls) if web is not None and web.tls is not None else None
        sans = web.tls.client_allowed_sans if web is not None and web.tls is not None else ()
        app = build_app(config, runtime, args.telemetry_path, web)
        server = make_server(args.listen_address, app, tls=tls, allowed_sans=sans)
    except (OSError, ValueError) as error:
        log.error("cannot listen on %s: %s", args.listen_address, error)
        runtime.close()
        return 1
    host, port = server.server_address[:2]
    scheme = "https" if tls is not None else "http"
    log.info("listening on %s://%s:%s, targets: %s", scheme, host, port,
             ", ".join(p.target.name for p in runtime.pollers))
    if on_ready is not None:
        on_ready(f"{scheme}://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}")
    runtime.start(stop)
    server_thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    server_thread.start()
    stop.wait()
    server.shutdown()
    server.server_close()
    runtime.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.version:
        print(f"swr-exporter {__version__}")
        return 0
    logs.setup(args.log_level, args.log_format)
    stop = threading.Event()
    try:
        args.web_config = load_web_config(args.web_config_file) if args.web_config_file else None
    except WebConfigError as error:
        print(error, file=sys.stderr)
        return 1
    try:
        with _configuration(args) as config:
            if args.config_check:
                print(f"{args.config_file}: configuration is valid ({len(config.targets)} target(s))")
                return 0
            _install_signal_handlers(stop)
            announce = _announce_demo if args.demo else None
            return serve(config, args, stop, announce)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1


def _announce_demo(url: str) -> None:
    print(
        "\nswr-exporter demo: polling a built-in SWR simulator with sample data.\n"
        f"  landing page  {url}/\n  metrics       {url}/metrics\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
