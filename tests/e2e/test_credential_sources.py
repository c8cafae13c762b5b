"""Every credential source end to end: the exporter against the simulator's issuers over real HTTP, with
no long-lived key configured; short-lived triples renewed with no failed poll; an issuer that fails
for a while fails the collectors with a clear reason, then polling recovers by itself; no secret in
any log line (debug included), on /metrics or on /."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from exporter.config.loader import parse_config
from exporter.simulator import Account, Dataset, FaultRule, Simulator
from tests.e2e.harness import exporter_settings, running_exporter, sample_lines

pytestmark = pytest.mark.e2e

LIFETIME = 4.0  # seconds: renewed after 2.4 to 3 s, unusable in its last 0.4 s


def dataset() -> Dataset:
    return Dataset.generate(seed=11, organizations=2, repositories=5, tags_per_repository=1, shared_with_me=1)


def metadata(sim: Simulator, tmp: Path) -> tuple[dict, dict, str]:
    return {"type": "metadata", "metadata_endpoint": sim.base_url}, {}, "GetMetadataSecurityKey"


def workload_identity(sim: Simulator, tmp: Path) -> tuple[dict, dict, str]:
    (tmp / "id-token").write_text(sim.issuers.new_id_token())
    auth = {"type": "workload_identity", "idp_id": sim.issuers.idp_id, "id_token_file": str(tmp / "id-token")}
    return auth, {}, "CreateTemporaryAccessKeyByToken"


def oidc_agency(sim: Simulator, tmp: Path) -> tuple[dict, dict, str]:
    (tmp / "id-token").write_text(sim.issuers.new_id_token())
    auth = {"type": "oidc_agency", "provider_urn": sim.issuers.provider_urn,
            "agency_urn": sim.issuers.agency_urn, "id_token_file": str(tmp / "id-token"), "duration": "15m"}
    return auth, {}, "AssumeAgencyWithOidc"


def pod_identity(sim: Simulator, tmp: Path) -> tuple[dict, dict, str]:
    (tmp / "pod-token").write_text(sim.issuers.pod_token)
    env = {"HC_CONTAINER_CREDENTIALS_FULL_URI": f"{sim.base_url}/pod-identity/v1/credentials",
           "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(tmp / "pod-token")}
    return {"type": "pod_identity"}, env, "GetPodIdentityCredential"


def assumed_agency(sim: Simulator, tmp: Path) -> tuple[dict, dict, str]:
    domain, agency = sim.issuers.partner
    auth = {"type": "aksk", "access_key": sim.account.ak, "secret_key": sim.account.sk,
            "assume_agency": {"domain_name": domain, "agency_name": agency, "duration": "15m"}}
    return auth, {}, "CreateTemporaryAccessKeyByToken"  # the simulator's one route for securitytokens


# The operation label the exporter counts each source's issuing call under (DESIGN.md section 5).
COUNTED_AS = {"metadata": "GetMetadataSecurityKey", "workload_identity": "CreateTemporaryAccessKeyByToken",
              "oidc_agency": "AssumeAgencyWithOidc", "pod_identity": "GetPodIdentityCredential",
              "assume_agency": "CreateTemporaryAccessKeyByAgency"}
SOURCES: dict[str, Callable[[Simulator, Path], tuple[dict, dict, str]]] = {
    "metadata": metadata, "workload_identity": workload_identity, "oidc_agency": oidc_agency,
    "pod_identity": pod_identity, "assume_agency": assumed_agency,
}


def exporter_config(sim: Simulator, tmp: Path, source: str, **extra):
    auth, env, issuer_operation = SOURCES[source](sim, tmp)
    settings = exporter_settings(sim, sim.account, auth=auth, sts_endpoint=sim.base_url, **extra)
    settings.pop("project_id")  # looked up at IAM with the temporary credentials
    return parse_config(settings, base_dir=tmp, environ=env, hostname=lambda: "e2e-0"), issuer_operation


def simulator() -> Simulator:
    return Simulator(dataset=dataset(), account=Account.generate(), credential_lifetime=LIFETIME)


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_first_poll_succeeds_with_no_long_lived_key_and_renewal_never_fails_a_poll(source, tmp_path,
                                                                                    caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with simulator() as sim:
        config, issuer = exporter_config(sim, tmp_path, source)
        with running_exporter(config) as exporter:
            snapshots = [exporter.poll()]
            deadline = time.monotonic() + 3 * LIFETIME
            while time.monotonic() < deadline:
                time.sleep(0.3)
                snapshots.append(exporter.poll())
            metrics, page = exporter.metrics(), exporter.get("/")[2].decode()
            project_id = exporter.runtime.targets[0].project_id
        records = sim.requests
        secrets = sim.issued_secrets()
    failed = [(s.error for s in snap.collectors) for snap in snapshots if not snap.up]
    assert not failed, [list(errors) for errors in failed]
    assert project_id == sim.account.project_id
    assert f"<code>{project_id}</code>" in page  # the landing page shows the project looked up
    issued = [r for r in records if r.operation == issuer and r.status in (200, 201)]
    assert len(issued) >= 3  # renewed at least twice within three lifetimes
    assert [r.status for r in records if r.status == 401] == []  # renewed before any expired triple was sent
    assert [r.operation for r in records].count("KeystoneListProjects") == 1
    requests = sample_lines(metrics, "swr_exporter_api_requests_total{")
    operation = f'operation="{COUNTED_AS[source]}"'
    counted = [line for line in requests if operation in line and 'code="20' in line]
    assert counted and sum(float(line.split()[-1]) for line in counted) >= 3, requests
    assert [line for line in requests if 'operation="KeystoneListProjects"' in line], requests
    expiry = sample_lines(metrics, "swr_exporter_credentials_expiry_timestamp_seconds ")
    assert len(expiry) == 1 and float(expiry[0].split()[1]) > time.time() - 1
    for text in (caplog.text, metrics, page):
        assert not [secret for secret in secrets if secret in text]


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_an_issuer_failing_for_a_while_fails_collectors_clearly_then_recovers(source, tmp_path) -> None:
    with simulator() as sim:
        config, issuer = exporter_config(sim, tmp_path, source)
        with running_exporter(config) as exporter:
            assert exporter.poll().up
            outage = sim.faults.add(FaultRule("status", operation=issuer, status=503))
            deadline = time.monotonic() + 2 * LIFETIME
            # A request in flight when the last triple expires may first come back 401 (expired); the
            # polls after it must name the issuer's failure.
            snap = exporter.poll()
            errors = " ".join(s.error or "" for s in snap.collectors)
            while "no valid temporary credentials from" not in errors and time.monotonic() < deadline:
                time.sleep(0.3)
                snap = exporter.poll()
                errors = " ".join(s.error or "" for s in snap.collectors)
            sim.faults.remove(outage)
            deadline = time.monotonic() + LIFETIME
            recovered = exporter.poll()
            while not recovered.up and time.monotonic() < deadline:
                time.sleep(0.3)
                recovered = exporter.poll()
    assert snap.up is False
    assert "no valid temporary credentials from" in errors and "HTTP 503" in errors, errors
    assert recovered.up, [s.error for s in recovered.collectors]


def test_a_revoked_triple_is_replaced_at_the_first_401(tmp_path) -> None:
    with simulator() as sim:
        sim.issuers.lifetime = 3600.0
        config, _ = exporter_config(sim, tmp_path, "metadata")
        with running_exporter(config) as exporter:
            assert exporter.poll().up
            sim.issuers.revoke_triples()
            snap = exporter.poll()
        refused = [r for r in sim.requests if r.status == 401]
    assert snap.up, [s.error for s in snap.collectors]
    assert len(refused) == 1  # one request refused, its retry signed with the new triple


def test_a_workload_identity_token_file_is_read_again_at_every_exchange(tmp_path) -> None:
    with simulator() as sim:
        config, _ = exporter_config(sim, tmp_path, "workload_identity")
        with running_exporter(config) as exporter:
            assert exporter.poll().up
            old = (tmp_path / "id-token").read_text()
            (tmp_path / "id-token").write_text(sim.issuers.new_id_token())  # the kubelet rotated it
            sim.issuers.revoke_id_token(old)
            time.sleep(LIFETIME * 0.8)
            snap = exporter.poll()
    assert snap.up, [s.error for s in snap.collectors]
