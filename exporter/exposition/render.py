"""Metric families to exposition bytes: the bytes prometheus_client writes, in under half the time.

``generate_latest`` spends most of its time on work that does not change between samples: it sorts,
checks and escapes every sample's labels, escapes every name character by character and formats each
value through a general-purpose function. Here names are checked once per family and a label set is
written once however often it recurs (a repository's labels recur in every repository family); see
benchmarks/ for what that saves. Anything unusual in a family (timestamps, exemplars, native
histograms, units, names outside ``[a-zA-Z_][a-zA-Z0-9_]*``, OpenMetrics-only samples in text format)
is handed to prometheus_client itself for that one family, so the output stays identical for every
input.

A ``CompactFamily`` (every family ``metrics.py`` declares) is written straight from its rows: no
``Sample`` and no label dict is ever made for it. Its sample lines are the same in both formats, so
``render_chunks`` writes them once per snapshot, with each format's two header lines beside them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from operator import itemgetter
from typing import Any

from prometheus_client import exposition as text_format
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics import exposition as openmetrics_format
from prometheus_client.samples import Sample

from exporter.compact import CompactFamily

EOF = "# EOF\n"
SLICE = 4096  # sample lines encoded at a time
# One family: (text 0.0.4 header, OpenMetrics header, sample lines common to both). A family only
# prometheus_client can write has its whole text in each format and no common part.
Chunk = tuple[bytes, bytes, bytes]

# Names every escaping scheme leaves alone, as metric name, sample name and label name alike.
_PLAIN_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
# Timestamp, exemplar and (in newer clients) native histogram: all None in a sample we render here.
_PLAIN_TAIL = (None,) * (len(Sample._fields) - 3)
_INF = float("inf")
_SPECIAL_FLOATS = {"inf": "+Inf", "-inf": "-Inf", "nan": "NaN"}
_EXPONENTS = {digits: f"e+{digits:02d}" for digits in range(6, 16)}
# How the text format renames OpenMetrics types (prometheus_client.exposition.generate_latest).
_TEXT_TYPES = {"info": "gauge", "stateset": "gauge", "gaugehistogram": "histogram", "unknown": "untyped"}
_TEXT_SUFFIXES = {"counter": "_total", "info": "_info"}
_TEXT_MOVED = ("_created", "_gsum", "_gcount")  # samples the text format moves into gauges of their own


class _Unusual(Exception):
    """A family the fast path does not cover; prometheus_client renders it instead."""


def render(families: Iterable[Metric], *, openmetrics: bool, eof: bool = True) -> bytes:
    """What ``generate_latest`` (text 0.0.4) or its OpenMetrics twin would return for ``families``.

    ``eof=False`` leaves out OpenMetrics' closing ``# EOF`` line, for a block that more families follow.
    """
    renderer = _Renderer(openmetrics)
    # Encoded family by family: the whole text never exists as str and bytes at once.
    parts = [renderer.family(metric) for metric in families]
    if openmetrics and eof:
        parts.append(EOF.encode())
    return b"".join(parts)


def render_chunks(families: Iterable[Metric]) -> Iterator[Chunk]:
    """Each family once for both formats; ``join_chunks`` makes one format's text of them."""
    text, openmetrics = _Renderer(False), _Renderer(True)
    for metric in families:
        if type(metric) is CompactFamily:
            try:
                samples = text.compact_samples(metric)
                yield text.header(metric).encode(), openmetrics.header(metric).encode(), samples
                continue
            except _Unusual:
                pass
        yield text.family(metric), openmetrics.family(metric), b""


def join_chunks(chunks: Iterable[Chunk], *, openmetrics: bool) -> bytes:
    """One format's text of ``render_chunks``, without OpenMetrics' ``# EOF``."""
    slot = 1 if openmetrics else 0
    return b"".join(part for chunk in chunks for part in (chunk[slot], chunk[2]))


def format_value(value: Any) -> str:
    """``prometheus_client.utils.floatToGoString``: Go's float formatting, which Prometheus expects."""
    number = float(value)
    text = repr(number)
    if 1e6 <= number < 1e16:  # Go writes an exponent here, Python's repr not yet
        dot = text.find(".")
        return (text[0] + "." + text[1:dot] + text[dot + 1 :]).rstrip("0.") + _EXPONENTS[dot - 1]
    return _SPECIAL_FLOATS.get(text, text)


def _escape_value(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


class _LabelSet:
    """``{a="%s",b="%s"}`` for one set of label names, sorted as prometheus_client sorts them, and the
    string of every distinct label set met so far: a repository's labels recur in every repository
    family, so most samples find their string already made."""

    def __init__(self, names: tuple[str, ...]) -> None:
        ordered = sorted(names)
        for name in ordered:
            if not _PLAIN_NAME.match(name) or name.startswith("__"):
                raise _Unusual(f"label name {name!r}")
        self.names = names
        self._format = "{" + ",".join(f'{name}="%s"' for name in ordered) + "}" if names else ""
        self._pick = itemgetter(*ordered) if len(ordered) > 1 else lambda labels: tuple(labels.values())
        self._made: dict[tuple[str, ...], str] = {}
        order = sorted(range(len(names)), key=names.__getitem__)
        # A row's values in the label names' sorted order, as a tuple, at C speed.
        self._pick_row: Callable[[tuple[str, ...]], tuple[str, ...]] = (
            tuple if order == list(range(len(names))) else itemgetter(*order))

    def text(self, labels: dict[str, str]) -> str:
        try:
            values = self._pick(labels)
            text = self._made.get(values)
            if text is None:
                text = self._made[values] = self._format % tuple(map(_escape, values))
        except TypeError:  # a value that is not a str: let prometheus_client say what it makes of it
            raise _Unusual("label value") from None
        return text

    def row_text(self, values: tuple[str, ...]) -> str:
        """The label text of a row's values, given in the family's label order. Not remembered: a
        compact row's label text costs about what looking it up would, and a large account's would
        take megabytes. Escaping is rare: one look at all of the row's values decides it."""
        if len(values) != len(self.names):  # prometheus_client would zip them short
            raise _Unusual("label count")
        picked = self._pick_row(values)
        try:
            joined = "".join(picked)
        except TypeError:  # a value that is not a str: let prometheus_client say what it makes of it
            raise _Unusual("label value") from None
        if "\\" in joined or "\n" in joined or '"' in joined:
            picked = tuple(map(_escape_value, picked))
        return self._format % picked


def _escape(value: str) -> str:
    if "\\" in value or "\n" in value or '"' in value:
        return _escape_value(value)
    return value


class _Renderer:
    def __init__(self, openmetrics: bool) -> None:
        self._openmetrics = openmetrics
        self._label_sets: dict[tuple[str, ...], _LabelSet] = {}

    def family(self, metric: Metric) -> bytes:
        try:
            if type(metric) is CompactFamily:
                return self.header(metric).encode() + self.compact_samples(metric)
            return "".join(self._lines(metric)).encode()
        except _Unusual:
            return self._by_prometheus_client(metric)

    def compact_samples(self, metric: CompactFamily) -> bytes:
        """The sample lines of a compact family, the same in both formats; encoded a slice at a time,
        so a large family never exists as a list of lines, a str and bytes at once."""
        self._check_name(metric.name)
        name = metric.sample_name
        self._check_name(name)
        row_text = self._label_set(metric.labels).row_text
        parts: list[bytes] = []
        rows = iter(metric.rows)
        while batch := list(islice(rows, SLICE)):
            lines: list[str] = []
            append = lines.append
            for values, value in batch:
                if type(value) is float and -_INF < value < 1e6:  # most values: repr is Go's format
                    append(f"{name}{row_text(values)} {value!r}\n")
                elif value is None:
                    raise _Unusual(name)
                else:
                    append(f"{name}{row_text(values)} {format_value(value)}\n")
            parts.append("".join(lines).encode())
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _by_prometheus_client(self, metric: Metric) -> bytes:
        one = _OneFamily(metric)
        if self._openmetrics:
            return openmetrics_format.generate_latest(one).removesuffix(EOF.encode())
        return text_format.generate_latest(one)

    def _lines(self, metric: Metric) -> list[str]:
        self._check_name(metric.name)
        lines = [self.header(metric)]
        moved = () if self._openmetrics else tuple(metric.name + suffix for suffix in _TEXT_MOVED)
        append, seen = lines.append, set()
        label_set = _LabelSet(())
        for sample in metric.samples:
            name, labels, value = sample[0], sample[1], sample[2]
            if sample[3:] != _PLAIN_TAIL or value is None:
                raise _Unusual(name)
            if name not in seen:
                self._check_name(name)
                if name in moved:
                    raise _Unusual(name)
                seen.add(name)
            names = tuple(labels)
            if names != label_set.names:
                label_set = self._label_set(names)
            label_text = label_set.text(labels)
            if type(value) is float and -_INF < value < 1e6:  # most values: repr is Go's format already
                append(f"{name}{label_text} {value!r}\n")
            else:
                append(f"{name}{label_text} {format_value(value)}\n")
        return lines

    def _label_set(self, names: tuple[str, ...]) -> _LabelSet:
        label_set = self._label_sets.get(names)
        if label_set is None:
            label_set = self._label_sets[names] = _LabelSet(names)

        return label_set

    @staticmethod
    def _check_name(name: str) -> None:
        if not _PLAIN_NAME.match(name):
            raise _Unusual(name)

    def header(self, metric: Metric) -> str:
        name, help_text, kind = metric.name, metric.documentation, metric.type
        if self._openmetrics:
            if metric.unit:
                raise _Unusual(name)
            help_text = _escape_value(help_text)
        else:
            name += _TEXT_SUFFIXES.get(kind, "")
            kind = _TEXT_TYPES.get(kind, kind)
            help_text = help_text.replace("\\", r"\\").replace("\n", r"\n")
        return f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n"


class _OneFamily:
    """A stand-in registry holding one family, for prometheus_client's own renderers."""

    def __init__(self, metric: Metric) -> None:
        self._metric = metric

    def collect(self) -> Iterator[Metric]:
        yield self._metric
