"""The Dockerfile: hadolint-clean, and consistent with the package, the exporter's flags and the manifests.

Building and running the image is tests/e2e/test_image.py; these checks read the files only.
``instructions`` and ``final_stage`` are used by tests/artifacts/test_kubernetes_pods.py too.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

from exporter.cli import build_parser
from tests.artifacts.test_kubernetes import ROOT, tool

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments left out."""
    logical: list[str] = []
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        logical.append(pending.strip())
        pending = ""
    return [(word.upper(), rest.strip()) for word, _, rest in (item.partition(" ") for item in logical)]


def final_stage(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    parsed = instructions(path.read_text())
    last_from = max(i for i, (word, _) in enumerate(parsed) if word == "FROM")
    return parsed[last_from:]


def argument(stage: list[tuple[str, str]], word: str) -> str:
    values = [rest for name, rest in stage if name == word]
    assert len(values) == 1, f"expected one {word}, found {values}"
    return values[0]


def test_hadolint_finds_nothing_at_warning_level():
    result = subprocess.run(
        [tool("hadolint"), "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_a_dockerfile_with_a_warning(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:bookworm\nRUN apt-get install -y curl\n")
    result = subprocess.run(
        [tool("hadolint"), "--failure-threshold", "warning", str(bad)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0 and "DL3008" in result.stdout


def test_build_has_two_stages_and_the_runtime_takes_only_the_venv():
    parsed = instructions(DOCKERFILE.read_text())
    assert [word for word, _ in parsed].count("FROM") == 2
    copies = [rest for word, rest in final_stage() if word == "COPY"]
    assert copies == ["--from=build /opt/swr-exporter /opt/swr-exporter"]


def test_image_runs_as_a_numeric_non_root_user_and_group():
    user, _, group = argument(final_stage(), "USER").partition(":")
    assert user.isdigit() and int(user) != 0
    assert group.isdigit() and int(group) != 0


def test_image_exposes_the_exporters_default_port():
    default_port = build_parser().get_default("listen_address").rpartition(":")[2]
    assert argument(final_stage(), "EXPOSE") == default_port


def test_entrypoint_is_the_packages_console_script():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    entrypoint = json.loads(argument(final_stage(), "ENTRYPOINT"))
    assert entrypoint == ["swr-exporter"] and scripts["swr-exporter"] == "exporter.cli:main"


def test_default_command_reads_the_documented_config_path():
    assert json.loads(argument(final_stage(), "CMD")) == ["--config.file=/etc/swr-exporter/config.yml"]


def test_dockerignore_sends_the_build_exactly_what_it_copies():
    lines = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "*", "everything is excluded first, then the build's inputs allowed back"
    allowed = {pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")}
    copied = {
        source.rstrip("/").removeprefix("./")
        for word, rest in instructions(DOCKERFILE.read_text())
        if word == "COPY" and not rest.startswith("--from")
        for source in rest.split()[:-1]
    }
    assert allowed == copied
