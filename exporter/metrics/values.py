"""Filling the catalogue's families with values: rows of label values, unknown values left out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporter.compact import CompactFamily, Table

if TYPE_CHECKING:
    from exporter.metrics import MetricSpec

R = TypeVar("R")


def add(family: CompactFamily | GaugeMetricFamily | CounterMetricFamily, labels: Sequence[str],
        value: float | None) -> None:
    """One sample, unless the value is unknown: a missing value is never exported as 0."""
    if value is not None:
        family.add_metric(list(labels), float(value))


def valued_families(
    specs: Sequence[MetricSpec], rows: Iterable[tuple[Sequence[str], Sequence[float | None]]],
    view: Table | None = None,
) -> list[CompactFamily]:
    """One family per spec, filled from ``(labels, values)`` rows whose values are in the specs'
    order; an unknown value gives no sample. The rows are kept once, as a table each family reads its
    column of when it is written."""
    for spec in specs:
        if spec.type not in ("gauge", "counter"):
            raise TypeError(f"{spec.name} is declared a {spec.type}, not a gauge or a counter")
    table: Table = view if view is not None else [
        (labels if type(labels) is tuple else tuple(labels), values) for labels, values in rows]
    if isinstance(table, list) and any(len(values) != len(specs) for _, values in table):
        raise ValueError(f"every row needs {len(specs)} values, one per family")
    return [CompactFamily(spec.name, spec.help, spec.type, spec.labels, column=(table, index))
            for index, spec in enumerate(specs)]


def record_families(
    specs: Sequence[MetricSpec], records: Sequence[R],
    row: Callable[[R], tuple[tuple[str, ...], Sequence[float | None]]],
) -> list[CompactFamily]:
    """``valued_families`` read straight from the records: ``row(record)`` gives its label values and
    its values in the specs' order, computed again for each family as it is written, so no row of the
    snapshot is kept in memory beyond the one being written."""
    return valued_families(specs, (), view=_RecordRows(records, row))


class _RecordRows(Generic[R]):
    def __init__(self, records: Sequence[R],
                 row: Callable[[R], tuple[tuple[str, ...], Sequence[float | None]]]) -> None:
        self._records, self._row = records, row

    def __iter__(self) -> Iterator[tuple[tuple[str, ...], Sequence[float | None]]]:
        return map(self._row, self._records)


def flag(value: bool | None) -> int | None:
    """A boolean as a 0/1 sample value; unknown stays unknown."""
    return None if value is None else int(value)
