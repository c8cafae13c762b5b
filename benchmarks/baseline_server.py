"""Baseline (b): the same series served the usual way, prometheus_client's generate_latest per scrape.

Polls the simulator once with the exporter's own poller, so the series are exactly the exporter's, then
serves them with prometheus_client's own HTTP server, which renders on every scrape (and gzips on every
scrape that accepts it). Before serving it times rendering one snapshot both ways, in this process.
"""

from __future__ import annotations

import argparse
import gc
import json
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.metrics_core import Metric

from exporter.config.loader import load_config
from exporter.exposition.cache import render_snapshot
from exporter.exposition.families import SnapshotCollector
from exporter.exposition.render import render
from exporter.runtime import build_runtime


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    """Fastest of ``repeat`` runs, each after a full collection: the least disturbed by other load."""
    times = []
    for _ in range(repeat):
        gc.collect()
        begin = time.perf_counter()
        fn()
        times.append(time.perf_counter() - begin)
    return min(times)


class _Families:
    """A registry stand-in yielding families built beforehand, to time formatting alone."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> list[Metric]:
        return self._families


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--timings", type=Path, required=True)
    args = parser.parse_args()
    runtime = build_runtime(load_config(args.config))
    snapshot = runtime.pollers[0].poll_once()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(lambda: snapshot))
    families = list(SnapshotCollector(lambda: snapshot).collect())
    timings = {
        "series": sum(len(family.samples) for family in families),
        # What every scrape of (b) costs, and what the exporter's first scrape after a poll costs.
        "generate_latest_s": timed(lambda: generate_latest(registry)),
        "render_s": timed(lambda: render_snapshot(snapshot, False)),
        # The same split into building the families (collector.py) and formatting them.
        "families_s": timed(lambda: list(SnapshotCollector(lambda: snapshot).collect())),
        "format_generate_latest_s": timed(lambda: generate_latest(_Families(families))),
        "format_render_s": timed(lambda: render(families, openmetrics=False)),
    }
    args.timings.write_text(json.dumps(timings))
    start_http_server(args.port, addr="127.0.0.1", registry=registry)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()


if __name__ == "__main__":
    main()
