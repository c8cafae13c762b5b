"""deploy/kubernetes as users consume it: recommended labels, overlays as remote bases, the metadata
service closed except where node agency needs it, and the multi-target Probe in step with the config."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.artifacts.test_kubernetes import KUBERNETES, OVERLAYS, Resource, of_kind, one, render, tool
from tests.artifacts.test_kubernetes_pods import auths, config_of, exporter_workloads

RECOMMENDED = {
    "app.kubernetes.io/name": "swr-exporter",
    "app.kubernetes.io/instance": "swr-exporter",
    "app.kubernetes.io/part-of": "swr-exporter",
    "app.kubernetes.io/managed-by": "kustomize",
}
METADATA = ipaddress.ip_address("169.254.169.254")
DEPLOYING = Path(__file__).resolve().parents[2] / "docs" / "deploying.md"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_of_ours_carries_the_recommended_labels(overlay):
    ours = [r for r in render(f"overlays/{overlay}") if r["metadata"]["labels"].get("app.kubernetes.io/name")
            == "swr-exporter" or r["kind"] != "Deployment"]
    assert ours
    for resource in ours:
        labels = resource["metadata"]["labels"]
        assert RECOMMENDED.items() <= labels.items(), (resource["kind"], resource["metadata"]["name"])
        assert labels["app.kubernetes.io/component"] in ("exporter", "monitoring")


def egress_allows(policy: Resource, address: str, port: int) -> bool:
    ip = ipaddress.ip_address(address)
    for rule in policy["spec"].get("egress", []):
        ports = rule.get("ports")
        if ports is not None and not any(p.get("port") == port for p in ports):
            continue
        peers = rule.get("to")
        if peers is None:
            return True
        for peer in peers:
            block = peer.get("ipBlock")
            if block and ip in ipaddress.ip_network(block["cidr"]) and not any(
                    ip in ipaddress.ip_network(cidr) for cidr in block.get("except", [])):
                return True
    return False


def exporter_policies(resources: list[Resource]) -> list[Resource]:
    pod_labels = [w["spec"]["template"]["metadata"]["labels"] for w in exporter_workloads(resources)]
    return [policy for policy in of_kind(resources, "NetworkPolicy") if any(
        policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items() for labels in pod_labels)]


@pytest.mark.parametrize("overlay", [name for name in OVERLAYS if name != "sidecar"])
def test_only_node_agency_opens_the_metadata_service(overlay):
    resources = render(f"overlays/{overlay}")
    [policy] = exporter_policies(resources)
    assert "Egress" in policy["spec"]["policyTypes"]
    uses_metadata = any(auth["type"] == "metadata" for workload in exporter_workloads(resources)
                        for auth in auths(config_of(resources, workload)))
    assert egress_allows(policy, str(METADATA), 80) is uses_metadata
    assert not egress_allows(policy, str(METADATA), 443)
    assert egress_allows(policy, "203.0.113.7", 443), "the SWR API must stay reachable"
    assert egress_allows(policy, "10.0.0.10", 53), "DNS must stay reachable"
    assert (overlay == "node-agency") is uses_metadata


def test_the_egress_check_sees_an_except_and_a_port():
    policy = {"spec": {"egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}}],
                                   "ports": [{"port": 443}]}]}}
    assert egress_allows(policy, "8.8.8.8", 443)
    assert not egress_allows(policy, "169.254.169.254", 443)
    assert not egress_allows(policy, "8.8.8.8", 80)


def test_the_multi_target_probe_scrapes_every_configured_target_through_the_service():
    resources = render("overlays/multi-target")
    probe = one(resources, "Probe")
    [workload] = exporter_workloads(resources)
    names = [target["name"] for target in config_of(resources, workload)["targets"]]
    assert probe["spec"]["targets"]["staticConfig"]["static"] == names
    service = one(resources, "Service")
    port = service["spec"]["ports"][0]["port"]
    namespace = service["metadata"]["namespace"]
    assert probe["spec"]["prober"] == {
        "url": f"{service['metadata']['name']}.{namespace}.svc:{port}", "path": "/probe", "scheme": "http"}
    assert probe["spec"]["jobName"].startswith("swr-exporter")
    assert one(resources, "ServiceMonitor")["spec"]["endpoints"][0]["path"] == "/metrics"


@pytest.fixture(scope="module")
def remote_repository(tmp_path_factory):
    """deploy/kubernetes committed to a scratch git repository, tagged v0.0.0-test."""
    root = tmp_path_factory.mktemp("remote") / "repo"
    shutil.copytree(KUBERNETES, root / "deploy" / "kubernetes")
    git = ["git", "-C", str(root), "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "manifests"], ["tag", "v0.0.0-test"]):
        subprocess.run([*git, *args], check=True, capture_output=True, timeout=60)
    return root


def doc_yaml_after(heading: str) -> dict:
    """The first ```yaml block of docs/deploying.md after ``heading``."""
    text = DEPLOYING.read_text(encoding="utf-8")
    section = text[text.index(heading):]
    return yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_builds_as_a_remote_base_the_way_the_docs_show(overlay, remote_repository, tmp_path):
    """docs/deploying.md's kustomization, pointed at a scratch repository and tag instead of GitHub, with
    its pull-secret patch: the overlay's relative paths resolve, and the user's config.yml, namespace,
    image and pull secret take."""
    kustomization = doc_yaml_after("### Using an overlay as a remote base")
    [url] = kustomization["resources"]
    assert url.startswith("https://github.com/") and "//deploy/kubernetes/overlays/standalone?ref=" in url
    kustomization["resources"] = [
        f"file://{remote_repository}//deploy/kubernetes/overlays/{overlay}?ref=v0.0.0-test"]
    kustomization["namespace"] = "observability"
    kustomization["patches"] = doc_yaml_after("### Pulling it in Kubernetes")["patches"]
    original = (KUBERNETES / "overlays" / overlay / "config.yml").read_text()
    (tmp_path / "config.yml").write_text(original.replace("poll_interval: 5m", "poll_interval: 7m"))
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    result = subprocess.run([tool("kubectl"), "kustomize", str(tmp_path)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    resources = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    workloads = exporter_workloads(resources)
    assert [config_of(resources, workload)["poll_interval"] for workload in workloads] == ["7m"]
    assert {r["metadata"].get("namespace") for r in resources} == {"observability"}
    image = kustomization["images"][0]
    container = next(c for c in workloads[0]["spec"]["template"]["spec"]["containers"]
                     if c["name"] == "swr-exporter")
    assert container["image"] == f"{image['newName']}:{image['newTag']}"
    for account in of_kind(resources, "ServiceAccount"):
        assert account["imagePullSecrets"] == [{"name": "default-secret"}]
    assert of_kind(resources, "ServiceAccount") or overlay == "sidecar"
