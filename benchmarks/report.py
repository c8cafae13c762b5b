"""The machine description and the results as Markdown tables."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    mem_kib = next((int(line.split()[1]) for line in _lines("/proc/meminfo")
                    if line.startswith("MemTotal")), 0)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "prometheus_client": version("prometheus-client"),
        "load_before": os.getloadavg()[0],
    }


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def polling_table(results: list[dict[str, Any]]) -> list[str]:
    rows = ["| repositories | swr-exporter: first complete poll | API calls per poll | start to ready "
            "| most requests in flight / in any second | (a) naive SDK, brief-info per repository: poll "
            "| (a) API calls |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        ours, naive = r["exporter"], r["naive"]
        note = f" (extrapolated from {naive['briefs_done']} calls)" if naive["extrapolated"] else ""
        rows.append(f"| {r['repositories']:,} | {ours['poll_s']:.2f} s | {ours['api_requests']:.0f} "
                    f"| {ours['ready_s']:.2f} s | {ours['max_in_flight']} / {ours['busiest_second']} "
                    f"| {naive['poll_s']:.0f} s{note} | {naive['api_requests']:,} |")
    return rows


def defaults_table(results: list[dict[str, Any]], settings: dict[str, Any]) -> list[str]:
    rows = ["| repositories | exported at default settings | series left out (cap) | API calls "
            "| start to ready | (calls - 1) / rate_limit + latency | ready / that | poll CPU (poll wall) "
            "| CPU to ready, start-up included |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        ours, b = r["exporter"], r["generate_latest"]
        bound = (ours["api_requests"] - 1) / settings["rate_limit"] + settings["latency"]
        rows.append(
            f"| {r['repositories']:,} | {ours.get('exported_repositories', 0):,.0f} "
            f"| {ours.get('capped_series', 0):,.0f} | {ours['api_requests']:.0f} | {ours['ready_s']:.2f} s "
            f"| {bound:.2f} s | {ours['ready_s'] / bound:.2f} "
            f"| {b['poll_cpu_s']:.2f} s ({b['poll_s']:.2f} s) "
            f"| {ours['cpu_to_ready_s']:.2f} s |")
    return rows


def fresh_table(results: list[dict[str, Any]]) -> list[str]:
    rows = ["| repositories | run | polls during it | scrapes (plain + gzip) | median "
            "| p100 plain | p100 gzip | socket floor beside the polls: p100 plain / gzip | peak RSS |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        f = r["exporter"]["fresh"]
        beside = r["floor"].get("under_load")
        floor = (f"{_ms(beside['plain_p100_ms'])} / {_ms(beside['gzip_p100_ms'])} ms" if beside else "")
        rows.append(f"| {r['repositories']:,} | {f['seconds']:.0f} s | {f['polls']:.0f} | {f['scrapes']} "
                    f"| {_ms(f['median_ms'])} ms | {_ms(f['plain_p100_ms'])} ms "
                    f"| {_ms(f['gzip_p100_ms'])} ms | {floor} "
                    f"| {f['peak_rss_mib']:.0f} MiB |")
    return rows


def scrape_table(results: list[dict[str, Any]]) -> list[str]:
    rows = ["| repositories | server | encoding | body | 1 scraper: median / p99 | 1 scraper: scrapes/s "
            "| 4 scrapers: median / p99 | 4 scrapers: total scrapes/s |",
            "|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in results:
        servers = (("swr-exporter", "exporter"), ("socket floor (same bytes)", "floor"),
                   ("(b) generate_latest", "generate_latest"))
        for server, key in servers:
            for encoding in ("plain", "gzip"):
                one, four = r[key]["scrapes"][f"{encoding}x1"], r[key]["scrapes"][f"{encoding}x4"]
                rows.append(
                    f"| {r['repositories']:,} | {server} | {encoding} | {one['body_bytes'] / 1e6:.2f} MB "
                    f"| {_ms(one['median_ms'])} / {_ms(one['p99_ms'])} ms | {one['per_second']:.1f} "
                    f"| {_ms(four['median_ms'])} / {_ms(four['p99_ms'])} ms | {four['per_second']:.1f} |")
    return rows


def render_table(results: list[dict[str, Any]]) -> list[str]:
    rows = ["| repositories | series | families + both formats (the background render) "
            "| generate_latest, one format | speed-up | formatting alone: render.py / generate_latest "
            "| first scrape after start (text / gzip / OpenMetrics) |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        b, ours = r["generate_latest"], r["exporter"]
        first = (f"{_ms(ours['first_scrape_ms'])} / {_ms(ours['first_gzip_scrape_ms'])} / "
                 f"{_ms(ours['first_openmetrics_scrape_ms'])} ms")
        rows.append(
            f"| {r['repositories']:,} | {b['series']:,} | {1000 * b['render_both_s']:.0f} ms "
            f"| {1000 * b['generate_latest_s']:.0f} ms "
            f"| {2 * b['generate_latest_s'] / b['render_both_s']:.1f}x "
            f"| {1000 * b['format_render_s']:.0f} / {1000 * b['format_generate_latest_s']:.0f} ms "
            f"({b['format_generate_latest_s'] / b['format_render_s']:.1f}x) | {first} |")
    return rows


def memory_table(results: list[dict[str, Any]]) -> list[str]:
    rows = ["| repositories | swr-exporter peak RSS, all formats served | per repository "
            "| growth per 1,000 repositories since the previous size | (b) peak RSS | (a) peak RSS |",
            "|---:|---:|---:|---:|---:|---:|"]
    previous: dict[str, Any] | None = None
    for r in results:
        rss = r["exporter"]["peak_rss_mib"]
        growth = ""
        if previous is not None:
            added = r["repositories"] - previous["repositories"]
            growth = f"{(rss - previous['exporter']['peak_rss_mib']) * 1000 / added:.2f} MiB"
        others = f"{r['generate_latest']['peak_rss_mib']:.0f} MiB | {r['naive']['peak_rss_mib']:.0f} MiB"
        per = rss * 1024 / r["repositories"]
        rows.append(f"| {r['repositories']:,} | {rss:.0f} MiB | {per:.2f} KiB | {growth} | {others} |")
        previous = r
    return rows


def markdown(info: dict[str, Any], settings: dict[str, Any], results: list[dict[str, Any]]) -> str:
    lines = [
        "# swr-exporter benchmark results", "",
        f"Measured {info['date']} with `python -m benchmarks`. Machine: {info['nproc']} CPUs "
        f"({info['cpu']}), {info['ram_gib']} GiB RAM, Python {info['python']}, {info['os']}, "
        f"prometheus_client {info['prometheus_client']}; load average {info['load_before']:.2f} "
        "when the run started.", "",
        *([info["note"], ""] if info.get("note") else []),
        f"Settings: simulated API latency {settings['latency'] * 1000:.0f} ms per request, rate_limit "
        f"{settings['rate_limit']:g}/s, max_concurrency {settings['max_concurrency']}, each scrape "
        f"measurement {settings['scrape_seconds']:g} s, baseline (a) stopped after "
        f"{settings['naive_budget']:g} s of brief-info calls.", "",
        "## At default settings", "", *defaults_table(results, settings), "",
        "## Polling", "", *polling_table(results), "",
        "## Polls as frequent as scrapes", "",
        "`poll_interval: 1s` (polls back to back), one plain and one gzip scraper scraping all the while "
        "(50 ms apart); p100 is the slowest scrape of the run, so it bounds the first scrape after "
        "every poll. The socket floor beside the polls: the same two scrapers, for as long, scrape "
        "the same bytes from `floor.py` (a plain `http.server` in a process of its own) while the "
        "exporter polls and renders back to back on the same cores, unscraped.", "",
        *fresh_table(results), "",
        "## /metrics (text format 0.0.4)", "", *scrape_table(results), "",
        "## Rendering one snapshot", "", *render_table(results), "",
        "## Memory", "", *memory_table(results), "",
    ]
    return "\n".join(lines)
