"""Scrapes while the data move: polls as frequent as scrapes, and the socket floor of the same bytes.

``measure`` runs the exporter with ``poll_interval: 1s`` (polls back to back, each new snapshot rendered
in the background) and two scrapers, plain and gzip, scraping all the while: every scrape's latency,
so the slowest one (p100) covers the first scrape after every poll. Before the run, one scrape of each
kind and the poll after it: a variant nobody has asked for is built by its first scrape, once per
process (plain text and gzipped OpenMetrics, what curl and Prometheus ask for, are rendered from the
start), and that one-time cost is not what the run measures. ``measure_floor`` serves the
exporter's own bodies from ``floor.py`` and scrapes them as the exporter is scraped.

``measure_floor_under_load`` scrapes ``floor.py`` the same way while the exporter polls and renders back
to back beside it, unscraped, on the same machine: the same CPU load, minus everything the exporter
itself does for a scrape. Its p100 is what a Python server that does nothing else, in a process of its
own, gets on this machine while the exporter works.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks import processes
from benchmarks.scrapers import GZIP, PLAIN, ScraperPool, fetch, scrape_all

PAUSE = 0.05  # between one scraper's scrapes: the exporter's poll and render keep some of the CPU


def polls_total(port: int) -> float:
    for line in fetch("127.0.0.1", port, "/metrics", PLAIN)[1].decode().splitlines():
        if line.startswith("swr_exporter_polls_total "):
            return float(line.split()[1])
    raise RuntimeError("no swr_exporter_polls_total in /metrics")


@contextlib.contextmanager
def polling_back_to_back(config: Path, log: Path) -> Iterator[tuple[int, int]]:
    """The exporter, polling with ``config``, past the first poll after both scrapers' variants were
    asked for; yields its port and process id."""
    port = processes.free_port()
    with processes.running(processes.exporter_command(config, port), log) as process:
        processes.wait_until_ready(port, process, "/-/ready")
        for accept in (PLAIN, GZIP):
            fetch("127.0.0.1", port, "/metrics", accept)
        asked = polls_total(port)
        while polls_total(port) < asked + 2:  # a poll that began after both were asked for
            time.sleep(0.2)
        yield port, process.pid


def measure(config: Path, tmp: Path, pool: ScraperPool, seconds: float) -> dict[str, Any]:
    with polling_back_to_back(config, tmp / "frequent.log") as (port, pid):
        before = polls_total(port)
        plain, gzipped = pool.latencies(("127.0.0.1", port, "/metrics"), [PLAIN, GZIP], seconds, PAUSE)
        polls = polls_total(port) - before
        peak = processes.peak_rss_mib(pid)
    return {"seconds": seconds, "polls": polls, **_latencies(plain, gzipped), "peak_rss_mib": peak}


def measure_floor_under_load(config: Path, tmp: Path, pool: ScraperPool, seconds: float) -> dict[str, Any]:
    """The exporter's bodies from ``floor.py``, scraped as in ``measure`` while the exporter polls."""
    with polling_back_to_back(config, tmp / "beside-floor.log") as (port, _):
        floor_port = processes.free_port()
        command = processes.floor_command(floor_port, tmp / "body.txt", tmp / "body.txt.gz")
        with processes.running(command, tmp / "floor-under-load.log") as floor:
            processes.wait_until_ready(floor_port, floor, "/")
            before = polls_total(port)
            plain, gzipped = pool.latencies(("127.0.0.1", floor_port, "/metrics"), [PLAIN, GZIP],
                                            seconds, PAUSE)
            polls = polls_total(port) - before
    return {"seconds": seconds, "polls": polls, **_latencies(plain, gzipped)}


def _latencies(plain: list[float], gzipped: list[float]) -> dict[str, Any]:
    everything = sorted(plain + gzipped)
    return {"scrapes": len(everything), "median_ms": 1000 * everything[len(everything) // 2],
            "plain_p100_ms": 1000 * max(plain), "gzip_p100_ms": 1000 * max(gzipped)}


def measure_floor(tmp: Path, pool: ScraperPool, seconds: float) -> dict[str, Any]:
    port = processes.free_port()
    command = processes.floor_command(port, tmp / "body.txt", tmp / "body.txt.gz")
    with processes.running(command, tmp / "floor.log") as process:
        processes.wait_until_ready(port, process, "/")
        return {"scrapes": scrape_all(pool, ("127.0.0.1", port, "/metrics"), seconds, 3)}
