"""The dashboards against Grafana's own schema: @grafana/schema's types, checked by TypeScript.

tools/grafana-schema turns each dashboard into a typed object literal (generate.mjs), so `tsc` reports
a field of the wrong type, an unknown key or a bad enum value, in the dashboard and in each panel's
options for its plugin. scripts/setup.d/30-dashboards.sh installs the pinned npm packages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from tests.artifacts.test_dashboards import DASHBOARDS, ROOT

TOOL = ROOT / "tools" / "grafana-schema"


def check(dashboards: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DASHBOARDS_DIR": str(dashboards)}
    generated = subprocess.run(["node", "generate.mjs"], cwd=TOOL, env=env, capture_output=True, text=True,
                               timeout=60)
    assert generated.returncode == 0, generated.stderr
    return subprocess.run([str(TOOL / "node_modules" / ".bin" / "tsc"), "-p", "."], cwd=TOOL,
                          capture_output=True, text=True, timeout=180)


def broken_copy(tmp_path: Path, change) -> Path:
    shutil.copytree(DASHBOARDS, tmp_path / "dashboards")
    path = tmp_path / "dashboards" / "swr-overview.json"
    dashboard = json.loads(path.read_text())
    change(dashboard)
    path.write_text(json.dumps(dashboard))
    return path.parent


def test_the_dashboards_match_grafanas_schema():
    result = check(DASHBOARDS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_an_unknown_panel_option_and_a_bad_enum_value(tmp_path):
    def change(dashboard):
        stat = next(p for p in dashboard["panels"] if p["type"] == "stat")
        stat["options"]["colourMode"] = "value"
        timeseries = next(p for p in dashboard["panels"] if p["type"] == "timeseries")
        timeseries["fieldConfig"]["defaults"]["custom"]["drawStyle"] = "wiggly"

    result = check(broken_copy(tmp_path, change))
    assert result.returncode != 0
    assert "colourMode" in result.stdout
    assert "wiggly" in result.stdout


def test_the_schema_check_rejects_a_variable_of_an_unknown_type(tmp_path):
    def change(dashboard):
        dashboard["templating"]["list"][1]["type"] = "lookup"

    result = check(broken_copy(tmp_path, change))
    assert result.returncode != 0
    assert "lookup" in result.stdout
