"""The Helm chart carries exactly the rules of deploy/prometheus/rules and every dashboard of dashboards/.

Helm reads no file outside the chart, so scripts/sync-helm copies them into the chart's files/; these
tests compare what Helm renders with the sources themselves, so a source added or changed on another
branch fails here until the copies are regenerated.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import helm_python
import yaml

from exporter import __version__
from tests.artifacts.test_helm import CHART, NAMESPACE, manifests, render
from tests.artifacts.test_kubernetes import ROOT, of_kind

RULE_FILES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
DASHBOARD_FILES = sorted((ROOT / "dashboards").glob("*.json"))
SYNC = ROOT / "scripts" / "sync-helm"
REGENERATE = "the chart's copies are out of date: run scripts/sync-helm"


def sync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SYNC), *args], capture_output=True, text=True, timeout=60)


def test_there_are_rules_and_dashboards_to_carry():
    assert RULE_FILES and DASHBOARD_FILES


def test_copies_are_up_to_date():
    result = sync("--check")
    assert result.returncode == 0, result.stderr


def test_prometheus_rules_are_the_rule_files():
    rules = of_kind(render({"prometheusRule": {"enabled": True}}), "PrometheusRule")
    expected = sorted((yaml.safe_load(path.read_text(encoding="utf-8")) for path in RULE_FILES), key=str)
    assert sorted((rule["spec"] for rule in rules), key=str) == expected, REGENERATE
    assert len({rule["metadata"]["name"] for rule in rules}) == len(rules)


def test_every_dashboard_is_carried_once_verbatim():
    config_maps = of_kind(render({"dashboards": {"enabled": True}}), "ConfigMap")
    carried = [(name, text) for c in config_maps if "grafana_dashboard" in c["metadata"]["labels"]
               for name, text in c["data"].items()]
    for path in DASHBOARD_FILES:
        copies = [text for name, text in carried if name == path.name]
        assert copies == [path.read_text(encoding="utf-8")], f"{path.name}: {REGENERATE}"
    assert len(carried) == len(DASHBOARD_FILES), REGENERATE
    assert all(json.loads(text)["uid"] for _, text in carried)


def test_each_dashboard_fits_in_a_config_map():
    for path in DASHBOARD_FILES:
        assert path.stat().st_size < 1_000_000, f"{path.name}: a ConfigMap holds at most 1 MiB"


def test_check_names_a_stale_copy_and_sync_repairs_it(tmp_path):
    for relative in ("deploy/prometheus/rules", "dashboards", "deploy/helm/swr-exporter/files"):
        shutil.copytree(ROOT / relative, tmp_path / relative)
    dashboard = tmp_path / "dashboards" / DASHBOARD_FILES[0].name
    dashboard.write_text(dashboard.read_text().replace('"title"', '"title" ', 1))
    (tmp_path / "dashboards" / "added.json").write_text('{"uid": "added"}\n')
    (tmp_path / "deploy" / "prometheus" / "rules" / RULE_FILES[0].name).unlink()

    stale = sync("--check", "--root", str(tmp_path))
    assert stale.returncode == 1
    assert "run scripts/sync-helm" in stale.stderr
    for name in (DASHBOARD_FILES[0].name, "added.json", RULE_FILES[0].name):
        assert name in stale.stderr
    assert sync("--root", str(tmp_path)).returncode == 0
    assert sync("--check", "--root", str(tmp_path)).returncode == 0
    files = tmp_path / CHART.relative_to(ROOT) / "files"
    assert (files / "dashboards" / dashboard.name).read_text() == dashboard.read_text()
    assert (files / "dashboards" / "added.json").exists()
    assert not (files / "rules" / RULE_FILES[0].name).exists()


def test_packaged_chart_carries_the_copies(tmp_path):
    """What `helm package` makes (as a chart repository serves it) renders the same rules and dashboards."""
    archive = helm_python.package(CHART, destination=tmp_path)
    assert Path(archive).name == f"swr-exporter-{__version__}.tgz"
    values = {"prometheusRule": {"enabled": True}, "dashboards": {"enabled": True}}
    with helm_python.Chart.load(archive) as packaged:
        assert packaged.render(values, name="swr-exporter", namespace=NAMESPACE) == manifests(values)
