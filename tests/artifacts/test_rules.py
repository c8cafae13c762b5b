"""The Prometheus rules: valid, unit-tested by promtool for every alert, with a runbook in docs/operating.md,
using catalogued metrics."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml

from tests.artifacts.test_dashboards import ROOT, unknown_metrics
from tests.artifacts.test_docs import anchors

PROMETHEUS = ROOT / "deploy" / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
TEST_FILES = sorted((PROMETHEUS / "tests").glob("*.yml"))
OPERATING = ROOT / "docs" / "operating.md"
RUNBOOK = "https://github.com/swr-exporter/swr-exporter/blob/main/docs/operating.md#"


def rules() -> list[dict[str, Any]]:
    return [rule for path in RULE_FILES for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"]]


def alerts() -> list[dict[str, Any]]:
    return [rule for rule in rules() if "alert" in rule]


def unit_test_cases() -> list[dict[str, Any]]:
    return [case for path in TEST_FILES for test in yaml.safe_load(path.read_text())["tests"]
            for case in test.get("alert_rule_test", [])]


def test_promtool_accepts_every_rule_file():
    result = subprocess.run(["promtool", "check", "rules", *map(str, RULE_FILES)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda path: path.name)
def test_promtool_unit_tests_pass(path):
    result = subprocess.run(["promtool", "test", "rules", path.name], cwd=path.parent, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_scrape_config_is_valid_and_loads_the_rules():
    result = subprocess.run(["promtool", "check", "config", "scrape-config.yml"], cwd=PROMETHEUS,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in RULE_FILES:
        assert path.name in result.stdout


def test_every_alert_is_unit_tested_both_firing_and_not_firing():
    cases = unit_test_cases()
    for alert in alerts():
        name = alert["alert"]
        results = [bool(case.get("exp_alerts")) for case in cases if case["alertname"] == name]
        assert True in results, f"{name}: no promtool test where it fires"
        assert False in results, f"{name}: no promtool test where it stays quiet"


def test_every_firing_alert_test_checks_the_annotations():
    for case in unit_test_cases():
        for expected in case.get("exp_alerts", []):
            annotations = expected.get("exp_annotations", {})
            assert {"summary", "description", "runbook_url"} <= set(annotations), case["alertname"]


def test_every_alert_has_a_summary_description_severity_and_runbook_anchor():
    for alert in alerts():
        annotations = alert["annotations"]
        assert annotations["summary"] and annotations["description"], alert["alert"]
        assert alert["labels"]["severity"] in ("critical", "warning", "info"), alert["alert"]
        assert annotations["runbook_url"] == RUNBOOK + alert["alert"].lower(), alert["alert"]


def test_every_runbook_url_anchor_is_a_heading_of_the_operating_doc():
    headings = anchors(OPERATING)
    missing = [alert["alert"] for alert in alerts()
               if alert["annotations"]["runbook_url"].partition("#")[2] not in headings]
    assert not missing, f"docs/operating.md has no runbook section for {missing}"


def test_every_runbook_section_of_the_operating_doc_is_an_alert():
    text = OPERATING.read_text(encoding="utf-8")
    runbooks = text.split("\n## Runbooks\n", 1)[1].split("\n## ", 1)[0]
    sections = set(re.findall(r"^### (\S+)$", runbooks, re.MULTILINE))
    assert sections == {alert["alert"] for alert in alerts()}


def test_every_metric_a_rule_uses_is_in_the_catalogue():
    exprs = [rule["expr"] for rule in rules()]
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    assert unknown_metrics(exprs) - recorded == set()


def test_recording_rules_follow_the_level_metric_operation_convention():
    for rule in rules():
        if "record" in rule:
            level, metric, operation = rule["record"].split(":")
            assert level in ("organization", "instance") and metric.startswith("swr_") and operation
