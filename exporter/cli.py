"""Command line: flags, logging, wiring, signals. ``main(argv) -> int``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from exporter import __version__, allocator, garbage, logs
from exporter.check import describe
from exporter.config.errors import ConfigError
from exporter.config.loader import Config, load_config
from exporter.reloading import Service
from exporter.runtime import build_runtime, target_names
from exporter.web.app import check_telemetry_path
from exporter.web.connections import Server
from exporter.web.listen import server_url
from exporter.web.reload import LiveTLSContext, LiveWebConfig
from exporter.web.server import make_server

log = logging.getLogger(__name__)

SIGNAL_CHECK = 0.2  # seconds: how long a signal may wait for the main thread
SWITCH_INTERVAL = 0.0005  # seconds a thread may hold the GIL while another waits for it

# Seconds the pollers get to end after SIGTERM; their requests have been cancelled by then.
SHUTDOWN_GRACE = 1.0


DEFAULT_CONFIG_FILE = "swr-exporter.yml"


class _HelpFormatter(argparse.HelpFormatter):
    """Every flag's default after its help, as Prometheus components show them; "off" for a switch."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not action.option_strings or action.default is argparse.SUPPRESS:
            return text
        if "%(default)" in text or "(default: " in text:  # a default the help spells out itself
            return text
        if isinstance(action.default, bool):
            shown = "on" if action.default else "off"
        else:
            shown = "none" if action.default in (None, "") else "%(default)s"
        return f"{text} (default: {shown})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="swr-exporter", description="Prometheus exporter for Huawei Cloud SWR (SoftWare Repository).",
        formatter_class=_HelpFormatter,
    )
    add = parser.add_argument
    add("--config.file", dest="config_file", default=DEFAULT_CONFIG_FILE, help="configuration file (YAML)")
    add(
        "--config.check", dest="config_check", action="store_true", help="validate the configuration and exit"
    )
    add("--web.listen-address", dest="listen_address", default=":9878", action=_Repeated,
        help="address to listen on; repeat the flag to listen on several (default :9878: IPv6 and IPv4)")
    add("--web.telemetry-path", dest="telemetry_path", default="/metrics", type=_telemetry_path,
        help="path of the metrics")
    add(
        "--web.config.file", dest="web_config_file", default="",
        help="TLS and basic auth settings, in the Prometheus exporter-toolkit format",
    )
    add("--log.level", dest="log_level", default="info", choices=sorted(logs.LEVELS),
        help="the least severe level logged")
    add("--log.format", dest="log_format", default="logfmt", choices=["logfmt", "json"],
        help="log line format")
    add("--demo", action="store_true", help="run against a built-in SWR simulator with sample data")
    add("--demo.request-log", dest="demo_request_log", action="store_true",
        help="with --demo: log each request the built-in simulator answers, once, at info level")
    add("--version", action="store_true", help="print the version and exit")
    return parser


class _Repeated(argparse.Action):
    """A repeatable flag, as in exporter-toolkit: the values given replace the default, not extend it."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        current = getattr(namespace, self.dest)
        setattr(namespace, self.dest, [*([] if current is self.default else current), values])


def listen_addresses(args: argparse.Namespace) -> list[str]:
    """Every ``--web.listen-address``, or the default one."""
    value = args.listen_address
    return [value] if isinstance(value, str) else list(value)


def _telemetry_path(path: str) -> str:
    try:
        return check_telemetry_path(path)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


@contextlib.contextmanager
def _configuration(args: argparse.Namespace) -> Iterator[Config]:
    if args.demo:
        from exporter.demo import demo_config  # the simulator is only imported when asked for

        with demo_config(request_log=args.demo_request_log) as config:
            yield config
    else:
        yield load_config(args.config_file)


def _missing_default_config(args: argparse.Namespace) -> str | None:
    """What to tell someone who ran the exporter with no configuration file at hand, often a first try."""
    if args.demo or args.config_file != DEFAULT_CONFIG_FILE or Path(DEFAULT_CONFIG_FILE).exists():
        return None
    return (
        f"swr-exporter: no configuration file {DEFAULT_CONFIG_FILE} in {Path.cwd()}; it is the default of "
        "--config.file.\nGive one with --config.file PATH (see docs/configuration.md), or try the exporter "
        "with sample data and no account:\n  swr-exporter --demo"
    )


def _install_signal_handlers(stop: threading.Event) -> None:
    def handle(signum: int, _frame: object) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handle)
    # Until serve() installs the reload: a SIGHUP during start-up must not end the process either.
    signal.signal(signal.SIGHUP, lambda _signum, _frame: log.info("received SIGHUP before start, ignored"))


def _reload_on_sighup(service: Service) -> None:
    def handle(_signum: int, _frame: object) -> None:
        log.info("received SIGHUP, reloading the configuration")
        # Off the main thread: a signal handler must not wait for the lock of a reload in progress.
        threading.Thread(target=service.reload, name="reload", daemon=True).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGHUP, handle)


def _loader(args: argparse.Namespace, config: Config) -> Callable[[], Config]:
    """What a reload reads: the file again, or with ``--demo`` (no file) the same built-in config."""
    if args.demo:
        return lambda: config
    return lambda: load_config(args.config_file)


def serve(
    config: Config,
    args: argparse.Namespace,
    stop: threading.Event,
    on_ready: Callable[[str], None] | None = None,
) -> int:
    web: LiveWebConfig | None = getattr(args, "web_config", None)
    runtime = build_runtime(config)
    service = Service(config, runtime, _loader(args, config), args.telemetry_path, web, demo=args.demo)
    # Both follow the file as it changes: LiveTLSContext checks client_allowed_sans itself.
    tls = LiveTLSContext(web) if web is not None and web.tls() is not None else None
    servers: list[Server] = []
    for address in listen_addresses(args):
        try:
            servers.append(make_server(address, service.app, tls=tls))
        except (OSError, ValueError) as error:
            log.error("cannot listen on %s: %s", address, error)
            for server in servers:
                server.server_close()
            runtime.close()
            return 1
    scheme = "https" if tls is not None else "http"
    log.info("listening on %s, targets: %s", ", ".join(server_url(server, scheme) for server in servers),
             ", ".join(target_names(runtime)))
    if on_ready is not None:
        on_ready(server_url(servers[0], scheme, browsable=True))
    runtime.start(stop)
    _reload_on_sighup(service)
    for server in servers:
        threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    # Python runs signal handlers in the main thread only, and a signal the kernel hands to another
    # thread does not wake a main thread blocked without a timeout: SIGHUP could wait for the next
    # signal. Waking a few times a second bounds that delay.
    full_collections = garbage.FullCollections()
    while not stop.wait(SIGNAL_CHECK):
        full_collections.due()
    runtime.close()  # first: requests in flight end at once, and the pollers with them
    for server in servers:
        server.shutdown()
        server.server_close()
    # Let the pollers finish before the interpreter shuts down under them (no new thread pools then).
    runtime.join(SHUTDOWN_GRACE)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.version:
        print(f"swr-exporter {__version__}")
        return 0
    logs.setup(args.log_level, args.log_format)
    # A scrape takes the GIL back after each of its system calls (reading the request, the one
    # sendmsg() of its response); while the poller or the background render computes, each of those
    # waits up to the switch interval, 5 ms by default. A shorter interval bounds that wait.
    sys.setswitchinterval(SWITCH_INTERVAL)
    allocator.return_large_buffers()
    stop = threading.Event()
    try:
        args.web_config = LiveWebConfig(args.web_config_file) if args.web_config_file else None
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    missing = _missing_default_config(args)
    if missing is not None:
        print(missing, file=sys.stderr)
        return 1
    try:
        with _configuration(args) as config:
            if args.config_check:
                print(describe(config, "--demo" if args.demo else args.config_file))
                return 0
            _install_signal_handlers(stop)
            announce = _announce_demo if args.demo else None
            with garbage.young_automatic_collections():
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
