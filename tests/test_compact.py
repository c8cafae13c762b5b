"""Compact families: what prometheus_client's families hold, kept as rows of label values."""

from __future__ import annotations

from operator import itemgetter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporter import metrics
from exporter.collectors import repositories
from exporter.collectors.repositories import Repository
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


def test_record_families_read_each_column_straight_from_the_records_every_time_they_are_written():
    records = [{"org": "g", "repo": "a", "size": 10, "public": True},
               {"org": "g", "repo": "b", "size": None, "public": False}]
    labels = itemgetter("org", "repo")
    size, public = metrics.record_families((metrics.REPOSITORY_SIZE, metrics.REPOSITORY_PUBLIC), records,
                                           labels, (itemgetter("size"), itemgetter("public")))
    assert list(size.rows) == [(("g", "a"), 10.0)]  # unknown: no sample, never 0
    assert list(public.rows) == [(("g", "a"), 1.0), (("g", "b"), 0.0)]  # a flag's 0/1
    records[0]["size"] = 11  # rows are not kept: the next reader sees the records as they are
    assert list(size.rows) == [(("g", "a"), 11.0)]


def test_record_families_refuse_a_column_count_other_than_the_families_and_types_but_gauge_or_counter():
    with pytest.raises(ValueError, match="2 columns, not 1"):
        metrics.record_families(SPECS, [], itemgetter("org"), (itemgetter("size"),))
    with pytest.raises(TypeError, match="histogram"):
        metrics.record_families((metrics.API_DURATION,), [], itemgetter("org"), (itemgetter("size"),))


@given(size=st.none() | st.integers(0, 2**63), images=st.none() | st.integers(0, 10**6),
       downloads=st.none() | st.integers(0, 2**63), public=st.none() | st.booleans(),
       created=st.none() | st.floats(0, 4e9), updated=st.none() | st.floats(0, 4e9))
def test_a_repositorys_families_hold_the_values_its_record_reports_in_the_order_of_VALUED(
        size, images, downloads, public, created, updated):
    repo = Repository("g", "a/b", "linux", size, images, downloads, public, created, updated)
    families = list(repositories.families((repo,), (repo,)))
    by_name = {family.name: list(family.rows) for family in families}
    assert by_name[metrics.REPOSITORY_INFO.name] == [(("g", "a/b", "linux"), 1.0)]
    for spec, value in zip(repositories.VALUED, repo.values(), strict=True):
        rows = by_name[CompactFamily(spec.name, spec.help, spec.type).name]
        assert rows == ([] if value is None else [(("g", "a/b"), float(value))])
