"""Scrapes while the data move: polls as frequent as scrapes, and the socket floor of the same bytes.

``measure`` runs the exporter with ``poll_interval: 1s`` (polls back to back, each new snapshot rendered
in the background) and two scrapers, plain and gzip, scraping all the while: every scrape's latency,
so the slowest one (p100) covers the first scrape after every poll. Before the run, one scrape of each
kind and the poll after it: a variant nobody has asked for is built by its first scrape, once per
process (plain text and gzipped OpenMetrics, what curl and Prometheus ask for, are rendered from the
start), and that one-time cost is not what the run measures. ``measure_floor`` serves the
exporter's own bodies from ``floor.py`` and scrapes them as the exporter is scraped.
"""

from __future__ import annotations

import time
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


def measure(config: Path, tmp: Path, pool: ScraperPool, seconds: float) -> dict[str, Any]:
    port = processes.free_port()
    command = processes.exporter_command(config, port)
    with processes.running(command, tmp / "frequent.log") as process:
        processes.wait_until_ready(port, process, "/-/ready")
        for accept in (PLAIN, GZIP):
            fetch("127.0.0.1", port, "/metrics", accept)
        asked = polls_total(port)
        while polls_total(port) < asked + 2:  # a poll that began after both were asked for
            time.sleep(0.2)
        before = polls_total(port)
        plain, gzipped = pool.latencies(("127.0.0.1", port, "/metrics"), [PLAIN, GZIP], seconds, PAUSE)
        polls = polls_total(port) - before
        peak = processes.peak_rss_mib(process.pid)
    everything = sorted(plain + gzipped)
    return {"seconds": seconds, "polls": polls, "scrapes": len(everything),
            "median_ms": 1000 * everything[len(everything) // 2],
            "plain_p100_ms": 1000 * max(plain), "gzip_p100_ms": 1000 * max(gzipped), "peak_rss_mib": peak}


def measure_floor(tmp: Path, pool: ScraperPool, seconds: float) -> dict[str, Any]:
    port = processes.free_port()
    command = processes.floor_command(port, tmp / "body.txt", tmp / "body.txt.gz")
    with processes.running(command, tmp / "floor.log") as process:
        processes.wait_until_ready(port, process, "/")
        return {"scrapes": scrape_all(pool, ("127.0.0.1", port, "/metrics"), seconds, 3)}
