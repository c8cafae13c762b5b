"""One benchmark size: the exporter and both baselines against the same simulated account."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from benchmarks import freshness, processes
from benchmarks.counting import CountingSimulator, busiest_window
from benchmarks.scrapers import GZIP, PLAIN, ScraperPool, fetch, scrape_all
from exporter.simulator import Dataset

OPENMETRICS = {"Accept": "application/openmetrics-text;version=1.0.0"}
FRESH_POLLS = 6  # polls back to back while scrapes are timed


@dataclass(frozen=True)
class Settings:
    latency: float
    rate_limit: float
    max_concurrency: int
    scrape_seconds: float
    naive_budget: float


def measure(size: int, settings: Settings, pool: ScraperPool) -> dict[str, Any]:
    dataset = Dataset.generate(seed=1, organizations=max(5, size // 250), repositories=size,
                               tags_per_repository=1, shared_with_me=4, start=time.time())
    with CountingSimulator(dataset, latency=settings.latency) as sim, \
            tempfile.TemporaryDirectory(prefix="swr-bench-") as tmp:
        config = processes.write_config(Path(tmp), sim, settings.rate_limit, settings.max_concurrency)
        ours = measure_exporter(sim, config, Path(tmp), settings, pool)
        frequent = processes.write_config(Path(tmp), sim, settings.rate_limit, settings.max_concurrency,
                                          poll_interval="1s", name="frequent.yml")
        # Six polls: each overlaps the render of the one before a little differently, and the peak memory
        # of polls back to back is the worst of those overlaps.
        seconds = max(settings.scrape_seconds, FRESH_POLLS * ours["poll_s"] + 2)
        ours["fresh"] = freshness.measure(frequent, Path(tmp), pool, seconds)
        floor = freshness.measure_floor(Path(tmp), pool, settings.scrape_seconds)
        floor["under_load"] = freshness.measure_floor_under_load(frequent, Path(tmp), pool, seconds)
        baseline = measure_generate_latest(sim, config, Path(tmp), settings, pool)
        naive = measure_naive(sim, settings)
    return {"repositories": size, "exporter": ours, "floor": floor, "generate_latest": baseline,
            "naive": naive}


def measure_exporter(sim: CountingSimulator, config: Path, tmp: Path, settings: Settings,
                     pool: ScraperPool) -> dict[str, Any]:
    port = processes.free_port()
    sim.reset_counts()
    begin = time.monotonic()
    with processes.running(processes.exporter_command(config, port), tmp / "exporter.log") as process:
        processes.wait_until_ready(port, process, "/-/ready")
        ready_s = time.monotonic() - begin
        # Imports and start-up included: an upper bound of the first poll's CPU (see the baseline's).
        result: dict[str, Any] = {"ready_s": ready_s, "cpu_to_ready_s": processes.cpu_seconds(process.pid),
                                  **api_usage(sim)}
        first_ms, body = fetch("127.0.0.1", port, "/metrics", PLAIN)
        result.update(poll_metrics(body.decode()))
        result["first_scrape_ms"] = 1000 * first_ms
        gzip_ms, gzipped = fetch("127.0.0.1", port, "/metrics", GZIP)
        result["first_gzip_scrape_ms"] = 1000 * gzip_ms
        (tmp / "body.txt").write_bytes(body)  # for the socket floor
        (tmp / "body.txt.gz").write_bytes(gzipped)
        result["scrapes"] = scrape_all(pool, ("127.0.0.1", port, "/metrics"), settings.scrape_seconds, 3)
        result["first_openmetrics_scrape_ms"] = 1000 * fetch("127.0.0.1", port, "/metrics", OPENMETRICS)[0]
        fetch("127.0.0.1", port, "/metrics", {**OPENMETRICS, "Accept-Encoding": "gzip"})
        result["peak_rss_mib"] = processes.peak_rss_mib(process.pid)
    return result


def api_usage(sim: CountingSimulator) -> dict[str, Any]:
    """What the simulator saw of the first poll: requests, the most in flight, the busiest second."""
    return {"server_requests": len(sim.arrivals), "max_in_flight": sim.max_in_flight,
            "busiest_second": busiest_window(sim.arrivals)}


def poll_metrics(exposition: str) -> dict[str, float]:
    values: dict[str, float] = {"api_requests": 0.0}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "swr_exporter_last_poll_duration_seconds":
                values["poll_s"] = sample.value
            elif sample.name == "swr_exporter_api_requests_total":
                values["api_requests"] += sample.value
            elif sample.name == "swr_up":
                values["up"] = sample.value
            elif sample.name == "swr_repository_info":
                values["exported_repositories"] = values.get("exported_repositories", 0.0) + 1
            elif sample.name == "swr_exporter_series_dropped" and sample.labels["reason"] == "cap":
                values["capped_series"] = sample.value
    values["series"] = float(sum(1 for line in exposition.splitlines() if line and line[0] != "#"))
    return values


def measure_generate_latest(sim: CountingSimulator, config: Path, tmp: Path, settings: Settings,
                            pool: ScraperPool) -> dict[str, Any]:
    port = processes.free_port()
    timings = tmp / "timings.json"
    command = processes.baseline_command(config, port, timings)
    with processes.running(command, tmp / "baseline.log") as process:
        processes.wait_until_ready(port, process, "/metrics")
        result: dict[str, Any] = json.loads(timings.read_text())
        result["scrapes"] = scrape_all(pool, ("127.0.0.1", port, "/metrics"), settings.scrape_seconds, 2)
        result["peak_rss_mib"] = processes.peak_rss_mib(process.pid)
    return result


def measure_naive(sim: CountingSimulator, settings: Settings) -> dict[str, Any]:
    account = sim.account
    env = processes.child_env(SWR_BENCH_ENDPOINT=sim.base_url, HUAWEICLOUD_SDK_AK=account.ak,
                              HUAWEICLOUD_SDK_SK=account.sk, HUAWEICLOUD_SDK_PROJECT_ID=account.project_id)
    sim.reset_counts()
    done = subprocess.run(processes.naive_command(settings.naive_budget), env=env, capture_output=True,
                          text=True, check=True, timeout=settings.naive_budget + 600)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    per_call = result["briefs_s"] / max(1, result["briefs_done"])
    result["extrapolated"] = result["briefs_done"] < result["repositories"]
    result["poll_s"] = result["discovery_s"] + per_call * result["repositories"]
    result["api_requests"] = result["discovery_calls"] + result["repositories"]
    result["server_requests"] = len(sim.arrivals)
    return result
