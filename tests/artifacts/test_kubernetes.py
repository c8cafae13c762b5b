"""deploy/kubernetes renders with the pinned kubectl, and what it renders passes the schemas.

Built-in kinds: kubernetes-validate --strict, for the newest Kubernetes it knows. ServiceMonitor,
PodMonitor and PrometheusRule: the Prometheus Operator's CRD schemas, as cloudcoil's pydantic models;
those ignore unknown fields, so a resource must also survive a round trip through its model unchanged.
The models live in a directory of their own inside the virtual environment, imported only here: the
cloudcoil package registers a pytest plugin that must not load into every test run.
The other test_kubernetes_*.py modules use ``render`` and the ``Resource`` helpers from here.
"""

from __future__ import annotations

import copy
import functools
import importlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import ValidationError

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = sorted(path.parent.name for path in (KUBERNETES / "overlays").glob("*/kustomization.yaml"))
OPERATOR_KINDS = ("ServiceMonitor", "PodMonitor", "Probe", "PrometheusRule")
# The components that bring Prometheus Operator kinds; every other part applies on a bare cluster.
MONITORING_COMPONENTS = {"servicemonitor", "podmonitor", "sidecar-podmonitor", "multi-target", "monitoring"}
KUBERNETES_VERSION = kubernetes_validate.latest_version()
OPERATOR_MODELS = Path(sys.prefix) / "prometheus-operator-models"

Resource = dict[str, Any]


def tool(name: str) -> str:
    """A tool from the virtual environment (scripts/setup.d/60-kubernetes.sh installs them) or PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: scripts/setup.d/60-kubernetes.sh installs it")
    return found


@functools.cache
def operator_models() -> ModuleType:
    if not OPERATOR_MODELS.is_dir():
        pytest.fail(f"{OPERATOR_MODELS} is missing: scripts/setup.d/60-kubernetes.sh installs it")
    sys.path.append(str(OPERATOR_MODELS))
    return importlib.import_module("cloudcoil.models.prometheus_operator.v1")


@functools.cache
def _rendered(directory: str) -> str:
    return _kustomize(directory)


def _kustomize(directory: str) -> str:
    result = subprocess.run(
        [tool("kubectl"), "kustomize", directory], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"kubectl kustomize {directory}:\n{result.stderr}"
    return result.stdout


def render(directory: str) -> list[Resource]:
    """The resources ``kubectl kustomize`` makes of deploy/kubernetes/<directory>; a fresh copy each call."""
    return [doc for doc in yaml.safe_load_all(_rendered(str(KUBERNETES / directory))) if doc]


def of_kind(resources: list[Resource], kind: str) -> list[Resource]:
    return [resource for resource in resources if resource["kind"] == kind]


def one(resources: list[Resource], kind: str, name: str | None = None) -> Resource:
    found = [r for r in of_kind(resources, kind) if name is None or r["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def workloads(resources: list[Resource]) -> list[Resource]:
    return [r for r in resources if r["kind"] in ("Deployment", "StatefulSet", "DaemonSet")]


def exporter_container(workload: Resource) -> Resource:
    containers = workload["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "swr-exporter")


def operator_problems(resource: Resource) -> list[str]:
    """Why the Prometheus Operator would reject ``resource``: schema errors, then unknown fields."""
    model = getattr(operator_models(), resource["kind"])
    try:
        parsed = model.model_validate(copy.deepcopy(resource))
    except ValueError as error:
        return [str(error)]
    echoed = parsed.model_dump(by_alias=True, exclude_none=True, mode="json")
    return [f"unknown field {path}" for path in _lost(resource, echoed, resource["kind"])]


def _lost(original: object, echoed: object, path: str) -> list[str]:
    if isinstance(original, dict) and isinstance(echoed, dict):
        missing = [f"{path}.{key}" for key in original if key not in echoed]
        kept = [problem for key in original if key in echoed
                for problem in _lost(original[key], echoed[key], f"{path}.{key}")]
        return missing + kept
    if isinstance(original, list) and isinstance(echoed, list) and len(original) == len(echoed):
        pairs = enumerate(zip(original, echoed, strict=True))
        return [problem for i, (a, b) in pairs for problem in _lost(a, b, f"{path}[{i}]")]
    return [] if original == echoed else [f"{path} (changed)"]


def kubernetes_problems(resource: Resource) -> list[str]:
    try:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    except ValidationError as error:
        where = ".".join(str(part) for part in error.path)
        return [f"{resource['kind']} {resource['metadata']['name']} at {where}: {error.message}"]
    return []


def test_there_are_the_three_example_overlays():
    assert set(OVERLAYS) >= {"standalone", "sidecar", "sharded"}


@pytest.mark.parametrize("directory", ["base", *(f"overlays/{name}" for name in OVERLAYS)])
def test_kustomization_renders_with_the_pinned_kubectl(directory):
    assert render(directory), f"{directory} renders nothing"


def components_of(overlay: str) -> set[str]:
    kustomization = yaml.safe_load((KUBERNETES / "overlays" / overlay / "kustomization.yaml").read_text())
    return {Path(entry).name for entry in kustomization.get("components", [])}


def test_every_component_is_used_by_an_overlay():
    components = {path.parent.name for path in (KUBERNETES / "components").glob("*/kustomization.yaml")}
    used = set().union(*(components_of(name) for name in OVERLAYS))
    assert components and components <= used
    assert components >= MONITORING_COMPONENTS


def test_the_base_holds_only_built_in_kinds():
    kinds = {resource["kind"] for resource in render("base")}
    assert {"Deployment", "Service", "ConfigMap"} <= kinds
    assert not kinds & set(OPERATOR_KINDS)
    assert [problem for resource in render("base") for problem in kubernetes_problems(resource)] == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_an_overlay_has_operator_kinds_only_through_a_monitoring_component(overlay):
    without = tuple(sorted(components_of(overlay) - MONITORING_COMPONENTS))
    assert not {r["kind"] for r in render_with(f"overlays/{overlay}", without)} & set(OPERATOR_KINDS)
    assert components_of(overlay) & MONITORING_COMPONENTS


@functools.cache
def _rendered_with(directory: str, components: tuple[str, ...]) -> str:
    """``directory`` rendered with only ``components``, from a scratch copy of deploy/kubernetes."""
    with tempfile.TemporaryDirectory() as scratch:
        copy_tree = Path(scratch) / "kubernetes"
        shutil.copytree(KUBERNETES, copy_tree)
        path = copy_tree / directory / "kustomization.yaml"
        kustomization = yaml.safe_load(path.read_text())
        kustomization["components"] = [f"../../components/{name}" for name in components]
        if not set(components) & MONITORING_COMPONENTS:
            # The Probe's namespace and target list: patches of an object that is no longer there.
            kustomization.pop("replacements", None)
            patches = kustomization.get("patches", [])
            kustomization["patches"] = [p for p in patches if p.get("path") != "probe-targets.yaml"]
        path.write_text(yaml.safe_dump(kustomization))
        return _kustomize(str(copy_tree / directory))


def render_with(directory: str, components: tuple[str, ...]) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(_rendered_with(directory, components)) if doc]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_built_in_kinds_pass_strict_kubernetes_validation(overlay):
    resources = [r for r in render(f"overlays/{overlay}") if r["kind"] not in OPERATOR_KINDS]
    assert resources
    assert [problem for resource in resources for problem in kubernetes_problems(resource)] == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_operator_resources_pass_the_operator_schemas(overlay):
    resources = [r for r in render(f"overlays/{overlay}") if r["kind"] in OPERATOR_KINDS]
    assert {r["kind"] for r in resources} & {"ServiceMonitor", "PodMonitor", "Probe"}, "nothing scrapes it"
    assert of_kind(resources, "PrometheusRule"), "no rules"
    assert [problem for resource in resources for problem in operator_problems(resource)] == []


def test_strict_kubernetes_validation_rejects_an_unknown_container_field():
    deployment = one(render("base"), "Deployment")
    exporter_container(deployment)["imagePullPolcy"] = "Always"
    assert kubernetes_problems(deployment)


def test_operator_check_rejects_an_unknown_field_and_a_bad_duration():
    monitor = one(render("overlays/standalone"), "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    assert operator_problems(monitor) == ["unknown field ServiceMonitor.spec.endpoints[0].intervall"]
    monitor = one(render("overlays/standalone"), "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["interval"] = "half a minute"
    assert operator_problems(monitor)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_monitors_and_rules_carry_the_kube_prometheus_stack_release_label(overlay):
    resources = [r for r in render(f"overlays/{overlay}") if r["kind"] in OPERATOR_KINDS]
    assert {r["metadata"]["labels"].get("release") for r in resources} == {"kube-prometheus-stack"}
