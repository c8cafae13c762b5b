import gzip

import pytest
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client import exposition as text_format
from prometheus_client.openmetrics import exposition as openmetrics_format
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from exporter.exposition.background import SnapshotRenders, render_snapshot_chunks
from exporter.exposition.cache import Exposition, wants_gzip, wants_openmetrics
from exporter.exposition.families import SnapshotCollector
from tests.fakes.snapshots import repo, shared, snapshot


def self_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    Gauge("swr_exporter_demo_self", "A self metric.", registry=registry).set(1)
    return registry


def families(text: str, openmetrics: bool = False) -> dict:
    parse = parse_openmetrics if openmetrics else parse_text
    return {f.name: f for f in parse(text)}


def test_scrape_is_the_cached_snapshot_block_followed_by_self_metrics():
    exposition = Exposition(self_registry())
    body = exposition.body(snapshot(), openmetrics=False, gzip=False).decode()
    parsed = families(body)
    assert "swr_repository_size_bytes" in parsed
    assert "swr_exporter_demo_self" in parsed
    assert body.index("swr_repository_size_bytes") < body.index("swr_exporter_demo_self")


def test_openmetrics_has_exactly_one_eof_at_the_end():
    body = Exposition(self_registry()).body(snapshot(), openmetrics=True, gzip=False).decode()
    assert body.endswith("# EOF\n")
    assert body.count("# EOF") == 1
    parsed = families(body, openmetrics=True)
    assert parsed["swr_repository_downloads"].type == "counter"


def test_gzip_body_decompresses_to_the_plain_body():
    exposition = Exposition(self_registry())
    snap = snapshot()
    for openmetrics in (False, True):
        plain = exposition.body(snap, openmetrics, gzip=False)
        assert gzip.decompress(exposition.body(snap, openmetrics, gzip=True)) == plain


def test_snapshot_is_rendered_once_for_every_variant_and_again_for_a_new_snapshot():
    calls = []

    def counting_render(snap):
        calls.append(snap)
        return render_snapshot_chunks(snap)

    exposition = Exposition(self_registry(), SnapshotRenders(counting_render, background=False))
    first = snapshot()
    for _ in range(3):
        exposition.body(first, False, False)
        exposition.body(first, False, True)
        exposition.body(first, True, False)
        exposition.body(first, True, True)
    assert calls == [first]
    second = snapshot()
    exposition.body(second, False, False)
    assert calls == [first, second]


def test_label_values_survive_quotes_backslashes_newlines_unicode_and_slashes():
    name = 'library/ngi"nx\\x\n镜像'
    body = Exposition(self_registry()).body(snapshot([repo(name=name)]), False, False).decode()
    [sample] = families(body)["swr_repository_size_bytes"].samples
    assert sample.labels == {"organization": "group", "repository": name}


def test_no_snapshot_yet_serves_only_self_metrics():
    body = Exposition(self_registry()).body(None, openmetrics=False, gzip=False).decode()
    assert set(families(body)) == {"swr_exporter_demo_self"}


def test_content_negotiation():
    assert wants_openmetrics("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
    assert not wants_openmetrics("text/plain;version=0.0.4")
    assert not wants_openmetrics(None)
    assert wants_gzip("gzip, deflate")
    assert not wants_gzip("gzip;q=0")
    assert not wants_gzip("identity")
    assert wants_gzip("deflate, GZIP;q=0.5") and not wants_gzip("gzip;q=0.000") and not wants_gzip("gzip;q=x")


def test_openmetrics_is_chosen_by_weight_not_by_mention():
    prometheus = ("application/openmetrics-text;version=1.0.0,"
                  "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
    assert wants_openmetrics(prometheus)
    assert not wants_openmetrics("application/openmetrics-text;q=0, text/plain")
    assert not wants_openmetrics("application/openmetrics-text;q=0.4, text/plain;q=0.5")
    assert not wants_openmetrics("application/openmetrics-text;q=oops")
    assert wants_openmetrics("text/plain;q=0.2, Application/OpenMetrics-Text; version=1.0.0; q=0.9")


@pytest.mark.parametrize("openmetrics", [False, True])
def test_body_is_what_generate_latest_writes_for_the_snapshot_then_the_self_metrics(openmetrics):
    snap = snapshot([repo(name="a"), repo(name='b"\\', public=None)], [shared(), shared("self")])
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(lambda: snap))
    generate = openmetrics_format.generate_latest if openmetrics else text_format.generate_latest
    block = generate(registry).removesuffix(b"# EOF\n")
    body = Exposition(self_registry()).body(snap, openmetrics, gzip=False)
    assert body == block + generate(self_registry())


def test_parts_reuse_the_cached_block_and_render_only_the_tail_per_scrape():
    exposition = Exposition(self_registry())
    snap = snapshot()
    *first_block, first_tail = exposition.parts(snap, openmetrics=False, gzip=False)
    *second_block, _ = exposition.parts(snap, openmetrics=False, gzip=False)
    assert all(a is b for a, b in zip(first_block, second_block, strict=True))
    assert first_tail.startswith(b"# HELP swr_exporter_demo_self")
    head, tail = exposition.parts(snap, openmetrics=False, gzip=True)
    assert gzip.decompress(head + tail) == b"".join(first_block) + first_tail


def test_self_metrics_are_rendered_again_only_when_their_version_changes():
    from prometheus_client.core import GaugeMetricFamily

    calls = []

    class Counting:
        def collect(self):
            calls.append(1)
            metric = GaugeMetricFamily("swr_exporter_demo_self", "A self metric.")
            metric.add_metric([], len(calls))
            yield metric

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Counting())
    version = [0]
    exposition = Exposition(registry, self_version=lambda: version[0])
    snap = snapshot()
    first = exposition.body(snap, False, False)
    for _ in range(3):
        assert exposition.body(snap, False, False) == first
        assert gzip.decompress(exposition.body(snap, False, True)) == first
    assert len(calls) == 1
    version[0] += 1
    second = exposition.body(snap, False, False)
    assert second != first and len(calls) == 2
    assert gzip.decompress(exposition.body(snap, False, True)) == second
