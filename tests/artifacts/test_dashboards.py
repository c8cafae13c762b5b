"""The Grafana dashboards: stable identity, the variables users expect, and only catalogued metrics."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter import metrics
from exporter.web.landing import DASHBOARDS as LISTED

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
EXPECTED_UIDS = {
    "swr-overview.json": "swr-overview",
    "swr-repository.json": "swr-repository",
    "swr-sharing.json": "swr-sharing",
    "swr-enterprise.json": "swr-enterprise",
    "swr-exporter-health.json": "swr-exporter-health",
}
# Dashboards about repositories filter by these; the health dashboard only by job and instance.
DATA_VARIABLES = ("job", "instance", "organization", "repository")
INSTANCE_QUERY = 'label_values(swr_up{job=~"$job"}, instance)'
REPOSITORY_DASHBOARD = "/d/swr-repository/"
# An aggregation operator and what follows it up to its argument's opening parenthesis.
_AGGREGATION = re.compile(
    r"\b(sum|count|min|max|avg|group|stddev|stdvar|quantile|count_values)\s*"
    r"((?:by|without)\s*\(([^)]*)\))?\s*\(")

# A metric name in PromQL: an identifier not followed by "(" (a function) and not a label name inside
# braces or a by/without list, which ``_metric_names`` removes first.
_IDENTIFIER = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")
_BRACES = re.compile(r"\{[^}]*\}")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_STRINGS = re.compile(r'"[^"]*"')
_DURATIONS = re.compile(r"\[[^\]]*\]")
_NUMBERS = re.compile(r"\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b")
_PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    "inf", "nan",
}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# prometheus_client's ProcessCollector writes these on /metrics (DESIGN section 5, `process_*`).
PROCESS_METRICS = {
    "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_start_time_seconds",
    "process_cpu_seconds_total", "process_open_fds", "process_max_fds",
}
# Metrics of the exporter process rather than of a target: with `targets:` they are on /metrics, whose
# instance is the process's address and never one of the instance variable's target names.
PROCESS_LEVEL = {"swr_exporter_build_info"} | PROCESS_METRICS


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def dashboards() -> list[Path]:
    return sorted(DASHBOARDS.glob("*.json"))


def all_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def query_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    return (panel for panel in all_panels(dashboard) if panel.get("type") != "row")


def variable_queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            yield variable["name"], query["query"] if isinstance(query, dict) else query


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (label_values(...) included)."""
    text = _STRINGS.sub('""', expr)
    text = _BRACES.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = _DURATIONS.sub(" ", text)
    text = _NUMBERS.sub(" ", text)
    match = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", text)
    if match:
        text = match.group(1)
    return {name for name in _IDENTIFIER.findall(text) if name.lower() not in _PROMQL_WORDS}


def selected_names(expr: str) -> set[str]:
    """Metric names selected with braces, e.g. ``{__name__=~"a|b"}``: each alternative."""
    names = set()
    for pattern in re.findall(r'__name__=~"([^"]*)"', expr):
        names.update(pattern.split("|"))
    return names


def catalogue_names() -> set[str]:
    names = set()
    for spec in metrics.CATALOGUE:
        names.add(spec.name)
        if spec.type == "histogram":
            names.update(spec.name + suffix for suffix in HISTOGRAM_SUFFIXES)
    return names


def unknown_metrics(exprs: list[str]) -> set[str]:
    """Names that are neither in the catalogue, the process metrics nor Prometheus' own ``up``."""
    used = set().union(*(metric_names(expr) | selected_names(expr) for expr in exprs))
    return used - catalogue_names() - PROCESS_METRICS - {"up"}


def dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    exprs = [target["expr"] for panel in query_panels(dashboard) for target in panel.get("targets", [])]
    return exprs + [query for _, query in variable_queries(dashboard)]


@pytest.fixture(params=dashboards(), ids=lambda path: path.name)
def dashboard(request) -> dict[str, Any]:
    return load(request.param)


def test_every_dashboard_has_its_stable_uid():
    found = {path.name: load(path)["uid"] for path in dashboards()}
    assert found == EXPECTED_UIDS


def test_dashboards_use_the_schema_of_current_grafana(dashboard):
    assert dashboard["schemaVersion"] >= 39
    assert dashboard["title"].startswith("SWR / ")
    assert "swr-exporter" in dashboard["tags"]


def test_every_panel_and_query_uses_the_datasource_variable(dashboard):
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in query_panels(dashboard):
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]


def test_data_dashboards_offer_job_organization_and_repository_with_all():
    for path in dashboards():
        dashboard = load(path)
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        wanted = ("job", "instance") if dashboard["uid"] == "swr-exporter-health" else DATA_VARIABLES
        for name in wanted:
            assert variables[name]["includeAll"] is True, (path.name, name)
            assert variables[name]["allValue"] in (".*", ".+"), (path.name, name)
            assert variables[name]["datasource"] == DATASOURCE, (path.name, name)


def test_every_query_of_an_swr_metric_is_filtered_by_job(dashboard):
    for expr in dashboard_exprs(dashboard):
        if re.search(r",\s*job\)$", expr):
            continue  # the job variable's own values
        for selector in re.findall(r"\b(swr_[a-z_]+)(\{[^}]*\})?", expr):
            assert 'job=~"$job"' in selector[1], expr


def test_repository_queries_follow_the_organization_variable(dashboard):
    for expr in dashboard_exprs(dashboard):
        if expr.endswith(", organization)"):
            continue  # the organization variable's own values
        for _, labels in re.findall(r"\b(swr_repository_[a-z_]+|swr_image_[a-z_]+)(\{[^}]*\})", expr):
            assert 'organization=~"$organization"' in labels, expr


def test_every_metric_a_dashboard_uses_is_in_the_catalogue(dashboard):
    assert unknown_metrics(dashboard_exprs(dashboard)) == set()


def test_an_unknown_metric_in_a_query_is_reported():
    exprs = [
        'sum by (organization) (rate(swr_repository_downlods_total{job=~"$job"}[5m]))',
        'label_values(swr_nonexistent{job=~"$job"}, organization)',
        'histogram_quantile(0.95, sum by (le) (rate(swr_exporter_api_request_duration_seconds_bucket[5m])))',
    ]
    assert unknown_metrics(exprs) == {"swr_repository_downlods_total", "swr_nonexistent"}


def test_panel_ids_and_titles_are_unique_and_panels_do_not_overlap(dashboard):
    panels = list(all_panels(dashboard))
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    titles = [panel["title"] for panel in query_panels(dashboard)]
    assert len(titles) == len(set(titles)), titles
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        columns, rows = range(pos["x"], pos["x"] + pos["w"]), range(pos["y"], pos["y"] + pos["h"])
        area = {(x, y) for x in columns for y in rows}
        assert not area & cells, panel["title"]
        cells |= area


def test_every_query_has_a_unique_ref_id_within_its_panel(dashboard):
    for panel in query_panels(dashboard):
        refs = [target["refId"] for target in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]


def test_the_dashboards_link_to_each_other(dashboard):
    links = [link for link in dashboard["links"] if link["type"] == "dashboards"]
    assert links and links[0]["tags"] == ["swr-exporter"]
    assert links[0]["includeVars"] and links[0]["keepTime"]


def test_the_landing_page_lists_exactly_the_shipped_dashboards():
    shipped = {(load(path)["title"], load(path)["uid"], f"dashboards/{path.name}") for path in dashboards()}
    assert {(d.title, d.uid, d.file) for d in LISTED} == shipped


def test_every_dashboard_has_a_multi_value_instance_variable_of_the_targets(dashboard):
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    instance = variables["instance"]
    query = instance["query"]
    assert (query["query"] if isinstance(query, dict) else query) == INSTANCE_QUERY
    assert instance["multi"] is True and instance["includeAll"] is True
    names = [v["name"] for v in dashboard["templating"]["list"]]
    assert names.index("instance") == names.index("job") + 1


def test_every_query_of_an_swr_process_or_up_metric_is_scoped_by_job_and_instance(dashboard):
    for expr in dashboard_exprs(dashboard):
        if expr.endswith((", job)", ", instance)")):
            continue  # the job and instance variables' own values
        for name, labels in re.findall(r"\b(swr_[a-z_]+|process_[a-z_]+|up)(\{[^}]*\})?", expr):
            if name in PROCESS_LEVEL:
                assert 'job=~"$job"' in labels and "instance" not in labels, expr
                continue
            assert 'job=~"$job", instance=~"$instance"' in labels, expr


def cross_target_aggregations(expr: str) -> list[str]:
    """Aggregations that could add up two targets: without ``by (... instance ...)``, or dropping it."""
    found = []
    for match in _AGGREGATION.finditer(expr):
        grouping = match.group(2) or ""
        labels = {label.strip() for label in (match.group(3) or "").split(",")}
        keeps = (grouping.startswith("by") and "instance" in labels) or (
            grouping.startswith("without") and "instance" not in labels)
        if not keeps:
            found.append(match.group(0))
    return found


def test_no_query_aggregates_across_targets(dashboard):
    for panel in query_panels(dashboard):
        for target in panel["targets"]:
            assert cross_target_aggregations(target["expr"]) == [], (panel["title"], target["expr"])


def test_the_aggregation_check_finds_a_sum_over_targets():
    assert cross_target_aggregations("sum(rate(x[5m])) / sum by (instance) (y)") == ["sum("]
    assert cross_target_aggregations("count by (organization) (x)") == ["count by (organization) ("]
    assert cross_target_aggregations("max without (instance) (x)") == ["max without (instance) ("]
    assert cross_target_aggregations("min by (instance, collector) (x) and topk(3, x)") == []
    assert cross_target_aggregations("sum without (operation) (x)") == []


def repository_links(panel: dict[str, Any]) -> list[str]:
    return [link["url"] for override in panel["fieldConfig"].get("overrides", [])
            for prop in override["properties"] if prop["id"] == "links" for link in prop["value"]]


def test_tables_of_our_repositories_link_to_the_repository_dashboard_with_the_row_labels():
    linked = 0
    for path in dashboards():
        dashboard = load(path)
        for panel in query_panels(dashboard):
            exprs = " ".join(target["expr"] for target in panel["targets"])
            ours = re.search(r'swr_repository_|direction="self"', exprs)
            if panel["type"] != "table" or not ours or dashboard["uid"] == "swr-repository":
                continue
            [url] = repository_links(panel)
            assert url.startswith(REPOSITORY_DASHBOARD), panel["title"]
            for field in ("instance", "organization", "repository"):
                assert f"var-{field}=${{__data.fields.{field}" in url, (panel["title"], field)
            assert "${__url_time_range}" in url and "${datasource:queryparam}" in url
            linked += 1
    assert linked >= 4


def test_the_memory_panel_shows_the_limit_the_memory_alert_assumes():
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "rules" / "swr-exporter-alerts.yml").read_text())
    [alert] = [rule for group in rules["groups"] for rule in group["rules"]
               if rule.get("alert") == "SWRExporterMemoryNearLimit"]
    match = re.fullmatch(r"process_resident_memory_bytes\{[^}]*\} / \((\d+) \* 1024 \* 1024\) > ([\d.]+)",
                         alert["expr"])
    assert match, alert["expr"]
    mebibytes, fraction = int(match.group(1)), float(match.group(2))
    [panel] = [panel for panel in query_panels(load(DASHBOARDS / "swr-exporter-health.json"))
               if any("process_resident_memory_bytes" in target["expr"] for target in panel["targets"])]
    defaults = panel["fieldConfig"]["defaults"]
    steps = [step["value"] for step in defaults["thresholds"]["steps"]]
    assert steps == [None, fraction * mebibytes * 2**20, mebibytes * 2**20]
    assert defaults["custom"]["thresholdsStyle"]["mode"] != "off"
    assert defaults["custom"]["axisSoftMax"] == mebibytes * 2**20
    assert f"{mebibytes} MiB" in panel["description"]
