"""The fast renderer writes exactly what prometheus_client's generate_latest writes, for any families.

Every prometheus_client from the lower bound in pyproject.toml to the newest is held to this (a test in
tests/e2e/test_prometheus_client_versions.py runs this module against the oldest), with one known
difference: before 0.26, prometheus_client wrote Go's exponents of 10 and more with a stray zero
(``1e+010`` where Go writes ``1e+10``). The renderer writes Go's form, as 0.26 does; against an older
client, the reference is the client's own output with only that bug undone.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import exposition as text_format
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics import exposition as openmetrics_format
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text
from prometheus_client.samples import Exemplar, Timestamp
from prometheus_client.utils import floatToGoString

from exporter.collectors.organizations import Organization, Organizations
from exporter.collectors.quotas import Quota
from exporter.collectors.repositories import Repository
from exporter.collectors.shared import SharedRepository
from exporter.collectors.shares import RepositoryShares, Share
from exporter.collectors.spec import Results
from exporter.collectors.tags import Image
from exporter.compact import CompactFamily
from exporter.exposition.families import SnapshotCollector
from exporter.exposition.render import format_value, join_chunks, render, render_chunks
from exporter.polling.snapshot import CollectorStatus, Snapshot

FORMATS = pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])

# Label values as SWR may send them: quotes, backslashes, newlines, slashes, any printable unicode.
label_values = st.text(st.characters(exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ['a"b', "a\\b", "a\nb", "library/nginx", "镜像", "", "\\n", '\\"']
)
numbers = st.floats() | st.integers(-(10**20), 10**20).map(float)
optional_numbers = st.none() | numbers
optional_ints = st.none() | st.integers(0, 10**15)
optional_flags = st.none() | st.booleans()

repositories = st.builds(
    Repository, label_values, label_values, label_values,
    optional_ints, optional_ints, optional_ints, optional_flags, optional_numbers, optional_numbers,
)
shared = st.builds(
    SharedRepository, st.sampled_from(["self", "thirdparty"]), label_values, label_values, label_values,
    label_values, optional_ints, optional_ints, optional_flags,
)
images = st.builds(Image, label_values, label_values, label_values, optional_ints, optional_numbers)
statuses = st.builds(
    CollectorStatus, st.sampled_from(["organizations", "repositories", "shared", "quotas", "tags"]),
    st.booleans(), st.floats(0, 100),
)


def tuples(strategy: st.SearchStrategy, key=None, size: int = 8) -> st.SearchStrategy:
    return st.lists(strategy, max_size=size, unique_by=key).map(tuple)


def snapshots(unique: bool = False) -> st.SearchStrategy:
    """Random snapshots; ``unique`` keeps one record per series key, as the poller's snapshots do."""

    def key(*fields: str):
        return (lambda record: tuple(getattr(record, f) for f in fields)) if unique else None

    share_lists = tuples(st.builds(Share, label_values, label_values, optional_flags, optional_numbers),
                         key("shared_with"), 3)
    organizations = st.builds(
        Organizations, tuples(st.builds(Organization, label_values, label_values), key("name")),
        st.integers(0, 100),
    )
    data = {
        "organizations": organizations,
        "repositories": tuples(repositories, key("organization", "name")),
        "quotas": tuples(st.builds(Quota, label_values, optional_ints, optional_ints), key("key"), 3),
    }
    optional = {
        "shared": tuples(shared, key("direction", "owner_account", "organization", "name")),
        "shares": tuples(st.builds(RepositoryShares, label_values, label_values, share_lists),
                         key("organization", "repository"), 4),
        "tags": tuples(images, key("organization", "repository", "tag")),
    }
    return st.builds(
        Snapshot,
        target=st.just("default"),
        started_at=st.floats(0, 2e9),
        duration_seconds=st.floats(0, 1e3),
        collectors=tuples(statuses, key("name"), 4),
        results=st.fixed_dictionaries(data, optional=optional).map(Results),
        polls_total=st.integers(0, 10**6),
        poll_failures_total=st.integers(0, 10**6),
        last_success=st.none() | st.floats(0, 2e9),
        max_series=st.integers(0, 60),
    )


class Families:
    """A registry stand-in that yields the same families every time."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


STRAY_ZERO = floatToGoString(1e10) == "1e+010"  # prometheus_client before 0.26


def go_float(value: object) -> str:
    """``floatToGoString``, with the stray exponent zero of clients before 0.26 undone."""
    text = floatToGoString(value)
    return re.sub(r"e\+0(\d\d)$", r"e+\1", text) if STRAY_ZERO else text


@contextlib.contextmanager
def go_exponents() -> Iterator[None]:
    if not STRAY_ZERO:
        yield
        return
    with (mock.patch.object(text_format, "floatToGoString", go_float),
          mock.patch.object(openmetrics_format, "floatToGoString", go_float)):
        yield


@pytest.fixture(autouse=True, scope="module")
def _go_exponents_everywhere() -> Iterator[None]:
    """A family of an unusual shape is handed to prometheus_client itself, which writes 1e+010 before
    0.26: in this module both the reference and that path are held to Go's form."""
    with go_exponents():
        yield


def reference(families: list[Metric], openmetrics: bool) -> bytes:
    with go_exponents():
        if openmetrics:
            return openmetrics_format.generate_latest(Families(families))
        return text_format.generate_latest(Families(families))


@FORMATS
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=snapshots())
def test_every_snapshot_renders_byte_for_byte_like_generate_latest(openmetrics, snapshot):
    families = list(SnapshotCollector(lambda: snapshot).collect())
    expected = reference(families, openmetrics)
    assert render(families, openmetrics=openmetrics) == expected
    # Both formats from one pass (what the exposition serves): the same bytes.
    both = join_chunks(render_chunks(families), openmetrics=openmetrics)
    assert both + (b"# EOF\n" if openmetrics else b"") == expected


def test_the_data_families_are_compact_so_no_sample_objects_are_built_for_them():
    families = list(SnapshotCollector(lambda: snapshot_of_one()).collect())
    assert families and all(type(family) is CompactFamily for family in families)


def snapshot_of_one() -> Snapshot:
    return Snapshot("default", 0.0, 1.0, (), Results({"repositories": (Repository(
        "o", "r", "c", 1, 2, 3, True, 4.5, 6.5),)}))


# Arbitrary families, including what the fast path hands back to prometheus_client: names outside
# [a-zA-Z_][a-zA-Z0-9_]*, reserved label names, units, timestamps, exemplars, _created samples.
metric_names = st.sampled_from(["swr_x", "a", "_under", "with:colon", "swr_x_total", "Ab9_c"])
label_names = st.sampled_from(["organization", "repository", "le", "a", "__reserved", "Z9", "b_c"])
TYPES = ["gauge", "counter", "histogram", "summary", "info", "stateset", "unknown", "gaugehistogram"]
SUFFIXES = ["", "_total", "_bucket", "_count", "_sum", "_created", "_gsum", "_gcount", "_info", "_x"]


@st.composite
def families(draw: st.DrawFn) -> list[Metric]:
    result = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(metric_names)
        unit = draw(st.sampled_from(["", "", "seconds"]))
        metric = Metric(name, draw(label_values), draw(st.sampled_from(TYPES)), unit)
        for _ in range(draw(st.integers(0, 5))):
            names = draw(st.lists(label_names, max_size=3, unique=True))
            labels = {label: draw(label_values) for label in names}
            timestamp = draw(st.none() | st.none() | st.floats(0, 2e9) | st.just(Timestamp(5, 7)))
            exemplar = draw(st.none() | st.none() | st.just(Exemplar({"trace": "x"}, 1.5)))
            metric.add_sample(metric.name + draw(st.sampled_from(SUFFIXES)), labels, draw(numbers),
                              timestamp, exemplar)
        result.append(metric)
    return result


@FORMATS
@settings(max_examples=300)
@given(metrics=families())
def test_any_families_render_like_generate_latest_or_fail_the_same_way(openmetrics, metrics):
    try:
        expected = reference(metrics, openmetrics)
    except Exception as error:  # e.g. an exemplar on a gauge in OpenMetrics
        with pytest.raises(type(error)):
            render(metrics, openmetrics=openmetrics)
        return
    # The unusual families are prometheus_client's own output, with whatever exponents it writes.
    with go_exponents():
        assert render(metrics, openmetrics=openmetrics) == expected


@st.composite
def compact_families(draw: st.DrawFn) -> list[Metric]:
    """Compact families as any collector could fill them: label tuples of the right length or not,
    values of any number type, label values of any text or not text at all."""
    result = []
    for _ in range(draw(st.integers(0, 4))):
        labels = draw(st.lists(label_names, max_size=3, unique=True))
        kind = draw(st.sampled_from(["gauge", "counter"]))
        family = CompactFamily(draw(metric_names), draw(label_values), kind, labels)
        for _ in range(draw(st.integers(0, 5))):
            size = draw(st.sampled_from([len(labels)] * 6 + [0, len(labels) + 1]))
            values = tuple(draw(label_values | st.sampled_from([None, 7])) if draw(st.integers(0, 20)) == 0
                           else draw(label_values) for _ in range(size))
            value = draw(numbers | st.integers(-(10**20), 10**20) | st.booleans()
                         | st.sampled_from([None, "1"]))
            family.add_metric(values, value)
        result.append(family)
    return result


@FORMATS
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(metrics=compact_families() | st.builds(lambda a, b: a + b, compact_families(), families()))
def test_compact_families_render_like_generate_latest_or_fail_the_same_way(openmetrics, metrics):
    try:
        expected = reference(metrics, openmetrics)
    except Exception as error:
        with pytest.raises(type(error)):
            render(metrics, openmetrics=openmetrics)
        return
    assert render(metrics, openmetrics=openmetrics) == expected


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(metrics=compact_families() | st.builds(lambda a, b: a + b, compact_families(), families()))
def test_both_formats_in_one_pass_are_generate_latest_of_each_or_fail_as_one_of_them_does(metrics):
    expected, errors = {}, []
    for openmetrics in (False, True):
        try:
            expected[openmetrics] = reference(metrics, openmetrics)
        except Exception as error:
            errors.append(type(error))
    if errors:
        with pytest.raises(tuple(errors)):
            list(render_chunks(metrics))
        return
    chunks = list(render_chunks(metrics))
    assert join_chunks(chunks, openmetrics=False) == expected[False]
    assert join_chunks(chunks, openmetrics=True) + b"# EOF\n" == expected[True]


@given(value=st.floats() | st.integers(-(10**30), 10**30) | st.booleans())
def test_values_are_formatted_like_floatToGoString(value):
    assert format_value(value) == go_float(value)


@pytest.mark.parametrize("value", [0.0, -0.0, 1e6, 999999.9999999999, 1e16, 9999999999999998.0, 1e-05,
                                   math.inf, -math.inf, math.nan, 2099575, 1622627965.51307, -1e7])
def test_values_at_the_edges_of_go_and_python_float_formatting(value):
    assert format_value(value) == go_float(value)


def test_exponents_of_ten_and_more_are_written_as_go_writes_them():
    assert [format_value(v) for v in (1e6, 1e10, 9999999999999998.0)] == ["1e+06", "1e+10",
                                                                          "9.999999999999998e+15"]


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=snapshots(unique=True))
def test_both_formats_parse_back_to_the_collected_samples(snapshot):
    families = list(SnapshotCollector(lambda: snapshot).collect())
    expected = {(s.name, tuple(sorted(s.labels.items())), repr(float(s.value)))
                for f in families for s in f.samples}
    for parse, openmetrics in ((parse_text, False), (parse_openmetrics, True)):
        parsed = parse(render(families, openmetrics=openmetrics).decode("utf-8"))
        got = {(s.name, tuple(sorted(s.labels.items())), repr(float(s.value)))
               for f in parsed for s in f.samples}
        assert got == expected


def test_openmetrics_without_eof_leaves_room_for_more_families():
    metric = Metric("swr_up", "Up.", "gauge")
    metric.add_sample("swr_up", {}, 1.0)
    expected = b"# HELP swr_up Up.\n# TYPE swr_up gauge\nswr_up 1.0\n# EOF\n"
    assert render([metric], openmetrics=True) == expected
    assert render([metric], openmetrics=True, eof=False).endswith(b"swr_up 1.0\n")


def test_a_label_set_shared_by_families_is_written_the_same_in_each():
    families = []
    for name in ("swr_a", "swr_b"):
        metric = Metric(name, "Help.", "gauge")
        metric.add_sample(name, {"repository": 'x"y', "organization": "o"}, 2.0)
        families.append(metric)
    text = render(families, openmetrics=False).decode()
    assert 'swr_a{organization="o",repository="x\\"y"} 2.0\n' in text
    assert 'swr_b{organization="o",repository="x\\"y"} 2.0\n' in text
