"""The README's promises: its metric table is the catalogue, and .ci/run runs its test command."""

import re
from pathlib import Path

from exporter.metrics import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def readme_metric_rows() -> dict[str, tuple[str, tuple[str, ...]]]:
    rows = {}
    for line in README.splitlines():
        match = re.match(r"^\| `(swr_[a-z_]+)` \| (\w+) \|([^|]*)\|", line)
        if match:
            labels = tuple(label.strip() for label in match.group(3).split(",") if label.strip())
            rows[match.group(1)] = (match.group(2), labels)
    return rows


def test_readme_metric_table_matches_the_catalogue():
    expected = {spec.name: (spec.type, spec.labels) for spec in CATALOGUE}
    assert readme_metric_rows() == expected


def test_ci_runs_the_readme_test_command():
    command = re.search(r"Run every test.*?```sh\n(.+?)\n```", README, re.S).group(1).strip()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command in [line.strip() for line in ci]
