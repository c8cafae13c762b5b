"""The README's promises: its metric table is the catalogue, its flags are the exporter's, its demo
command runs the installed console script, and .ci/run runs its test command."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from exporter.metrics import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DEMO_COMMAND = "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/swr-exporter --demo"


def readme_metric_rows() -> dict[str, tuple[str, tuple[str, ...]]]:
    rows = {}
    for line in README.splitlines():
        match = re.match(r"^\| `(swr_[a-z_]+)` \| (\w+) \|([^|]*)\|", line)
        if match:
            labels = tuple(label.strip() for label in match.group(3).split(",") if label.strip())
            rows[match.group(1)] = (match.group(2), labels)
    return rows


def readme_section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_readme_metric_table_matches_the_catalogue():
    expected = {spec.name: (spec.type, spec.labels) for spec in CATALOGUE}
    assert readme_metric_rows() == expected


def test_ci_runs_the_readme_test_command():
    command = re.search(r"Run every test.*?```sh\n(.+?)\n```", README, re.S).group(1).strip()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command in [line.strip() for line in ci]


def test_the_demo_command_runs_the_console_script_that_pyproject_installs():
    command = re.search(r"## Try it: two commands\n.*?```sh\n(.+?)\n```", README, re.S).group(1).strip()
    assert command == DEMO_COMMAND
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["swr-exporter"] == "exporter.cli:main"


def test_the_flags_table_lists_exactly_the_flags_the_exporter_accepts():
    documented = set(re.findall(r"^\| `(--[a-z.-]+)` \|", readme_section("Flags and endpoints"), re.M))
    help_text = subprocess.run([sys.executable, "-m", "exporter", "--help"], capture_output=True, text=True,
                               timeout=60, check=True).stdout
    accepted = set(re.findall(r"(?<![\w-])(--[a-z][a-z.-]+)", help_text)) - {"--help"}
    assert documented == accepted
