"""Scrapers in processes of their own: latency of each /metrics request and the scrapes per second."""

from __future__ import annotations

import dataclasses
import math
import re
import socket
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

PLAIN = {"Accept": "text/plain;version=0.0.4"}
GZIP = {**PLAIN, "Accept-Encoding": "gzip"}


@dataclass(frozen=True)
class ScrapeStats:
    scrapers: int
    scrapes: int
    median_ms: float
    p99_ms: float
    per_second: float
    body_bytes: int


def fetch(host: str, port: int, path: str, headers: dict[str, str]) -> tuple[float, bytes | bytearray]:
    """One scrape on a fresh connection, timed to the last byte; returns the (still encoded) body.

    A bare socket rather than http.client: the scraper's own CPU time must not crowd out the server's
    on a small machine, where scrapers and server share the cores.
    """
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
             *(f"{name}: {value}" for name, value in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    begin = time.perf_counter()
    with socket.create_connection((host, port), timeout=600) as sock:
        sock.sendall(request)
        head, body = _read_response(sock)
    elapsed = time.perf_counter() - begin
    status = head.split(b" ", 2)[1] if head else b"none"
    if status != b"200" or not body:
        raise RuntimeError(f"scrape of {path} answered {status.decode()} with {len(body)} bytes")
    return elapsed, body


def _read_response(sock: socket.socket) -> tuple[bytes, bytes | bytearray]:
    """Head and body; the body ends after Content-Length bytes, or when the server closes."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before the response headers ended")
        received += chunk
    head, _, start = received.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    if length is None:
        chunks = [start]
        while chunk := sock.recv(1 << 20):
            chunks.append(chunk)
        return head, b"".join(chunks)
    body = bytearray(int(length.group(1)))
    view = memoryview(body)
    view[: len(start)] = start
    filled = len(start)
    while filled < len(body):
        count = sock.recv_into(view[filled:])
        if not count:
            raise RuntimeError("connection closed before the body ended")
        filled += count
    return head, body


def scrape_loop(host: str, port: int, path: str, headers: dict[str, str], start_at: float,
                seconds: float, at_least: int, pause: float = 0.0) -> tuple[list[float], float, float, int]:
    """Scrape back to back (or ``pause`` apart) for ``seconds`` and at least ``at_least`` times; runs in
    a worker process. A scrape that does not answer 200 raises, failing the measurement."""
    time.sleep(max(0.0, start_at - time.monotonic()))
    latencies: list[float] = []
    size = 0
    begin = time.monotonic()
    while len(latencies) < at_least or time.monotonic() - begin < seconds:
        latency, body = fetch(host, port, path, headers)
        latencies.append(latency)
        size = len(body)
        time.sleep(pause)
    return latencies, begin, time.monotonic(), size


class ScraperPool:
    """Worker processes started once; each measurement runs ``n`` scrapers that start together."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
        list(self._pool.map(time.sleep, [0.0] * workers))  # start the workers before measuring

    def run(self, url: tuple[str, int, str], headers: dict[str, str], scrapers: int, seconds: float,
            at_least: int) -> ScrapeStats:
        host, port, path = url
        start_at = time.monotonic() + 0.5
        futures = [self._pool.submit(scrape_loop, host, port, path, headers, start_at, seconds, at_least)
                   for _ in range(scrapers)]
        return self._stats(scrapers, [future.result() for future in futures])

    def latencies(self, url: tuple[str, int, str], variants: list[dict[str, str]], seconds: float,
                  pause: float) -> list[list[float]]:
        """One scraper per variant (headers), together, ``pause`` apart: every scrape's latency."""
        host, port, path = url
        start_at = time.monotonic() + 0.5
        futures = [self._pool.submit(scrape_loop, host, port, path, headers, start_at, seconds, 1, pause)
                   for headers in variants]
        return [future.result()[0] for future in futures]

    @staticmethod
    def _stats(scrapers: int, results: list[tuple[list[float], float, float, int]]) -> ScrapeStats:
        latencies = sorted(latency for result in results for latency in result[0])
        elapsed = max(result[2] for result in results) - min(result[1] for result in results)
        return ScrapeStats(scrapers, len(latencies), 1000 * statistics.median(latencies),
                           1000 * percentile(latencies, 0.99), len(latencies) / elapsed, results[0][3])

    def close(self) -> None:
        self._pool.shutdown()


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ordered list (with few scrapes, p99 is the slowest one)."""
    return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


def scrape_all(pool: ScraperPool, url: tuple[str, int, str], seconds: float,
               at_least: int) -> dict[str, dict[str, float]]:
    result = {}
    for name, headers in (("plain", PLAIN), ("gzip", GZIP)):
        for scrapers in (1, 4):
            stats = pool.run(url, headers, scrapers, seconds, at_least)
            result[f"{name}x{scrapers}"] = dataclasses.asdict(stats)
    return result
