"""Soak: thousands of polls against the simulator with faults on, 16 scrapers hammering /metrics.

Samples the process' RSS, open file descriptors and thread count as it goes and writes a Markdown
report. Run from the repository root:

    .venv/bin/python -m benchmarks.soak --polls 3000 --out benchmarks/results/soak.md
"""

from __future__ import annotations

import argparse
import gc
import http.client
import os
import platform
import threading
import time
from collections import Counter
from pathlib import Path

from exporter.simulator import Dataset, Simulator
from exporter.simulator.faults import mixed_faults
from tests.e2e.harness import config_for, exporter_settings, running_exporter


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def scraper(port: int, stop: threading.Event, statuses: Counter, lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        try:
            conn.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
            response = conn.getresponse()
            response.read()
            outcome: object = response.status
        except (OSError, http.client.HTTPException) as error:
            outcome = type(error).__name__
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with lock:
            statuses[outcome] += 1
    conn.close()


def soak(polls: int, scrapers: int, rate: float, repositories: int) -> dict:
    dataset = Dataset.generate(seed=5, organizations=5, repositories=repositories, tags_per_repository=1,
                               shared_with_me=4)
    with Simulator(dataset=dataset) as sim:
        settings = exporter_settings(sim, sim.account, retries=0, request_timeout="200ms",
                                     max_staleness="15m", rate_limit=100000)
        with running_exporter(config_for(settings)) as exporter:
            for rule in mixed_faults(rate=rate):
                sim.faults.add(rule)
            stop, lock, statuses = threading.Event(), threading.Lock(), Counter()
            threads = [threading.Thread(target=scraper, args=(exporter.port, stop, statuses, lock))
                       for _ in range(scrapers)]
            for thread in threads:
                thread.start()
            samples = []
            started = time.monotonic()
            for index in range(polls):
                exporter.poll()
                if index % max(1, polls // 20) == 0 or index == polls - 1:
                    sim.clear_requests()  # the simulator's own request log is not the exporter's memory
                    gc.collect()
                    samples.append((index + 1, rss_kib(), open_files(), threading.active_count()))
            elapsed = time.monotonic() - started
            stop.set()
            for thread in threads:
                thread.join()
            snapshot = exporter.poller.snapshot
    return {"samples": samples, "statuses": statuses, "elapsed": elapsed, "polls": polls,
            "failed_polls": snapshot.poll_failures_total, "scrapers": scrapers, "rate": rate,
            "repositories": repositories}


def report(result: dict) -> str:
    scrapes = sum(result["statuses"].values())
    first, last = result["samples"][1], result["samples"][-1]  # sample 0 is before any warm-up
    rows = "\n".join(f"| {n} | {rss / 1024:.1f} | {fds} | {threads} |"
                     for n, rss, fds, threads in result["samples"])
    return (
        "# Soak run\n\n"
        f"`python -m benchmarks.soak --polls {result['polls']}` on {platform.machine()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs.\n\n"
        f"- {result['polls']} polls of {result['repositories']} repositories against the simulator, every "
        f"fault kind on at {result['rate']:.0%} per request: {result['failed_polls']} polls had a failed "
        "collector.\n"
        f"- {result['scrapers']} scrapers on /metrics (gzip) meanwhile: {scrapes} scrapes in "
        f"{result['elapsed']:.0f} s ({scrapes / result['elapsed']:.0f}/s), "
        f"outcomes {dict(result['statuses'])}.\n"
        f"- RSS {first[1] / 1024:.1f} MiB after the first samples, {last[1] / 1024:.1f} MiB at the end; "
        f"open files {first[2]} -> {last[2]}; threads {first[3]} -> {last[3]}.\n\n"
        "| polls | RSS MiB | open fds | threads |\n|---|---|---|---|\n" + rows + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=3000)
    parser.add_argument("--scrapers", type=int, default=16)
    parser.add_argument("--rate", type=float, default=0.1, help="per-request probability of each fault")
    parser.add_argument("--repositories", type=int, default=200)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    text = report(soak(args.polls, args.scrapers, args.rate, args.repositories))
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
