"""The collector registry is the one place that knows the collectors: every other part reads it."""

from __future__ import annotations

import inspect
import re
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client.core import Metric

from exporter import metrics
from exporter.collectors import registry
from exporter.collectors.spec import CollectorSpec, FetchContext
from exporter.config.polling import COLLECTOR_NAMES
from exporter.exposition.families import SnapshotCollector
from exporter.polling.poller import Poller
from exporter.swr.api import SwrApi
from tests.fakes.swr import Clock, FakeClient, repo_item, target

ROOT = Path(__file__).resolve().parents[2]
SPECS = {spec.name: spec for spec in registry.REGISTRY}
HEALTH = {"swr_up", "swr_exporter_series_dropped"}


def everything_on_client() -> FakeClient:
    """An account with one of every object, so each collector has something to export."""
    shared = {"self": [repo_item("group", "busybox")],
              "thirdparty": [repo_item("group", "other", domain_name="partner", status=True)]}
    domains = {("group", "busybox"): [{"access_domain": "partner", "permit": "read",
                                       "deadline": "2030-01-01T00:00:00Z", "status": True}]}
    tags = {("group", "busybox"): [{"Tag": "v1", "size": 5, "updated": "2024-01-01T00:00:00Z"}]}
    return FakeClient(shared=shared, domains=domains, tags=tags)


def all_on() -> dict[str, bool]:
    return dict.fromkeys(registry.switchable(), True)


@pytest.mark.parametrize("spec", registry.REGISTRY, ids=lambda spec: spec.name)
def test_every_spec_is_complete(spec: CollectorSpec) -> None:
    assert re.fullmatch(r"[a-z][a-z_]*", spec.name)
    assert spec.scope in ("discovery", "account", "organization")
    assert spec.phase >= 0
    assert all(callable(f) for f in (spec.fetch, spec.families, spec.records, spec.cost, spec.filtered))
    assert spec.default_interval is None or spec.default_interval > 0
    module = inspect.getmodule(spec.fetch)
    assert module is not None and module.__name__ == f"exporter.collectors.{spec.name}"
    assert module.SPEC is spec  # one module per collector, named after it


def test_names_are_unique_and_discovery_comes_first() -> None:
    names = [spec.name for spec in registry.REGISTRY]
    assert len(names) == len(set(names))
    first = registry.phases()[0]
    assert all(spec.scope == "discovery" for spec in first)
    assert all(spec.phase > first[0].phase for spec in registry.REGISTRY if spec.scope != "discovery")


def test_the_config_switches_and_intervals_are_exactly_the_registry_names() -> None:
    assert tuple(spec.name for spec in registry.REGISTRY if spec.scope != "discovery") == COLLECTOR_NAMES
    polling = target(collectors=all_on(), collector_intervals=dict.fromkeys(COLLECTOR_NAMES, "2h")).polling
    assert registry.enabled(polling) == tuple(SPECS)
    assert {spec.interval(polling) for spec in registry.REGISTRY if spec.switchable} == {7200.0}


def test_the_poller_runs_every_enabled_collector_in_phase_order() -> None:
    client = everything_on_client()
    clock = Clock()
    snap = Poller(target(collectors=all_on()), client, clock=clock, monotonic=clock).poll_once()
    assert [s.name for s in snap.collectors] == [spec.name for phase in registry.phases() for spec in phase]
    assert all(status.success for status in snap.collectors), snap.collectors
    assert set(snap.results.names()) == set(SPECS)


def test_every_data_metric_of_the_catalogue_comes_from_exactly_one_collector() -> None:
    client = everything_on_client()
    clock = Clock()
    snap = Poller(target(collectors=all_on()), client, clock=clock, monotonic=clock).poll_once()
    owner: dict[str, str] = {}
    for spec in registry.REGISTRY:
        result = snap.get(spec)
        for family in spec.families(result, spec.records(result)):
            assert family.name not in owner, f"{family.name} from {owner.get(family.name)} and {spec.name}"
            owner[family.name] = spec.name
    declared = {m.name for m in vars(metrics).values() if isinstance(m, metrics.MetricSpec)}
    data = {name for name in declared if not name.startswith("swr_exporter_") and name not in HEALTH}
    # Families are named without the counter's _total, as prometheus_client names them.
    produced = {name + "_total" if name + "_total" in declared else name for name in owner}
    assert produced == data


def _docstring_lines(spec: CollectorSpec) -> list[str]:
    module = inspect.getmodule(spec.fetch)
    assert module is not None and module.__doc__
    return [line.strip() for line in module.__doc__.splitlines() if line.strip().startswith(("# ", "swr_"))]


@pytest.mark.parametrize("spec", registry.REGISTRY, ids=lambda spec: spec.name)
def test_each_collector_docstring_shows_lines_it_really_writes(spec: CollectorSpec) -> None:
    catalogue = {m.name: m for m in vars(metrics).values() if isinstance(m, metrics.MetricSpec)}
    lines = _docstring_lines(spec)
    assert lines, f"the {spec.name} module's docstring shows no exposition lines"
    for line in lines:
        if line.startswith("# HELP "):
            name, text = line[7:].split(" ", 1)
            assert catalogue[name].help.startswith(text.removesuffix("...").rstrip(" .,")), line
        elif line.startswith("# TYPE "):
            name, kind = line[7:].split(" ")
            assert catalogue[name].type == kind, line
        else:
            match = re.fullmatch(r"(\w+)(?:\{(.*)\})? \S+", line)
            assert match is not None, line
            name, labels = match.groups()
            assert tuple(re.findall(r'(\w+)="', labels or "")) == catalogue[name].labels, line


def test_a_collector_added_to_a_registry_is_polled_exported_and_budgeted_with_no_other_change() -> None:
    def fetch(ctx: FetchContext) -> tuple[str, ...]:
        return ("a", "b", "c")

    def families(result: tuple[str, ...], kept: list[str]) -> list[Metric]:
        family = metrics.QUOTA_LIMIT.gauge()  # any declared gauge will do for the test
        for value in kept:
            family.add_metric([value], 1.0)
        return [family]

    extra = CollectorSpec(name="extra", phase=1, scope="organization",
                          fetch=fetch, families=families, records=lambda r: r, cost=lambda _: 1,
                          explosive=True)
    specs = (*registry.REGISTRY[:1], extra)
    clock = Clock()
    snap = Poller(target(), FakeClient(), clock=clock, monotonic=clock, registry=specs).poll_once()
    assert snap.status("extra") is not None and snap.status("extra").success
    collected = list(SnapshotCollector(lambda: replace(snap, max_series=3), registry=specs).collect())
    written = {f.name: f for f in collected}
    assert [s.labels["quota"] for s in written["swr_quota_limit"].samples] == ["a", "b"]  # 1 org + 2 fit
    assert written["swr_exporter_series_dropped"].samples[1].value == 1


def test_the_fake_client_offers_every_call_of_the_protocol_it_stands_in_for() -> None:
    wanted = {name for name in dir(SwrApi) if not name.startswith("_")}
    assert wanted <= {name for name in dir(FakeClient) if not name.startswith("_")}


def test_the_readme_collector_table_matches_the_registry() -> None:
    text = (ROOT / "README.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0] in SPECS:
            rows[cells[0]] = cells
    assert set(rows) == set(SPECS)
    for name, cells in rows.items():
        spec = SPECS[name]
        default = "always" if not spec.switchable else "on" if spec.default_enabled else "off"
        assert cells[1].startswith(default), cells
        interval = cells[2]
        if spec.default_interval is None:
            assert interval == "every poll", cells
        else:
            minutes, hours = f"{spec.default_interval / 60:g}m", f"{spec.default_interval / 3600:g}h"
            assert interval in (minutes, hours), cells
