"""The Kubernetes copies of the rules and dashboards say exactly what their sources say.

deploy/prometheus/rules/*.yml and dashboards/*.json are the one source of truth; scripts/sync-kubernetes
copies them into deploy/kubernetes/components/monitoring, which every overlay includes.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import shutil
import subprocess
import sys
from types import ModuleType

import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.artifacts.test_kubernetes import OVERLAYS, ROOT, of_kind, render

RULE_FILES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
DASHBOARD_FILES = sorted((ROOT / "dashboards").glob("*.json"))
SYNC = ROOT / "scripts" / "sync-kubernetes"


def load_script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("sync_kubernetes", str(SYNC))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


SCRIPT = load_script()


def sync(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SYNC), *args], capture_output=True, text=True, timeout=60)


def test_there_are_rules_and_dashboards_to_ship():
    assert RULE_FILES and DASHBOARD_FILES


def test_copies_are_up_to_date():
    result = sync("--check")
    assert result.returncode == 0, result.stderr


def test_every_overlay_ships_one_prometheus_rule_per_rule_file_with_its_groups():
    expected = {SCRIPT.resource_name(path.stem): yaml.safe_load(path.read_text()) for path in RULE_FILES}
    for overlay in OVERLAYS:
        rules = of_kind(render(f"overlays/{overlay}"), "PrometheusRule")
        assert {rule["metadata"]["name"]: rule["spec"] for rule in rules} == expected, overlay


def test_every_overlay_ships_one_config_map_per_dashboard_verbatim_for_the_grafana_sidecar():
    expected = {path.name: path.read_text(encoding="utf-8") for path in DASHBOARD_FILES}
    for overlay in OVERLAYS:
        maps = [m for m in of_kind(render(f"overlays/{overlay}"), "ConfigMap")
                if m["metadata"]["labels"].get("grafana_dashboard") == "1"]
        assert all(len(m["data"]) == 1 for m in maps), "one dashboard per ConfigMap"
        assert {name: text for m in maps for name, text in m["data"].items()} == expected, overlay
        assert {m["metadata"]["annotations"]["grafana_folder"] for m in maps} == {SCRIPT.FOLDER}
        assert all(json.loads(text)["uid"] for m in maps for text in m["data"].values())
        assert {m["metadata"]["name"] for m in maps} == {
            SCRIPT.dashboard_name(path.stem) for path in DASHBOARD_FILES}


def test_dashboard_config_maps_are_named_after_their_dashboard():
    assert SCRIPT.dashboard_name("swr-overview") == "swr-exporter-dashboard-overview"
    assert SCRIPT.dashboard_name("swr-exporter-health") == "swr-exporter-dashboard-health"


def test_each_dashboard_fits_in_a_config_map():
    for path in DASHBOARD_FILES:
        # 1 MiB for a ConfigMap; kubectl apply's last-applied annotation allows 256 KiB.
        assert path.stat().st_size < 200_000, path.name


def test_check_names_a_stale_copy_and_sync_repairs_it(tmp_path):
    for relative in ("deploy/prometheus/rules", "dashboards", "deploy/kubernetes/components/monitoring"):
        shutil.copytree(ROOT / relative, tmp_path / relative)
    dashboard = tmp_path / "dashboards" / DASHBOARD_FILES[0].name
    dashboard.write_text(dashboard.read_text().replace('"title"', '"title" ', 1))

    stale = sync("--check", "--root", str(tmp_path))
    assert stale.returncode == 1
    assert "dashboards.yaml" in stale.stderr and "prometheusrules" not in stale.stderr
    assert sync("--root", str(tmp_path)).returncode == 0
    assert sync("--check", "--root", str(tmp_path)).returncode == 0
    copy = tmp_path / "deploy" / "kubernetes" / "components" / "monitoring" / "dashboards.yaml"
    copied = [doc["data"] for doc in yaml.safe_load_all(copy.read_text()) if dashboard.name in doc["data"]]
    assert copied == [{dashboard.name: dashboard.read_text()}]


@given(st.text())
def test_any_text_survives_embedding_as_a_yaml_block(text):
    assert yaml.safe_load("key:" + SCRIPT.block_scalar(text, 4)) == {"key": text}
