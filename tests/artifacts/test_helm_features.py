"""Each feature of the Helm chart, rendered by Helm: valid, restricted, probed, doing what its values say."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter import __version__
from exporter.config.loader import parse_config
from tests.artifacts.test_helm import (
    RECOMMENDED_LABELS,
    SECRET_DIR,
    assert_restricted_and_probed,
    assert_valid,
    config_check,
    exporter_workload,
    lint_remarks,
    notes,
    render,
    rendered_config,
)
from tests.artifacts.test_kubernetes import Resource, exporter_container, of_kind, one

PROJECT = "0123456789abcdef0123456789abcdef"
AKSK = {"type": "aksk", "access_key_file": f"{SECRET_DIR}/ak", "secret_key_file": f"{SECRET_DIR}/sk"}
MAPPING = {"region": "ap-southeast-1", "project_id": PROJECT, "auth": AKSK, "poll_interval": "2m",
           "max_series": 1000000, "organizations": {"include": ["team-.*"]}}
TARGETS = {
    "poll_interval": "5m",
    "targets": [
        {"name": "prod-cn-north-4", "region": "cn-north-4", "project_id": PROJECT, "auth": AKSK},
        {"name": "prod-ap-southeast-1", "region": "ap-southeast-1", "project_id": PROJECT,
         "auth": {"type": "token", "token_file": f"{SECRET_DIR}/token"}},
    ],
}
WORKLOAD_IDENTITY = {"enabled": True, "idpId": "cce-cluster-oidc", "audience": "swr-exporter-client"}
DIGEST = "sha256:" + "0123456789abcdef" * 4
WEB_CONFIG = {"enabled": True, "existingSecret": "swr-exporter-web"}
MONITOR_TLS = {"serverName": "swr-exporter.monitoring.svc",
               "ca": {"secret": {"name": "swr-exporter-web", "key": "tls.crt"}}}
MONITOR_AUTH = {"username": {"name": "swr-exporter-scrape", "key": "username"},
                "password": {"name": "swr-exporter-scrape", "key": "password"}}
SPREAD = {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}

FEATURES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "config-mapping": {"config": MAPPING},
    "existing-config-map": {"existingConfigMap": "my-swr-exporter-config"},
    "workload-identity": {"existingSecret": "", "workloadIdentity": WORKLOAD_IDENTITY},
    "node-agency": {"existingSecret": "", "config": {"region": "cn-north-4", "auth": {"type": "metadata"}}},
    "image": {"image": {"repository": "registry.example/swr-exporter", "tag": "9.9.9",
                        "pullPolicy": "Always"}, "imagePullSecrets": [{"name": "default-secret"}]},
    "image-digest": {"image": {"digest": DIGEST}},
    "pod": {"replicaCount": 2, "extraArgs": ["--log.level=debug", "--log.format=json"],
            "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "512Mi"}},
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"key": "monitoring", "operator": "Exists", "effect": "NoSchedule"}],
            "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 1, "preference": {"matchExpressions": [
                    {"key": "node-role", "operator": "In", "values": ["monitoring"]}]}}]}},
            "topologySpreadConstraints": [SPREAD]},
    "service-monitor": {"serviceMonitor": {"enabled": True}},
    "pod-monitor": {"podMonitor": {"enabled": True}},
    "multi-target": {"config": TARGETS, "serviceMonitor": {"enabled": True}, "podMonitor": {"enabled": True}},
    "prometheus-rule": {"prometheusRule": {"enabled": True}},
    "dashboards": {"dashboards": {"enabled": True}},
    "network-policy": {"networkPolicy": {"enabled": True, "ingressFrom": [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]}},
    "pod-disruption-budget": {"podDisruptionBudget": {"enabled": True}},
    "sharding": {"sharding": {"enabled": True, "shards": 3}, "podMonitor": {"enabled": True},
                 "podDisruptionBudget": {"enabled": True}, "topologySpreadConstraints": [SPREAD]},
    "web-config": {"webConfig": WEB_CONFIG,
                   "serviceMonitor": {"enabled": True, "tlsConfig": MONITOR_TLS, "basicAuth": MONITOR_AUTH},
                   "podMonitor": {"enabled": True, "tlsConfig": MONITOR_TLS, "basicAuth": MONITOR_AUTH}},
}
EVERYTHING: dict[str, Any] = {}
for _values in FEATURES.values():
    EVERYTHING.update(copy.deepcopy(_values))
EVERYTHING.update({"config": TARGETS, "existingConfigMap": "", "existingSecret": "swr-exporter-credentials",
                   "serviceMonitor": FEATURES["web-config"]["serviceMonitor"],
                   "podMonitor": FEATURES["web-config"]["podMonitor"]})


def pod_spec(resources: list[Resource]) -> Resource:
    return exporter_workload(resources)["spec"]["template"]["spec"]


def pod_metadata(resources: list[Resource]) -> Resource:
    return exporter_workload(resources)["spec"]["template"]["metadata"]


def volume(resources: list[Resource], name: str) -> Resource:
    return next(v for v in pod_spec(resources)["volumes"] if v["name"] == name)


def mount_paths(resources: list[Resource]) -> dict[str, str]:
    mounts = exporter_container(exporter_workload(resources))["volumeMounts"]
    return {mount["name"]: mount["mountPath"] for mount in mounts}


def selects(selector: dict[str, Any], resources: list[Resource]) -> bool:
    labels = exporter_workload(resources)["spec"]["template"]["metadata"]["labels"]
    return bool(selector["matchLabels"]) and selector["matchLabels"].items() <= labels.items()


@pytest.mark.parametrize("values", [*FEATURES.values(), EVERYTHING], ids=[*FEATURES, "everything"])
def test_render_is_valid_and_runs_the_exporter_restricted_and_probed(values):
    resources = render(values)
    assert_valid(resources)
    assert_restricted_and_probed(exporter_workload(resources))


# Configuration.

def test_config_mapping_becomes_the_config_file(tmp_path):
    resources = render(FEATURES["config-mapping"])
    assert rendered_config(resources) == MAPPING
    assert "max_series: 1000000" in one(resources, "ConfigMap")["data"]["config.yml"]
    result = config_check(rendered_config(resources), tmp_path)
    assert result.returncode == 0, result.stderr


def test_a_changed_config_rolls_the_pods():
    def checksum(values: dict[str, Any]) -> str:
        return pod_metadata(render(values))["annotations"]["checksum/config"]

    assert checksum({}) == checksum({})
    assert checksum({}) != checksum(FEATURES["config-mapping"])


def test_existing_config_map_replaces_the_rendered_one():
    resources = render(FEATURES["existing-config-map"])
    assert of_kind(resources, "ConfigMap") == []
    assert volume(resources, "config")["configMap"]["name"] == "my-swr-exporter-config"


def test_existing_secret_is_mounted_as_the_credential_directory():
    resources = render()
    assert volume(resources, "credentials")["secret"]["secretName"] == "swr-exporter-credentials"
    assert mount_paths(resources)["credentials"] == SECRET_DIR
    assert "env" not in exporter_container(exporter_workload(resources))
    auth = rendered_config(resources)["auth"]
    files = [value for key, value in auth.items() if key.endswith("_file")]
    assert files and all(Path(value).parent == Path(SECRET_DIR) for value in files)
    assert not {"access_key", "secret_key", "password"} & set(auth), "a credential written into the config"


def test_workload_identity_uses_the_projected_token_and_no_secret(tmp_path):
    resources = render(FEATURES["workload-identity"])
    token = volume(resources, "workload-identity")["projected"]["sources"][0]["serviceAccountToken"]
    assert token["audience"] == WORKLOAD_IDENTITY["audience"]
    assert token["expirationSeconds"] >= 600
    token_file = Path(mount_paths(resources)["workload-identity"]) / token["path"]
    assert rendered_config(resources)["auth"] == {
        "type": "workload_identity", "idp_id": WORKLOAD_IDENTITY["idpId"], "id_token_file": str(token_file)}
    assert "credentials" not in mount_paths(resources)
    assert pod_spec(resources)["serviceAccountName"] == one(resources, "ServiceAccount")["metadata"]["name"]
    assert pod_spec(resources)["automountServiceAccountToken"] is False
    assert "system:serviceaccount:monitoring:swr-exporter" in notes(FEATURES["workload-identity"])
    # The kubelet writes the token before the container starts; here a stand-in in tmp_path.
    config = rendered_config(resources)
    config["auth"]["id_token_file"] = str(tmp_path / "id-token")
    (tmp_path / "id-token").write_text("header.payload.signature")
    result = config_check(config, tmp_path)
    assert result.returncode == 0, result.stderr


def test_workload_identity_gives_targets_without_auth_the_projected_token():
    targets = copy.deepcopy(TARGETS)
    del targets["targets"][1]["auth"]
    config = rendered_config(render({"config": targets, "workloadIdentity": WORKLOAD_IDENTITY}))
    assert config["targets"][0]["auth"] == AKSK
    assert config["targets"][1]["auth"]["type"] == "workload_identity"
    assert "auth" not in config


def test_node_agency_needs_nothing_mounted():
    resources = render(FEATURES["node-agency"])
    assert set(mount_paths(resources)) == {"config"}
    assert rendered_config(resources)["auth"] == {"type": "metadata"}


def test_image_repository_tag_pull_policy_and_pull_secrets():
    resources = render(FEATURES["image"])
    container = exporter_container(exporter_workload(resources))
    assert container["image"] == "registry.example/swr-exporter:9.9.9"
    assert container["imagePullPolicy"] == "Always"
    assert pod_spec(resources)["imagePullSecrets"] == [{"name": "default-secret"}]


def test_image_digest_wins_over_the_tag():
    container = exporter_container(exporter_workload(render(FEATURES["image-digest"])))
    assert container["image"] == f"swr.cn-north-4.myhuaweicloud.com/my-organization/swr-exporter@{DIGEST}"


def test_pod_settings_reach_the_pod():
    values = FEATURES["pod"]
    resources = render(values)
    workload, spec = exporter_workload(resources), pod_spec(resources)
    container = exporter_container(workload)
    assert workload["spec"]["replicas"] == 2
    assert container["args"][-2:] == values["extraArgs"]
    assert container["resources"] == values["resources"]
    for key in ("nodeSelector", "tolerations", "affinity"):
        assert spec[key] == values[key], key
    (spread,) = spec["topologySpreadConstraints"]
    assert spread.items() >= SPREAD.items()
    assert selects(spread["labelSelector"], resources)


# Monitoring.

@pytest.mark.parametrize("kind", ["ServiceMonitor", "PodMonitor"])
def test_monitor_scrapes_metrics_as_job_swr_exporter_with_the_region(kind):
    resources = render(FEATURES["service-monitor" if kind == "ServiceMonitor" else "pod-monitor"])
    monitor = one(resources, kind)
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    (endpoint,) = endpoints(monitor)
    assert endpoint["path"] == "/metrics" and endpoint["port"] == "http-metrics"
    assert relabelled(endpoint) == {"job": "swr-exporter", "region": "cn-north-4"}
    if kind == "ServiceMonitor":
        service = one(resources, "Service")
        assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
        assert selects({"matchLabels": service["spec"]["selector"]}, resources)
    else:
        assert selects(monitor["spec"]["selector"], resources)


def endpoints(monitor: Resource) -> list[Resource]:
    return monitor["spec"]["endpoints" if monitor["kind"] == "ServiceMonitor" else "podMetricsEndpoints"]


def relabelled(endpoint: Resource) -> dict[str, str]:
    return {rule["targetLabel"]: rule["replacement"] for rule in endpoint["relabelings"]}


def test_multi_target_config_is_scraped_through_probe_once_per_target(tmp_path):
    values = FEATURES["multi-target"]
    resources = render(values)
    for kind in ("ServiceMonitor", "PodMonitor"):
        metrics, *probes = endpoints(one(resources, kind))
        assert metrics["path"] == "/metrics" and relabelled(metrics) == {"job": "swr-exporter"}
        assert [(p["path"], p["params"], relabelled(p)) for p in probes] == [
            ("/probe", {"target": [t["name"]]}, {"job": "swr-exporter", "instance": t["name"],
                                                 "region": t["region"]})
            for t in TARGETS["targets"]
        ]
    result = config_check(rendered_config(resources), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "/probe?target=prod-ap-southeast-1" in notes(values)


def test_dashboards_are_one_config_map_each_for_the_grafana_sidecar():
    config_maps = of_kind(render(FEATURES["dashboards"]), "ConfigMap")
    dashboards = [c for c in config_maps if "grafana_dashboard" in c["metadata"]["labels"]]
    assert dashboards and all(len(c["data"]) == 1 for c in dashboards)
    for config_map in dashboards:
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert config_map["metadata"]["annotations"] == {"grafana_folder": "SWR"}


# The pod's surroundings.

def test_network_policy_opens_the_metrics_port_and_only_the_egress_the_exporter_needs():
    values = FEATURES["network-policy"]
    resources = render(values)
    policy = one(resources, "NetworkPolicy")
    assert selects(policy["spec"]["podSelector"], resources)
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    (ingress,) = policy["spec"]["ingress"]
    assert ingress["ports"] == [{"port": "http-metrics", "protocol": "TCP"}]
    assert ingress["from"] == values["networkPolicy"]["ingressFrom"]
    egress = policy["spec"]["egress"]
    egress_ports = sorted((port["port"], port["protocol"]) for rule in egress for port in rule["ports"])
    assert egress_ports == [(53, "TCP"), (53, "UDP"), (443, "TCP")]


NODE_AGENCY = "region: cn-north-4\nauth: {type: metadata}\n"
TARGET_ON_NODE_AGENCY = (
    "targets:\n"
    "  - {name: a, region: cn-north-4, auth: {type: aksk, access_key_file: /s/ak, secret_key_file: /s/sk}}\n"
    "  - {name: b, region: cn-east-3, auth: {type: metadata}}\n"
)


@pytest.mark.parametrize("config", [NODE_AGENCY, TARGET_ON_NODE_AGENCY], ids=["top-level", "one-target"])
def test_network_policy_lets_only_a_node_agency_reach_the_metadata_service(config):
    policy = one(render({"config": config, "existingSecret": "", "networkPolicy": {"enabled": True}}),
                 "NetworkPolicy")
    metadata = [rule for rule in policy["spec"]["egress"] if rule.get("to")]
    assert metadata == [{"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}],
                         "ports": [{"port": 80, "protocol": "TCP"}]}]


@pytest.mark.parametrize("max_unavailable", [1, "50%"])
def test_pod_disruption_budget_selects_the_exporter(max_unavailable):
    resources = render({"podDisruptionBudget": {"enabled": True, "maxUnavailable": max_unavailable}})
    budget = one(resources, "PodDisruptionBudget")
    assert budget["spec"]["maxUnavailable"] == max_unavailable
    assert "minAvailable" not in budget["spec"]
    assert selects(budget["spec"]["selector"], resources)


def test_sharding_runs_a_stateful_set_of_shards_with_their_index_from_the_ordinal(tmp_path):
    resources = render(FEATURES["sharding"])
    statefulset = one(resources, "StatefulSet")
    assert not of_kind(resources, "Deployment")
    assert statefulset["spec"]["replicas"] == 3
    config = rendered_config(resources)
    assert config["shard"] == {"index": "auto", "total": 3}
    service = one(resources, "Service", statefulset["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None"
    # index: auto needs a host name ending in an ordinal: parsed in-process, as a StatefulSet pod's.
    for name in ("ak", "sk"):
        (tmp_path / name).write_text("x" * 20)
    data = yaml.safe_load(yaml.safe_dump(config).replace(SECRET_DIR, str(tmp_path)))
    parsed = parse_config(data, base_dir=tmp_path, environ={}, hostname=lambda: "swr-exporter-2")
    assert parsed.targets


def test_web_config_serves_https_with_the_secrets_file():
    resources = render(FEATURES["web-config"])
    container = exporter_container(exporter_workload(resources))
    assert "--web.config.file=/etc/swr-exporter/web/web-config.yml" in container["args"]
    assert mount_paths(resources)["web-config"] == "/etc/swr-exporter/web"
    assert volume(resources, "web-config")["secret"]["secretName"] == WEB_CONFIG["existingSecret"]
    assert {container[p]["httpGet"]["scheme"] for p in ("livenessProbe", "readinessProbe")} == {"HTTPS"}
    for kind in ("ServiceMonitor", "PodMonitor"):
        (endpoint,) = endpoints(one(resources, kind))
        assert endpoint["scheme"] == "https"
        assert endpoint["tlsConfig"] == MONITOR_TLS and endpoint["basicAuth"] == MONITOR_AUTH
    assert "https://localhost:9878/metrics" in notes(FEATURES["web-config"])


def test_without_web_config_probes_and_monitors_use_plain_http():
    resources = render({"serviceMonitor": {"enabled": True}})
    container = exporter_container(exporter_workload(resources))
    assert "scheme" not in container["livenessProbe"]["httpGet"]
    assert "scheme" not in endpoints(one(resources, "ServiceMonitor"))[0]


# Every feature at once.

def test_lint_strict_is_clean_with_every_feature():
    assert lint_remarks(EVERYTHING) == ["icon is recommended"]


def test_every_resource_carries_the_recommended_labels():
    for resource in render(EVERYTHING):
        labels = resource["metadata"]["labels"]
        assert all(labels.get(key) for key in RECOMMENDED_LABELS), resource["metadata"]["name"]
        assert labels["app.kubernetes.io/version"] == __version__


def test_no_value_makes_the_chart_render_a_secret():
    assert of_kind(render(EVERYTHING), "Secret") == []
