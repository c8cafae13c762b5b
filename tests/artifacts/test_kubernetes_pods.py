"""The exporter's pods in every overlay: restricted, probed, configured and scraped the way the image and
the exporter expect, and the three deploy modes consistent with one another."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from exporter import __version__
from exporter.config.loader import parse_config
from tests.artifacts.test_dockerfile import argument, final_stage
from tests.artifacts.test_kubernetes import (
    KUBERNETES,
    OVERLAYS,
    Resource,
    exporter_container,
    of_kind,
    one,
    render,
    workloads,
)
from tests.artifacts.test_rules import alerts

CONFIG_PATH = "/etc/swr-exporter/config.yml"
SECRET_DIR = "/etc/swr-exporter/secret"
SECRET_NAME = "swr-exporter-credentials"
TOKEN_DIR = "/var/run/secrets/swr-exporter"


def exporter_workloads(resources: list[Resource]) -> list[Resource]:
    found = [w for w in workloads(resources) if any(
        c["name"] == "swr-exporter" for c in w["spec"]["template"]["spec"]["containers"])]
    assert found, "no workload runs the exporter"
    return found


def every_exporter() -> list:
    return [
        pytest.param(name, workload, id=f"{name}-{workload['metadata']['name']}")
        for name in OVERLAYS
        for workload in exporter_workloads(render(f"overlays/{name}"))
    ]


def selects(monitor: Resource, labels: dict[str, str]) -> bool:
    return monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()


def volume_of(workload: Resource, mount_path: str) -> Resource:
    mount = next(m for m in exporter_container(workload)["volumeMounts"] if m["mountPath"] == mount_path)
    volumes = workload["spec"]["template"]["spec"]["volumes"]
    return {"mount": mount, **next(v for v in volumes if v["name"] == mount["name"])}


def config_of(resources: list[Resource], workload: Resource) -> dict:
    config_map = one(resources, "ConfigMap", volume_of(workload, CONFIG_PATH)["configMap"]["name"])
    return yaml.safe_load(config_map["data"]["config.yml"])


def image_user() -> int:
    return int(argument(final_stage(), "USER").partition(":")[0])


@pytest.mark.parametrize(("overlay", "workload"), every_exporter())
def test_exporter_container_runs_restricted(overlay, workload):
    pod = workload["spec"]["template"]["spec"]
    context = {**pod.get("securityContext", {}), **exporter_container(workload)["securityContext"]}
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == image_user()
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert exporter_container(workload)["resources"]["limits"]["memory"]


@pytest.mark.parametrize(("overlay", "workload"), every_exporter())
def test_probes_ask_healthy_and_ready_on_the_metrics_port(overlay, workload):
    container = exporter_container(workload)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert container["livenessProbe"]["httpGet"]["path"] == "/-/healthy"
    assert container["readinessProbe"]["httpGet"]["path"] == "/-/ready"
    assert {container[p]["httpGet"]["port"] for p in ("livenessProbe", "readinessProbe")} == set(ports)
    listen = next(arg for arg in container["args"] if arg.startswith("--web.listen-address="))
    assert listen.rpartition(":")[2] == str(*ports.values())


@pytest.mark.parametrize(("overlay", "workload"), every_exporter())
def test_config_comes_from_a_config_map_where_the_image_reads_it(overlay, workload):
    container = exporter_container(workload)
    assert f"--config.file={CONFIG_PATH}" in container["args"]
    assert argument(final_stage(), "CMD") == f'["--config.file={CONFIG_PATH}"]'
    assert volume_of(workload, CONFIG_PATH)["configMap"]["name"].startswith("swr-exporter-config")


def auths(config: dict) -> list[dict]:
    """The auth section of each target: the top-level one, or one per entry of ``targets:``."""
    return [target["auth"] for target in config.get("targets", [config])]


# Credentials that come from no file of a Secret: issue 12's auth types. Their rendered config is
# checked against DESIGN.md section 2 here; the exporter's own parser learns them on the branch that
# implements them, and the strict xfail below turns into a failure the day it does, so the marker goes.
SECRETLESS = {"workload_identity": {"idp_id", "id_token_file"}, "metadata": set()}


@pytest.mark.parametrize(("overlay", "workload"), every_exporter())
def test_credentials_come_from_a_secret_mounted_as_files_the_config_names(overlay, workload):
    targets = auths(config_of(render(f"overlays/{overlay}"), workload))
    if all(auth["type"] in SECRETLESS for auth in targets):
        return  # test_secretless_overlays_mount_no_secret covers these
    credentials = volume_of(workload, SECRET_DIR)
    assert credentials["secret"]["secretName"] == SECRET_NAME
    assert credentials["mount"]["readOnly"] is True
    assert "env" not in exporter_container(workload) and "envFrom" not in exporter_container(workload)
    for auth in targets:
        files = [value for key, value in auth.items() if key.endswith("_file")]
        assert files and all(Path(value).parent == Path(SECRET_DIR) for value in files)
        assert not {"access_key", "secret_key", "password"} & set(auth), "a credential in the config"


def secretless_exporters() -> list:
    return [case for case in every_exporter() if any(
        auth["type"] in SECRETLESS for auth in auths(config_of(render(f"overlays/{case.values[0]}"),
                                                               case.values[1])))]


@pytest.mark.parametrize(("overlay", "workload"), secretless_exporters())
def test_secretless_overlays_mount_no_secret_and_name_what_design_asks(overlay, workload):
    resources = render(f"overlays/{overlay}")
    pod = workload["spec"]["template"]["spec"]
    assert not [volume for volume in pod["volumes"] if "secret" in volume], "a Secret in a secretless pod"
    assert not of_kind(resources, "Secret")
    assert "env" not in exporter_container(workload) and "envFrom" not in exporter_container(workload)
    for auth in auths(config_of(resources, workload)):
        assert set(auth) == {"type"} | SECRETLESS[auth["type"]], auth
        if auth["type"] == "workload_identity":
            token = volume_of(workload, str(Path(auth["id_token_file"]).parent))
            [source] = token["projected"]["sources"]
            assert source["serviceAccountToken"]["path"] == Path(auth["id_token_file"]).name
            assert source["serviceAccountToken"]["audience"]
            assert token["mount"]["readOnly"] is True and "subPath" not in token["mount"]
            assert pod["serviceAccountName"] == one(resources, "ServiceAccount")["metadata"]["name"]


def credential_files(config: dict, directory: Path) -> dict:
    """``config`` with its credential files (Secret, projected token) moved into ``directory``, written."""
    text = yaml.safe_dump(config).replace(SECRET_DIR, str(directory)).replace(TOKEN_DIR, str(directory))
    for auth in auths(yaml.safe_load(text)):
        for key, value in auth.items():
            if key.endswith("_file"):
                Path(value).write_text("x" * 20)
    return yaml.safe_load(text)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_config_is_valid_for_the_exporter(overlay, tmp_path):
    resources = render(f"overlays/{overlay}")
    workloads = exporter_workloads(resources)
    assert workloads, f"overlay {overlay} renders no exporter workload"
    for workload in workloads:
        data = credential_files(config_of(resources, workload), tmp_path)
        config = parse_config(data, base_dir=tmp_path, environ={}, hostname=lambda: "swr-exporter-2")
        assert config.targets


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_example_overlays_deploy_the_current_version(overlay):
    for workload in exporter_workloads(render(f"overlays/{overlay}")):
        assert exporter_container(workload)["image"].endswith(f"/swr-exporter:{__version__}")


def test_standalone_is_one_deployment_replaced_by_recreate():
    deployment = one(render("overlays/standalone"), "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_monitors_scrape_a_named_port_the_pods_expose_as_job_swr_exporter(overlay):
    resources = render(f"overlays/{overlay}")
    pods = {w["metadata"]["name"]: w["spec"]["template"] for w in exporter_workloads(resources)}
    for monitor in of_kind(resources, "ServiceMonitor"):
        service = next(s for s in of_kind(resources, "Service") if selects(monitor, s["metadata"]["labels"]))
        for endpoint in monitor["spec"]["endpoints"]:
            port = next(p for p in service["spec"]["ports"] if p["name"] == endpoint["port"])
            assert any(_exposes(pod, port["targetPort"]) for pod in pods.values())
            assert _job(endpoint) == "swr-exporter"
    for monitor in of_kind(resources, "PodMonitor"):
        selected = [pod for pod in pods.values() if selects(monitor, pod["metadata"]["labels"])]
        assert selected, f"PodMonitor {monitor['metadata']['name']} selects no exporter pod"
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            assert all(_exposes(pod, endpoint["port"]) for pod in selected)
            assert _job(endpoint) == "swr-exporter"
    assert of_kind(resources, "ServiceMonitor") or of_kind(resources, "PodMonitor")


def _exposes(pod: Resource, port_name: str) -> bool:
    ports = [port for container in pod["spec"]["containers"] for port in container.get("ports", [])]
    return any(port.get("name") == port_name for port in ports)


def _job(endpoint: Resource) -> str | None:
    # The alert rules look for job=~"swr-exporter.*"; a PodMonitor's default job is "<namespace>/<name>".
    jobs = [rule["replacement"] for rule in endpoint.get("relabelings", []) if rule["targetLabel"] == "job"]
    return jobs[-1] if jobs else None


def test_sharded_overlay_runs_one_pod_per_shard_with_its_index_from_the_ordinal():
    resources = render("overlays/sharded")
    statefulset = one(resources, "StatefulSet")
    shard = config_of(resources, statefulset)["shard"]
    assert shard == {"index": "auto", "total": statefulset["spec"]["replicas"]}
    assert statefulset["spec"]["replicas"] > 1
    assert not of_kind(resources, "Deployment") and not of_kind(resources, "ServiceMonitor")
    assert len(of_kind(resources, "PodMonitor")) == 1
    service = one(resources, "Service", statefulset["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None"


def test_sharded_pods_are_the_standalone_pods():
    standalone, sharded = render("overlays/standalone"), render("overlays/sharded")
    expected = one(standalone, "Deployment")["spec"]["template"]
    actual = one(sharded, "StatefulSet")["spec"]["template"]
    for template in (expected, actual):  # the configurations differ by design (shard:)
        template["spec"]["volumes"] = [v for v in template["spec"]["volumes"] if "configMap" not in v]
    spread = actual["spec"].pop("topologySpreadConstraints")
    assert {constraint["topologyKey"] for constraint in spread} == {
        "kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    assert all(constraint["labelSelector"]["matchLabels"] == statefulset_selector(sharded)
               for constraint in spread)
    assert actual == expected


def statefulset_selector(resources: list[Resource]) -> dict[str, str]:
    return one(resources, "StatefulSet")["spec"]["selector"]["matchLabels"]


def test_sharded_pods_leave_one_at_a_time():
    resources = render("overlays/sharded")
    budget = one(resources, "PodDisruptionBudget")
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"] == statefulset_selector(resources)


def test_sidecar_joins_the_workloads_pod_after_its_own_containers_and_keeps_its_settings():
    sidecar = one(render("overlays/sidecar"), "Deployment")
    original = yaml.safe_load((KUBERNETES / "overlays" / "sidecar" / "workload.yaml").read_text())
    pod, original_pod = sidecar["spec"]["template"]["spec"], original["spec"]["template"]["spec"]
    names = [container["name"] for container in original_pod["containers"]]
    assert [container["name"] for container in pod["containers"]] == [*names, "swr-exporter"]
    assert pod["securityContext"] == original_pod["securityContext"]
    assert pod["containers"][0] == original_pod["containers"][0]


def test_sidecar_exporter_is_the_standalone_exporter_under_other_names():
    standalone = exporter_container(one(render("overlays/standalone"), "Deployment"))
    sidecar = exporter_container(one(render("overlays/sidecar"), "Deployment"))
    for key in ("image", "args", "resources", "securityContext"):
        assert sidecar[key] == standalone[key], key
    assert [m["mountPath"] for m in sidecar["volumeMounts"]] == [
        m["mountPath"] for m in standalone["volumeMounts"]
    ]


@pytest.mark.parametrize(("overlay", "workload"), every_exporter())
def test_memory_alert_assumes_the_memory_limit_the_manifests_set(overlay, workload):
    [alert] = [alert for alert in alerts() if alert["alert"] == "SWRExporterMemoryNearLimit"]
    mebibytes = re.search(r"\((\d+) \* 1024 \* 1024\)", alert["expr"]).group(1)
    assert exporter_container(workload)["resources"]["limits"]["memory"] == f"{mebibytes}Mi"
