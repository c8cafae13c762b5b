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

from exporter import garbage
from exporter.config.loader import load_config
from exporter.exposition.background import render_snapshot_chunks
from exporter.exposition.cache import render_snapshot
from exporter.exposition.families import SnapshotCollector
from exporter.exposition.render import render
from exporter.polling.poller import Poller
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


def _with_samples(family: Metric) -> Metric:
    """A prometheus_client family holding the Sample objects of ``family`` (a compact one builds them
    when asked): formatting alone, without building samples, for generate_latest."""
    plain = Metric(family.name, family.documentation, family.type, family.unit)
    plain.samples = list(family.samples)
    return plain


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--timings", type=Path, required=True)
    args = parser.parse_args()
    runtime = build_runtime(load_config(args.config))
    target = runtime.targets[0]
    # The exporter's own poller, without the background render it would start: the poll's CPU alone.
    poller = Poller(target.target, target.client)
    # With the garbage collector set as the exporter serves (garbage.py): its poll's CPU as it runs.
    with garbage.young_automatic_collections():
        cpu, wall = time.process_time(), time.perf_counter()
        snapshot = poller.poll_once()
        poll_cpu_s, poll_s = time.process_time() - cpu, time.perf_counter() - wall
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(lambda: snapshot))
    families = list(SnapshotCollector(lambda: snapshot).collect())
    sampled = [_with_samples(family) for family in families]  # generate_latest's usual input
    timings = {
        "series": sum(len(family.samples) for family in families),
        "poll_cpu_s": poll_cpu_s,
        "poll_s": poll_s,
        # What the exporter's background render does per snapshot: both formats, one pass.
        "render_both_s": timed(lambda: list(render_snapshot_chunks(snapshot))),
        # What every scrape of (b) costs, and what the exporter's first scrape after a poll costs.
        "generate_latest_s": timed(lambda: generate_latest(registry)),
        "render_s": timed(lambda: render_snapshot(snapshot, False)),
        # The same split into building the families (collector.py) and formatting them.
        "families_s": timed(lambda: list(SnapshotCollector(lambda: snapshot).collect())),
        "format_generate_latest_s": timed(lambda: generate_latest(_Families(sampled))),
        "format_render_s": timed(lambda: render(families, openmetrics=False)),
    }
    args.timings.write_text(json.dumps(timings))
    start_http_server(args.port, addr="127.0.0.1", registry=registry)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()


if __name__ == "__main__":
    main()
