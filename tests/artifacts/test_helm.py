"""deploy/helm/swr-exporter, rendered and linted by Helm itself (Helm v4's Go SDK, through helm-python-sdk).

The chart's metadata, its values contract and schema, `helm lint --strict`, the default render and its
parity with the kustomize standalone overlay. Each feature's render is checked in test_helm_features.py,
the rules and dashboards it carries in test_helm_copies.py; both use ``render`` from here.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml

from exporter import __version__
from tests.artifacts.test_dockerfile import argument, final_stage
from tests.artifacts.test_kubernetes import (
    OPERATOR_KINDS,
    ROOT,
    Resource,
    exporter_container,
    kubernetes_problems,
    one,
    operator_problems,
    workloads,
)
from tests.artifacts.test_kubernetes import render as kustomize

CHART = ROOT / "deploy" / "helm" / "swr-exporter"
RELEASE = "swr-exporter"
NAMESPACE = "monitoring"
CONFIG_PATH = "/etc/swr-exporter/config.yml"
SECRET_DIR = "/etc/swr-exporter/secret"
# DESIGN.md section 9: the chart's top-level values, a contract.
CONTRACT = {
    "config", "existingConfigMap", "existingSecret", "workloadIdentity", "image", "imagePullSecrets",
    "replicaCount", "resources", "extraArgs", "nodeSelector", "tolerations", "affinity",
    "topologySpreadConstraints", "serviceMonitor", "podMonitor", "prometheusRule", "dashboards",
    "networkPolicy", "podDisruptionBudget", "sharding", "webConfig",
}
RECOMMENDED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
                      "app.kubernetes.io/managed-by", "helm.sh/chart")
INFO, WARNING = 1, 2  # helm lint severities


@functools.cache
def chart() -> helm_python.Chart:
    return helm_python.Chart.load(CHART)


def manifests(values: dict[str, Any] | None = None, name: str = RELEASE) -> dict[str, str]:
    return chart().render(values or {}, name=name, namespace=NAMESPACE)


def render(values: dict[str, Any] | None = None, name: str = RELEASE) -> list[Resource]:
    """The resources Helm renders of the chart with ``values`` over its defaults."""
    return [
        doc
        for path, text in sorted(manifests(values, name).items())
        if not path.endswith("NOTES.txt")
        for doc in yaml.safe_load_all(text)
        if doc
    ]


def notes(values: dict[str, Any] | None = None) -> str:
    return next(text for path, text in manifests(values).items() if path.endswith("NOTES.txt"))


def exporter_workload(resources: list[Resource]) -> Resource:
    (workload,) = workloads(resources)
    return workload


def rendered_config(resources: list[Resource]) -> dict[str, Any]:
    workload = exporter_workload(resources)
    mount = next(m for m in exporter_container(workload)["volumeMounts"] if m["mountPath"] == CONFIG_PATH)
    volume = next(v for v in workload["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"])
    config_map = one(resources, "ConfigMap", volume["configMap"]["name"])
    return yaml.safe_load(config_map["data"][mount["subPath"]])


def schema_problem(values: dict[str, Any]) -> str:
    """Helm's own schema validation of ``values`` over the defaults: its message, or "" when they pass."""
    try:
        chart().validate_schema(chart().merge_values(values))
    except helm_python.HelmValuesError as error:
        return str(error)
    return ""


def assert_valid(resources: list[Resource]) -> None:
    """Built-in kinds pass kubernetes-validate --strict, the operator's kinds its schemas."""
    problems = [
        problem
        for resource in resources
        for problem in (operator_problems(resource) if resource["kind"] in OPERATOR_KINDS
                        else kubernetes_problems(resource))
    ]
    assert problems == []


def assert_restricted_and_probed(workload: Resource) -> None:
    pod = workload["spec"]["template"]["spec"]
    container = exporter_container(workload)
    context = {**pod["securityContext"], **container["securityContext"]}
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == int(argument(final_stage(), "USER").partition(":")[0])
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert container["resources"]["limits"]["memory"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert container["livenessProbe"]["httpGet"]["path"] == "/-/healthy"
    assert container["readinessProbe"]["httpGet"]["path"] == "/-/ready"
    assert {container[p]["httpGet"]["port"] for p in ("livenessProbe", "readinessProbe")} == set(ports)
    listen = next(arg for arg in container["args"] if arg.startswith("--web.listen-address="))
    assert listen.rpartition(":")[2] == str(*ports.values())


def config_check(config: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``swr-exporter --config.check`` of ``config``, its credential files made up in ``tmp_path``."""
    text = yaml.safe_dump(config).replace(SECRET_DIR, str(tmp_path))
    for name in ("ak", "sk", "token"):
        (tmp_path / name).write_text("x" * 20)
    path = tmp_path / "config.yml"
    path.write_text(text)
    return subprocess.run([sys.executable, "-m", "exporter", "--config.file", str(path), "--config.check"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


# The chart itself.

def test_chart_version_and_app_version_are_the_exporters():
    metadata = chart().metadata
    assert metadata["apiVersion"] == "v2"
    assert metadata["version"] == metadata["appVersion"] == __version__, (
        "set version and appVersion in deploy/helm/swr-exporter/Chart.yaml to exporter.__version__")


def lint_remarks(values: dict[str, Any] | None = None) -> list[str]:
    """``helm lint --strict`` of the chart: its remarks, after checking that none is a warning or error."""
    report = helm_python.lint(CHART, values, strict=True, namespace=NAMESPACE)
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= WARNING] == []
    return [m["error"] for m in report["messages"]]


def test_lint_strict_is_clean():
    # The one remark left, at INFO: the project has no icon to point to.
    assert lint_remarks() == ["icon is recommended"]


def test_lint_strict_reports_a_template_that_fails(tmp_path):
    broken = tmp_path / "swr-exporter"
    shutil.copytree(CHART, broken)
    (broken / "templates" / "service.yaml").write_text("kind: Service\nspec: {{ .Values.nope.deeper }}\n")
    report = helm_python.lint(broken, strict=True)
    assert report["errors"]


# The values: a contract, documented, and guarded by the schema.

def test_top_level_values_are_the_contract_of_design_section_9():
    schema = chart().schema
    assert schema is not None
    assert set(chart().values) == set(schema["properties"]) == CONTRACT
    assert schema["additionalProperties"] is False


def documented_keys(text: str) -> dict[str, bool]:
    """Each key of a values.yaml (dotted path) and whether a comment line stands right above it."""
    found: dict[str, bool] = {}
    parents: list[tuple[int, str]] = []
    block_indent: int | None = None
    previous = ""
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if block_indent is not None and (not line.strip() or indent > block_indent):
            continue  # inside a block scalar (the config string)
        block_indent = None
        key = re.match(r"^(\s*)([A-Za-z_]\w*):", line)
        if key:
            parents = [(i, name) for i, name in parents if i < indent]
            path = ".".join([name for _, name in parents] + [key.group(2)])
            found[path] = previous.strip().startswith("#")
            parents.append((indent, key.group(2)))
            if line.rstrip().endswith("|"):
                block_indent = indent
        previous = line
    return found


# Sub-keys whose name says it all under their documented parent.
SELF_EXPLANATORY = {"enabled", "labels", "requests", "limits", "cpu", "memory", "release", "pullPolicy",
                    "existingSecret", "shards", "grafana_dashboard", "interval", "scrapeTimeout"}


def test_every_value_in_values_yaml_is_documented():
    keys = documented_keys((CHART / "values.yaml").read_text())
    assert set(key for key in keys if "." not in key) == CONTRACT
    undocumented = [key for key, commented in keys.items()
                    if not commented and key.rpartition(".")[2] not in SELF_EXPLANATORY]
    assert undocumented == []


def test_default_values_pass_the_schema():
    assert schema_problem({}) == ""


# One value per kind of mistake, and what Helm's message must name.
MISTAKES = {
    "unknown top-level key": ({"replicas": 2}, "replicas"),
    "unknown nested key": ({"serviceMonitor": {"enable": True}}, "enable"),
    "string for an integer": ({"replicaCount": "2"}, "/replicaCount"),
    "string for a boolean": ({"prometheusRule": {"enabled": "yes"}}, "/prometheusRule/enabled"),
    "list for the config": ({"config": ["region: cn-north-4"]}, "/config"),
    "empty config string": ({"config": ""}, "/config"),
    "mapping for a list": ({"extraArgs": {"log.level": "debug"}}, "/extraArgs"),
    "value below its minimum": ({"sharding": {"enabled": True, "shards": 0}}, "/sharding/shards"),
    "value outside its choices": ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    "malformed duration": ({"serviceMonitor": {"interval": "a minute"}}, "/serviceMonitor/interval"),
    "argument that is no flag": ({"extraArgs": ["debug"]}, "/extraArgs/0"),
    "percentage that is none": ({"podDisruptionBudget": {"maxUnavailable": "half"}},
                                "/podDisruptionBudget/maxUnavailable"),
    "workload identity without its provider": ({"workloadIdentity": {"enabled": True}}, "/workloadIdentity"),
    "web config without its Secret": ({"webConfig": {"enabled": True}}, "/webConfig/existingSecret"),
    "pull secret without a name": ({"imagePullSecrets": [{}]}, "/imagePullSecrets/0"),
}


@pytest.mark.parametrize(("values", "named"), MISTAKES.values(), ids=MISTAKES.keys())
def test_schema_refuses(values, named):
    problem = schema_problem(values)
    assert problem, "accepted"
    assert named in problem


def test_render_refuses_values_the_schema_refuses():
    with pytest.raises(helm_python.HelmValuesError, match="replicaCount"):
        render({"replicaCount": "one"})


def test_render_refuses_a_config_string_that_is_no_yaml_mapping():
    with pytest.raises(helm_python.HelmRenderError, match="config: not valid YAML"):
        render({"config": "region: [cn-north-4"})


# The default render.

def test_default_render_is_valid_and_its_exporter_restricted_and_probed():
    resources = render()
    assert {r["kind"] for r in resources} == {"ConfigMap", "Deployment", "Service", "ServiceAccount"}
    assert_valid(resources)
    assert_restricted_and_probed(exporter_workload(resources))


def test_names_follow_the_release():
    assert {r["metadata"]["name"] for r in render() if r["kind"] != "ConfigMap"} == {"swr-exporter"}
    assert {r["metadata"]["name"] for r in render(name="registry") if r["kind"] != "ConfigMap"} == {
        "registry-swr-exporter"}


def test_default_config_is_accepted_by_config_check(tmp_path):
    result = config_check(rendered_config(render()), tmp_path)
    assert result.returncode == 0, result.stderr


def test_config_check_refuses_a_broken_render(tmp_path):
    config = rendered_config(render())
    config["poll_interval"] = "often"
    assert config_check(config, tmp_path).returncode == 1


def test_default_config_string_reaches_the_config_map_verbatim():
    config_map = one(render(), "ConfigMap")
    assert config_map["data"]["config.yml"] == chart().values["config"].strip() + "\n"


def test_default_render_and_kustomize_standalone_run_the_same_exporter():
    """The two install paths give the exporter the same ports, probes, security and arguments."""
    helm = exporter_workload(render())
    (standalone,) = [w for w in workloads(kustomize("overlays/standalone"))
                     if any(c["name"] == "swr-exporter" for c in w["spec"]["template"]["spec"]["containers"])]
    for key in ("ports", "livenessProbe", "readinessProbe", "securityContext", "args", "resources"):
        assert exporter_container(helm)[key] == exporter_container(standalone)[key], key
    pod, standalone_pod = helm["spec"]["template"]["spec"], standalone["spec"]["template"]["spec"]
    for key in ("securityContext", "automountServiceAccountToken", "enableServiceLinks"):
        assert pod[key] == standalone_pod[key], key
    assert [m["mountPath"] for m in exporter_container(helm)["volumeMounts"]] == [
        m["mountPath"] for m in exporter_container(standalone)["volumeMounts"]]
    assert helm["spec"]["strategy"] == standalone["spec"]["strategy"]


def test_kustomize_parity_check_notices_a_difference():
    helm = exporter_container(exporter_workload(render({"extraArgs": ["--log.level=debug"]})))
    standalone = exporter_container(one(kustomize("overlays/standalone"), "Deployment"))
    assert helm["args"] != standalone["args"]


def test_notes_say_how_to_reach_the_landing_page_and_metrics():
    text = notes()
    assert "port-forward svc/swr-exporter 9878:9878" in text
    assert "http://localhost:9878/ " in text and "http://localhost:9878/metrics" in text
    assert "kubectl -n monitoring create secret generic swr-exporter-credentials" in text
