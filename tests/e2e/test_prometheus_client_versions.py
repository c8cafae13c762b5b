"""The exposition against both ends of the prometheus_client range pyproject.toml claims.

The renderer matches prometheus_client's own output byte for byte and reads its ``Sample`` layout, so it
depends on the client's internals: the newest release allowed is the one this venv installs (a fresh
install resolves to it), and the oldest is installed here beside the venv, shadowing the venv's copy,
to run the exposition tests and the golden test against it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# What depends on prometheus_client's output and internals, and runs in seconds.
TESTS = (
    "tests/exposition",
    "tests/collectors/test_hostile_values.py",
    "tests/e2e/test_exporter_against_simulator.py::test_golden_metrics_for_a_small_seeded_dataset",
)


def requirement() -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return next(Requirement(r) for r in project["dependencies"] if r.startswith("prometheus-client"))


def bounds() -> tuple[Version, Version]:
    specifiers = {spec.operator: Version(spec.version) for spec in requirement().specifier}
    assert set(specifiers) == {">=", "<"}, "prometheus-client needs a lower and an upper bound"
    return specifiers[">="], specifiers["<"]


def test_this_venv_runs_the_newest_prometheus_client_the_bounds_allow():
    _, upper = bounds()
    installed = Version(version("prometheus_client"))
    assert installed in requirement().specifier
    # The newest allowed is the last minor release below the bound: raise the bound after testing one.
    assert (installed.major, installed.minor + 1) == (upper.major, upper.minor)


def test_the_exposition_tests_pass_with_the_oldest_prometheus_client_allowed(tmp_path):
    lower, _ = bounds()
    oldest = tmp_path / "oldest"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-deps", "--target", str(oldest), f"prometheus-client=={lower}"],
                   check=True, capture_output=True, text=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(oldest), str(ROOT)])}
    used = subprocess.run(
        [sys.executable, "-c", "import importlib.metadata as m, prometheus_client as p; "
         "print(m.version('prometheus_client'), p.__file__)"],
        env=env, capture_output=True, text=True, check=True, timeout=60, cwd=ROOT).stdout.split()
    assert Version(used[0]) == lower and used[1].startswith(str(oldest))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
                            env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert re.search(r"\b\d{2,} passed\b", result.stdout) and " failed" not in result.stdout
