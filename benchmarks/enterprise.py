"""``python -m benchmarks.enterprise``: API calls per poll and poll time of the Enterprise collectors.

The simulator (in this process, counting every request it answers) serves a generated Enterprise
account: ``--instances`` running instances (plus one unavailable and one creating) with
``--repositories`` repositories in all. The exporter runs as a process of its own with the Enterprise
collectors on and polls once; the result is its first poll's duration, its own count of API calls by
operation, and what the simulator saw. ``enterprise_artifacts`` costs two calls per repository, so it
is measured only with ``--artifacts`` (40,000 calls for 20,000 repositories: over an hour at the
default rate limit of 10/s). Results go to ``benchmarks/results/enterprise.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from benchmarks import processes
from benchmarks.counting import CountingSimulator, busiest_window
from benchmarks.report import machine
from benchmarks.scrapers import PLAIN, fetch
from exporter.simulator import Dataset
from exporter.simulator.enterprise_data import EnterpriseDataset

RESULTS = Path(__file__).resolve().parent / "results"
log = logging.getLogger("benchmarks.enterprise")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.enterprise",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=5, help="running Enterprise instances")
    parser.add_argument("--repositories", type=int, default=20_000, help="repositories over all instances")
    parser.add_argument("--latency", type=float, default=0.02, help="simulated API latency, seconds")
    parser.add_argument("--rate-limit", type=float, default=10.0, help="exporter rate_limit (default 10)")
    parser.add_argument("--max-concurrency", type=int, default=4, help="exporter max_concurrency")
    parser.add_argument("--artifacts", action="store_true", help="also run enterprise_artifacts")
    parser.add_argument("--output", type=Path, default=RESULTS, help="directory for enterprise.md/.json")
    return parser.parse_args(argv)


def write_config(directory: Path, sim: CountingSimulator, args: argparse.Namespace) -> Path:
    path = processes.write_config(directory, sim, args.rate_limit, args.max_concurrency)
    settings = yaml.safe_load(path.read_text())
    settings["collectors"] = {"repositories": False, "shared": False, "quotas": False, "overview": False,
                              "enterprise": True, "enterprise_jobs": True,
                              "enterprise_artifacts": bool(args.artifacts)}
    path.write_text(yaml.safe_dump(settings))
    return path


def poll_figures(exposition: str) -> dict[str, Any]:
    calls: Counter[str] = Counter()
    figures: dict[str, Any] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "swr_exporter_last_poll_duration_seconds":
                figures["poll_s"] = sample.value
            elif sample.name == "swr_exporter_api_requests_total":
                calls[sample.labels["operation"]] += int(sample.value)
            elif sample.name == "swr_up":
                figures["up"] = sample.value
    figures["api_requests"] = sum(calls.values())
    figures["calls_by_operation"] = dict(sorted(calls.items()))
    figures["enterprise_series"] = sum(1 for line in exposition.splitlines()
                                       if line.startswith("swr_enterprise_"))
    return figures


def measure(args: argparse.Namespace) -> dict[str, Any]:
    now = time.time()
    enterprise = EnterpriseDataset.generate(seed=1, instances=args.instances, repositories=args.repositories,
                                            start=now)
    dataset = Dataset.generate(seed=1, organizations=1, repositories=1, tags_per_repository=1,
                               shared_with_me=0, start=now)
    with CountingSimulator(dataset, latency=args.latency, enterprise=enterprise) as sim, \
            tempfile.TemporaryDirectory(prefix="swr-bench-ee-") as tmp:
        config = write_config(Path(tmp), sim, args)
        port = processes.free_port()
        sim.reset_counts()
        begin = time.monotonic()
        command = processes.exporter_command(config, port)
        with processes.running(command, Path(tmp) / "exporter.log") as process:
            processes.wait_until_ready(port, process, "/-/ready", timeout=7200)
            ready_s = time.monotonic() - begin
            _, body = fetch("127.0.0.1", port, "/metrics", PLAIN)
            figures = poll_figures(body.decode())
            figures["peak_rss_mib"] = processes.peak_rss_mib(process.pid)
    return {"instances": args.instances, "repositories": args.repositories, "artifacts": args.artifacts,
            "ready_s": ready_s, "server_requests": len(sim.arrivals), "max_in_flight": sim.max_in_flight,
            "busiest_second": busiest_window(sim.arrivals), **figures}


def markdown(info: dict[str, Any], args: argparse.Namespace, result: dict[str, Any]) -> str:
    rows = "\n".join(f"| {op} | {n} |" for op, n in result["calls_by_operation"].items())
    return (
        "# Enterprise Edition collectors: one poll\n\n"
        f"Machine: {info}\n\n"
        f"{result['instances']} running instances (plus one unavailable, one creating), "
        f"{result['repositories']} repositories, latency {args.latency} s, rate_limit {args.rate_limit}/s, "
        f"max_concurrency {args.max_concurrency}, enterprise_artifacts "
        f"{'on' if result['artifacts'] else 'off'}.\n\n"
        "| figure | value |\n|---|---|\n"
        f"| first poll (swr_exporter_last_poll_duration_seconds) | {result.get('poll_s', 0):.1f} s |\n"
        f"| process start to /-/ready | {result['ready_s']:.1f} s |\n"
        f"| API calls (exporter's count) | {result['api_requests']} |\n"
        f"| requests the simulator answered | {result['server_requests']} |\n"
        f"| most in flight / busiest second | {result['max_in_flight']} / {result['busiest_second']} |\n"
        f"| Enterprise series | {result['enterprise_series']} |\n"
        f"| peak RSS | {result['peak_rss_mib']:.0f} MiB |\n\n"
        "| operation | calls |\n|---|---|\n" + rows + "\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("exporter").setLevel(logging.WARNING)
    log.info("measuring %d instances with %d repositories", args.instances, args.repositories)
    result = measure(args)
    info = machine()
    args.output.mkdir(parents=True, exist_ok=True)
    document = {"machine": info, "settings": {k: str(v) for k, v in vars(args).items()}, "result": result}
    (args.output / "enterprise.json").write_text(json.dumps(document, indent=2) + "\n")
    (args.output / "enterprise.md").write_text(markdown(info, args, result))
    log.info("wrote %s", args.output / "enterprise.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
