"""Snapshots are rendered off the scrape path: scrapes get the previous bytes until the new ones are
ready, and only the variants scrapers ask for are built and kept."""

from __future__ import annotations

import gzip
import threading

from prometheus_client import CollectorRegistry

from exporter.exposition.background import SnapshotRenders, render_snapshot_chunks
from exporter.exposition.cache import Exposition, render_snapshot
from tests.fakes.snapshots import repo, snapshot

WAIT = 10.0


class GatedRender:
    """A render that records the thread it ran in and waits for the test to let it finish."""

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.rendered: list[object] = []
        self.gate = threading.Event()
        self.started = threading.Event()

    def __call__(self, snap):
        self.threads.append(threading.current_thread().name)
        self.started.set()
        assert self.gate.wait(WAIT)
        self.rendered.append(snap)
        return render_snapshot_chunks(snap)


def wait_for(condition) -> None:
    event = threading.Event()
    for _ in range(1000):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("condition not met")


def test_a_scrape_gets_the_previous_bytes_while_the_new_snapshot_renders_in_the_background():
    render = GatedRender()
    renders = SnapshotRenders(render)
    exposition = Exposition(CollectorRegistry(), renders)
    old, new = snapshot([repo(name="old")]), snapshot([repo(name="new")])
    render.gate.set()
    renders.publish(old)
    assert exposition.body(old, False, False) == render_snapshot(old, False)
    render.gate.clear()
    render.started.clear()
    renders.publish(new)
    assert render.started.wait(WAIT)
    # The poller has swapped in the new snapshot; its render is not done: the old bytes, at once.
    assert exposition.body(new, False, False) == render_snapshot(old, False)
    render.gate.set()
    wait_for(lambda: exposition.body(new, False, False) == render_snapshot(new, False))
    assert threading.current_thread().name not in render.threads


def test_the_first_snapshot_has_no_earlier_bytes_so_its_first_scrape_waits_for_the_render_under_way():
    render = GatedRender()
    renders = SnapshotRenders(render)
    snap = snapshot()
    renders.publish(snap)
    assert render.started.wait(WAIT)
    body: list[bytes] = []
    scrape = threading.Thread(target=lambda: body.append(Exposition(CollectorRegistry(), renders).body(
        snap, False, False)))
    scrape.start()
    scrape.join(0.2)
    assert scrape.is_alive() and not body
    render.gate.set()
    scrape.join(WAIT)
    assert body == [render_snapshot(snap, False)]
    assert len(render.rendered) == 1  # the scrape did not render a second time


def test_snapshots_published_during_a_render_coalesce_into_the_newest():
    render = GatedRender()
    renders = SnapshotRenders(render)
    first, skipped, newest = snapshot(), snapshot(), snapshot()
    renders.publish(first)
    assert render.started.wait(WAIT)
    renders.publish(skipped)
    renders.publish(newest)
    render.gate.set()
    wait_for(lambda: renders.block((False, False)).snapshot is newest)
    assert render.rendered == [first, newest]


def test_only_the_variants_in_demand_are_built_and_the_sample_lines_kept_only_for_plain_ones():
    now = [0.0]
    renders = SnapshotRenders(background=False, window=60.0, monotonic=lambda: now[0])
    exposition = Exposition(CollectorRegistry(), renders)
    snap = snapshot()
    exposition.body(snap, True, True)  # Prometheus: OpenMetrics, gzip
    now[0] = 61.0  # plain text, asked for at start only, is no longer in demand
    exposition.body(snap, True, True)
    newer = snapshot()
    renders.publish(newer)
    block = renders.block((True, True))
    assert block.snapshot is newer
    assert set(block.gzip) == {True} and block.plain == {} and block.chunks is None
    # A variant nobody asked for recently is built once for the current block, then kept in demand.
    body = exposition.body(newer, False, False)
    assert body == render_snapshot(newer, False)
    assert block.chunks is not None and set(block.plain) == {False}
    renders.publish(snapshot())
    assert set(renders.block((False, False)).plain) == {False}


def test_gzip_and_plain_bodies_of_every_variant_agree():
    renders = SnapshotRenders(background=False)
    exposition = Exposition(CollectorRegistry(), renders)
    snap = snapshot([repo(name=f"r{i}") for i in range(2000)])  # sample blocks above the join size
    for openmetrics in (False, True):
        plain = exposition.body(snap, openmetrics, gzip=False)
        assert plain == render_snapshot(snap, openmetrics) + (b"# EOF\n" if openmetrics else b"")
        assert gzip.decompress(exposition.body(snap, openmetrics, gzip=True)) == plain


def test_one_render_serves_both_the_metrics_and_the_probe_exposition_of_a_target():
    calls = []

    def counting(snap):
        calls.append(snap)
        return render_snapshot_chunks(snap)

    renders = SnapshotRenders(counting, background=False)
    metrics, probe = Exposition(CollectorRegistry(), renders), Exposition(CollectorRegistry(), renders)
    snap = snapshot()
    renders.publish(snap)
    metrics.body(snap, False, False)
    probe.body(snap, True, True)
    assert calls == [snap]


def test_until_the_first_poll_is_complete_a_scrape_waits_for_its_render_rather_than_serve_the_interim():
    render = GatedRender()
    renders = SnapshotRenders(render)
    interim, final = snapshot(duration_seconds=None), snapshot()
    render.gate.set()
    renders.publish(interim)
    assert renders.settled(WAIT)
    render.gate.clear()
    render.started.clear()
    renders.publish(final)
    assert render.started.wait(WAIT)
    body: list[bytes] = []
    scrape = threading.Thread(target=lambda: body.append(Exposition(CollectorRegistry(), renders).body(
        final, False, False)))
    scrape.start()
    scrape.join(0.2)
    assert scrape.is_alive() and not body
    render.gate.set()
    scrape.join(WAIT)
    assert body == [render_snapshot(final, False)]
