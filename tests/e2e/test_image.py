"""The container image builds with podman (no Docker engine), runs --demo locked down, serves metrics and
stops on SIGTERM. scripts/build-image does the work; this test runs it as CI would and checks the result.

With no registry reachable, --stand-in-base makes the Python base image offline with debootstrap
(about a minute, once per machine), under a local name of its own; the build then takes under a minute,
about 20 s from its cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.artifacts.test_kubernetes import ROOT

pytestmark = pytest.mark.e2e

# Per run: several test runs may share one machine's image store.
TAG = f"localhost/swr-exporter:e2e-{os.getpid()}"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    metrics = tmp_path_factory.mktemp("image") / "metrics.prom"
    script = ROOT / "scripts" / "build-image"
    command = [str(script), "--stand-in-base", "--tag", TAG, "--metrics-out", str(metrics)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    yield result.stdout, metrics.read_text()
    subprocess.run(["podman", "rmi", "--force", TAG], capture_output=True, timeout=120)


def inspect(image: str) -> dict:
    result = subprocess.run(
        ["podman", "image", "inspect", image], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(result.stdout)[0]


def image_config() -> dict:
    return inspect(TAG)["Config"]


def official_base() -> str:
    return next(line.split("=", 1)[1] for line in (ROOT / "Dockerfile").read_text().splitlines()
                if line.startswith("ARG PYTHON_IMAGE="))


def test_the_stand_in_base_has_a_local_name_of_its_own_and_the_image_is_built_on_it(built):
    log, _ = built
    base = official_base()
    stand_in = "localhost/swr-exporter-stand-in-base:" + base.rsplit(":", 1)[1]
    assert base.startswith("docker.io/library/python:")
    assert f"on {stand_in}" in log
    # The stand-in's layers are the bottom of the image's: the build used it, by its own name.
    base_layers = inspect(stand_in)["RootFS"]["Layers"]
    assert inspect(TAG)["RootFS"]["Layers"][: len(base_layers)] == base_layers
    labels = inspect(stand_in)["Config"].get("Labels") or {}
    assert "stand-in" in labels.get("org.opencontainers.image.description", "")


def test_image_serves_demo_metrics_under_kubernetes_restrictions(built):
    log, metrics = built
    assert "read-only root, no capabilities" in log
    assert "swr_up 1" in metrics
    assert "swr_repository_size_bytes{" in metrics
    promtool = subprocess.run(
        [shutil.which("promtool") or "promtool", "check", "metrics"],
        input=metrics, capture_output=True, text=True, timeout=60,
    )
    assert promtool.returncode == 0, promtool.stdout + promtool.stderr


def test_image_stops_with_status_0_on_sigterm(built):
    log, _ = built
    assert "stopped by SIGTERM" in log and "exit status 0" in log


def test_image_runs_the_console_script_as_a_numeric_non_root_user(built):
    config = image_config()
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["swr-exporter"]
    assert config["Cmd"] == ["--config.file=/etc/swr-exporter/config.yml"]
    assert "9878/tcp" in config["ExposedPorts"]
