"""TLS towards the SWR API: verified by default, a custom CA file trusted, verification switchable off.
An API whose certificate does not verify is a fault like any other: the process serves on."""

from __future__ import annotations

import ssl

import pytest

from exporter.simulator import Account, Dataset, Simulator
from tests.e2e.harness import config_for, exporter_settings, make_tls_files, running_exporter

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def https_simulator(tmp_path_factory):
    tls = make_tls_files(tmp_path_factory.mktemp("api-tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tls.cert), str(tls.key))
    dataset = Dataset.generate(seed=2, organizations=1, repositories=3, tags_per_repository=1,
                               shared_with_me=1)
    with Simulator(dataset=dataset, account=Account.generate(), tls=context) as sim:
        yield sim, tls


def poll_with(sim: Simulator, **tls):
    settings = exporter_settings(sim, sim.account, retries=0, **({"tls": tls} if tls else {}))
    with running_exporter(config_for(settings)) as exporter:
        snapshot = exporter.poll()
        status, _, body = exporter.get("/metrics")
    return snapshot, status, body.decode()


def test_an_api_certificate_from_an_unknown_ca_is_refused_by_default(https_simulator):
    sim, _ = https_simulator
    assert sim.base_url.startswith("https://")
    snapshot, status, text = poll_with(sim)
    assert status == 200 and "swr_up 0.0" in text
    assert not any(s.success for s in snapshot.collectors)
    assert 'swr_exporter_api_errors_total{operation="ListNamespaces",reason="network"}' in text
    errors = " ".join(s.error or "" for s in snapshot.collectors)
    assert "ListNamespaces" in errors and sim.account.sk not in text + errors


def test_a_custom_ca_file_makes_the_api_certificate_trusted(https_simulator):
    sim, tls = https_simulator
    snapshot, _, text = poll_with(sim, ca_file=str(tls.ca))
    assert snapshot.up, [s.error for s in snapshot.collectors]
    assert "swr_up 1.0" in text


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_insecure_skip_verify_accepts_any_certificate(https_simulator):
    sim, _ = https_simulator
    snapshot, _, _ = poll_with(sim, insecure_skip_verify=True)
    assert snapshot.up, [s.error for s in snapshot.collectors]
