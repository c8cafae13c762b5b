"""A gauge or counter family that keeps its samples as rows of label values, not ``Sample`` objects.

A 100,000-repository snapshot has about 700,000 samples. prometheus_client's families build a ``Sample``
tuple and a label dict for each; ``CompactFamily`` keeps one ``(label values, value)`` row, or none at
all: the families of a snapshot's records make each row from its record as it is written. The fast
renderer (``exposition/render.py``) writes the rows as they are; everything else that reads families
(``generate_latest``, ``registry.get_sample_value`` in tests) sees the usual ``samples``, built on demand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample

Row = tuple[tuple[str, ...], float]


class CompactFamily(Metric):
    """What ``GaugeMetricFamily`` / ``CounterMetricFamily`` with ``labels=`` are, for the calls the
    collectors make: ``add_metric(label_values, value)``."""

    def __init__(self, name: str, documentation: str, typ: str, labels: Sequence[str] = (),
                 source: Callable[[], Iterable[Row]] | None = None) -> None:
        """``source``: rows made afresh each time they are read, after those added (``metrics.values``
        makes them from a collector's records or rows, so that a family keeps no rows of its own)."""
        if typ not in ("gauge", "counter"):
            raise ValueError(f"a compact family is a gauge or a counter, not a {typ}")
        if typ == "counter" and name.endswith("_total"):  # as CounterMetricFamily names it
            name = name[:-6]
        # Metric.__init__ would assign ``samples``, which is computed here.
        self.name, self.documentation, self.unit, self.type = name, documentation, "", typ
        self.labels = tuple(labels)
        self.sample_name = name + "_total" if typ == "counter" else name
        self._added: list[Row] = []
        self._source = source

    def add_metric(self, labels: Sequence[str], value: float) -> None:
        # A tuple is kept as it is: the same label tuple then serves all of a record's families.
        self._added.append((labels if type(labels) is tuple else tuple(labels), value))

    @property
    def rows(self) -> Iterator[Row]:
        yield from self._added
        if self._source is not None:
            yield from self._source()

    @property
    def samples(self) -> list[Sample]:
        name, names = self.sample_name, self.labels
        return [Sample(name, dict(zip(names, values, strict=False)), value) for values, value in self.rows]

    @samples.setter
    def samples(self, samples: list[Sample]) -> None:
        raise AttributeError("a compact family's samples are its rows; add them with add_metric")
