"""Under load and bad weather: many scrapers, polls running with faults, a long series of polls.

No wall-clock asserts: every scrape must succeed, and the process must end as it began (threads, open
files, memory). Throughput is measured by benchmarks/soak.py and reported in docs/performance.md.
"""

from __future__ import annotations

import gc
import http.client
import os
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from exporter.simulator import Dataset, Simulator
from exporter.simulator.faults import mixed_faults
from exporter.simulator.server import CONNECTION_THREAD
from tests.e2e.harness import config_for, exporter_settings, running_exporter

pytestmark = pytest.mark.e2e

SCRAPERS = 16
SCRAPES_EACH = 60


def dataset() -> Dataset:
    return Dataset.generate(seed=21, organizations=3, repositories=40, tags_per_repository=1,
                            shared_with_me=3)


def settings(sim: Simulator) -> dict:
    # retries 0: a retried reset or timeout waits for a real back-off, which adds time and nothing else
    return exporter_settings(sim, sim.account, retries=0, request_timeout="200ms", max_staleness="15m",
                             max_concurrency=4, rate_limit=1000)


def socket_ports() -> dict[str, set[int]]:
    """The local and remote TCP ports of every socket of this process, by the ``socket:[inode]`` link
    its descriptor shows in /proc/self/fd."""
    ports: dict[str, set[int]] = {}
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue  # no IPv6 in this kernel
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            ports[f"socket:[{inode}]"] = {int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16)}
    return ports


def open_files(simulator_port: int) -> tuple[list[str], list[str]]:
    """This process' descriptors in two lists: the sockets of connections to and from the simulator,
    and everything else, each as ``fd -> target``."""
    ports = socket_ports()
    simulator, others = [], []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed between listing and reading
        # The listening socket has remote port 0; it is the simulator's own and counted with the others.
        connected = simulator_port in ports.get(target, set()) and 0 not in ports[target]
        (simulator if connected else others).append(f"{fd} -> {target}")
    return simulator, others


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def scrape_many(port: int, count: int, statuses: Counter, lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for index in range(count):
            headers = {"Accept-Encoding": "gzip"} if index % 2 else {}
            conn.request("GET", "/metrics", headers=headers)
            response = conn.getresponse()
            response.read()
            with lock:
                statuses[response.status] += 1
    except (OSError, http.client.HTTPException) as error:
        with lock:
            statuses[type(error).__name__] += 1
    finally:
        conn.close()


def test_sixteen_scrapers_all_succeed_while_polls_run_with_faults():
    with Simulator(dataset=dataset()) as sim, running_exporter(config_for(settings(sim))) as exporter:
        exporter.poll()
        for rule in mixed_faults(rate=0.2):
            sim.faults.add(rule)
        done = threading.Event()

        def keep_polling() -> None:
            while not done.is_set():
                exporter.poll()

        poller = threading.Thread(target=keep_polling)
        poller.start()
        statuses: Counter = Counter()
        lock = threading.Lock()
        scrapers = [threading.Thread(target=scrape_many, args=(exporter.port, SCRAPES_EACH, statuses, lock))
                    for _ in range(SCRAPERS)]
        for thread in scrapers:
            thread.start()
        for thread in scrapers:
            thread.join()
        done.set()
        poller.join()
        polls = exporter.poller.snapshot.polls_total
    assert statuses == Counter({200: SCRAPERS * SCRAPES_EACH})
    assert polls > 1


def test_many_polls_with_faults_leak_no_threads_files_or_memory():
    with Simulator(dataset=dataset()) as sim, running_exporter(config_for(settings(sim))) as exporter:
        for rule in mixed_faults(rate=0.15):
            sim.faults.add(rule)

        def polls(count: int) -> None:
            for _ in range(count):
                exporter.poll()
                exporter.get("/metrics")
            sim.clear_requests()  # the simulator's request log is the test's, not the exporter's
            gc.collect()

        polls(20)  # warm-up: connection pools, caches and lazily created threads reach their size
        threads, (_, files), rss = exporter_threads(), open_files(sim.port), rss_kib()
        polls(150)
        failures = exporter.poller.snapshot.poll_failures_total
        # Connections the simulator is still closing may hold a thread or a socket for a moment.
        assert settles(lambda: exporter_threads() <= threads)
        # The simulator serves each open connection on a thread of its own: at most one per connection
        # of the exporter's pool (max_concurrency 4), so none leaked. How many the pool holds after
        # warm-up (3 or 4) depends on how often four calls overlapped, so it is not compared.
        assert settles(lambda: simulator_threads() <= 4)
        # Both ends of the exporter's pooled connections: at most max_concurrency of them, however many
        # the pool happened to hold after warm-up. Every other descriptor is one warm-up already had.
        assert settles(lambda: len(open_files(sim.port)[0]) <= 2 * 4), open_files(sim.port)[0]
        assert settles(lambda: len(open_files(sim.port)[1]) <= len(files)), (files, open_files(sim.port)[1])
        grown = rss_kib() - rss
    assert failures > 15, "the faults did not bite"
    assert grown < 16 * 1024, f"RSS grew by {grown} KiB"


def simulator_threads() -> int:
    return sum(thread.name == CONNECTION_THREAD for thread in threading.enumerate())


def exporter_threads() -> int:
    return threading.active_count() - simulator_threads()


def settles(condition, attempts: int = 50) -> bool:
    for _ in range(attempts):
        if condition():
            return True
        time.sleep(0.1)
    return False
