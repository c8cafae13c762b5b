"""Compact families: what prometheus_client's families hold, kept as rows of label values."""

from __future__ import annotations

import pytest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporter import metrics
from exporter.compact import CompactFamily

SPECS = (metrics.REPOSITORY_SIZE, metrics.REPOSITORY_DOWNLOADS)


def test_a_compact_family_has_the_samples_of_its_prometheus_client_twin():
    compact, twin = metrics.REPOSITORY_DOWNLOADS.counter(), CounterMetricFamily(
        metrics.REPOSITORY_DOWNLOADS.name, metrics.REPOSITORY_DOWNLOADS.help, labels=metrics.REPO)
    for family in (compact, twin):
        family.add_metric(["group", "busybox"], 7.0)
        family.add_metric(("group", "a/b"), 1e20)
    assert (compact.name, compact.type, compact.samples) == (twin.name, twin.type, twin.samples)


def test_valued_families_read_their_column_of_one_table_and_skip_unknown_values():
    rows = [(("g", "a"), (10, None)), (["g", "b"], (None, 3))]
    size, downloads = metrics.valued_families(SPECS, iter(rows))
    expected_size = GaugeMetricFamily(SPECS[0].name, SPECS[0].help, labels=metrics.REPO)
    expected_size.add_metric(["g", "a"], 10.0)
    assert size == expected_size
    assert [(s.name, s.labels, s.value) for s in downloads.samples] == [
        ("swr_repository_downloads_total", {"organization": "g", "repository": "b"}, 3.0)]
    assert list(size.rows) == list(size.rows)  # read again for every format and every reader


def test_valued_families_refuse_rows_of_the_wrong_width_and_types_other_than_gauge_or_counter():
    with pytest.raises(ValueError, match="2 values"):
        metrics.valued_families(SPECS, [(("g", "a"), (1,))])
    with pytest.raises(TypeError, match="histogram"):
        metrics.valued_families((metrics.API_DURATION,), [((), (1,))])
    with pytest.raises(ValueError, match="histogram"):
        CompactFamily("x", "help", "histogram")


def test_samples_are_read_only_so_no_one_fills_a_compact_family_the_slow_way():
    family = metrics.UP.gauge()
    with pytest.raises(AttributeError):
        family.samples = []
