"""``python -m benchmarks``: measure the exporter and the two baselines, write the results.

Example: ``python -m benchmarks --sizes 1000,10000,50000 --latency 0.02``. Writes
``benchmarks/results/results.md`` (tables with the machine description) and ``results.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

from benchmarks.measure import Settings, measure
from benchmarks.report import machine, markdown
from benchmarks.scrapers import ScraperPool

RESULTS = Path(__file__).resolve().parent / "results"
log = logging.getLogger("benchmarks")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000,100000",
                        help="repository counts, comma-separated")
    parser.add_argument("--latency", type=float, default=0.02, help="simulated API latency, seconds")
    parser.add_argument("--rate-limit", type=float, default=10.0, help="exporter rate_limit (default 10)")
    parser.add_argument("--max-concurrency", type=int, default=4, help="exporter max_concurrency")
    parser.add_argument("--scrape-seconds", type=float, default=3.0, help="duration of each scrape run")
    parser.add_argument("--naive-budget", type=float, default=15.0,
                        help="seconds of brief-info calls for baseline (a) before extrapolating")
    parser.add_argument("--output", type=Path, default=RESULTS, help="directory for results.md/.json")
    parser.add_argument("--note", default="", help="a sentence for the results, e.g. what was changed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("exporter").setLevel(logging.WARNING)
    settings = Settings(args.latency, args.rate_limit, args.max_concurrency, args.scrape_seconds,
                        args.naive_budget)
    info = {**machine(), "note": args.note}
    results = []
    pool = ScraperPool(workers=4)
    try:
        for size in (int(part) for part in args.sizes.split(",")):
            log.info("measuring %d repositories", size)
            results.append(measure(size, settings, pool))
    finally:
        pool.close()
    args.output.mkdir(parents=True, exist_ok=True)
    document = {"machine": info, "settings": dataclasses.asdict(settings), "results": results}
    (args.output / "results.json").write_text(json.dumps(document, indent=2) + "\n")
    (args.output / "results.md").write_text(markdown(info, dataclasses.asdict(settings), results))
    log.info("wrote %s", args.output / "results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
