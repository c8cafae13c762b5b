"""Process metrics read once a second off the scrape path; the tail follows each new reading."""

import threading
import time

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily

from exporter.exposition.cache import Exposition
from exporter.exposition.process import ProcessMetrics, shared


class Readings:
    def __init__(self) -> None:
        self.count = 0
        self.fail = False

    def __call__(self):
        if self.fail:
            raise OSError("no /proc")
        self.count += 1
        metric = GaugeMetricFamily("process_demo_reading", "A reading.")
        metric.add_metric([], self.count)
        return [metric]


def value(families) -> float:
    return next(iter(families)).samples[0].value


def test_a_scrape_takes_the_latest_reading_and_each_reading_is_a_new_version():
    readings = Readings()
    metrics = ProcessMetrics(readings, sleep=lambda _: threading.Event().wait())
    assert value(metrics.collect()) == 1 and metrics.version() == 0
    assert value(metrics.collect()) == 1  # scrapes read nothing themselves
    metrics.refresh()
    assert value(metrics.collect()) == 2 and metrics.version() == 1


def test_a_failed_reading_keeps_the_last_one():
    readings = Readings()
    metrics = ProcessMetrics(readings, sleep=lambda _: threading.Event().wait())
    readings.fail = True
    metrics.refresh()
    assert value(metrics.collect()) == 1 and metrics.version() == 0


def test_the_reading_thread_starts_with_the_first_scrape_and_reads_every_period():
    readings = Readings()
    metrics = ProcessMetrics(readings, period=0.01)
    time.sleep(0.05)
    assert readings.count == 1  # nobody scraped yet: no thread
    metrics.collect()
    deadline = time.monotonic() + 5
    while metrics.version() < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert metrics.version() >= 3 and value(metrics.collect()) >= 4


def test_the_tail_is_rendered_again_only_for_a_new_reading():
    readings, renders = Readings(), []

    class Counted:
        def collect(self):
            renders.append(1)
            return []

    metrics = ProcessMetrics(readings, sleep=lambda _: threading.Event().wait())
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Counted())
    registry.register(metrics)
    exposition = Exposition(registry, self_version=metrics.version)
    assert b"process_demo_reading 1.0" in exposition.body(None, False, False)
    assert b"process_demo_reading 1.0" in exposition.body(None, False, False)
    assert len(renders) == 1
    metrics.refresh()
    assert b"process_demo_reading 2.0" in exposition.body(None, False, False)
    assert b"process_demo_reading 2.0\n# EOF\n" in exposition.body(None, True, False)
    assert len(renders) == 3  # the new reading, once per format


def test_every_app_of_the_process_shares_one_reader():
    assert shared() is shared()
    names = {metric.name for metric in shared().collect()}
    assert "process_cpu_seconds" in names
