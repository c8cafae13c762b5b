"""IAM password tokens and token files, end to end against the simulator's IAM and SWR endpoints."""

from __future__ import annotations

import pytest

from exporter.collectors import repositories
from exporter.simulator import Account, Dataset, Simulator
from tests.e2e.harness import config_for, exporter_settings, running_exporter

pytestmark = pytest.mark.e2e


def dataset() -> Dataset:
    return Dataset.generate(seed=3, organizations=2, repositories=6, tags_per_repository=1, shared_with_me=1)


def password_settings(sim: Simulator, account: Account, **extra) -> dict:
    settings = exporter_settings(sim, account, **extra)
    settings.pop("project_id")
    settings["auth"] = {"type": "password", "domain": account.domain_name, "username": account.username,
                        "password": account.password}
    return settings


def test_password_auth_gets_a_project_token_and_uses_it_for_every_collector():
    account = Account.generate()
    with Simulator(dataset=dataset(), account=account) as sim:
        with running_exporter(config_for(password_settings(sim, account))) as exporter:
            snap = exporter.poll()
            records = list(sim.requests)
    assert snap.up, [s.error for s in snap.collectors]
    assert len(snap.get(repositories.SPEC)) == 6
    token_calls = [r for r in records if r.operation == "KeystoneCreateUserTokenByPassword"]
    assert len(token_calls) == 1
    assert {r.auth for r in records if r.operation != "KeystoneCreateUserTokenByPassword"} == {"token"}
    quota_paths = [r.path for r in records if r.operation == "ListQuotas"]
    assert quota_paths == [f"/v2/manage/projects/{account.project_id}/quotas"]


def test_a_revoked_token_is_replaced_once_and_polling_recovers():
    account = Account.generate()
    with Simulator(dataset=dataset(), account=account) as sim:
        with running_exporter(config_for(password_settings(sim, account))) as exporter:
            exporter.poll()
            sim.revoke_tokens()
            snap = exporter.poll()
            token_calls = [r for r in sim.requests if r.operation == "KeystoneCreateUserTokenByPassword"]
    assert snap.up, [s.error for s in snap.collectors]
    assert len(token_calls) == 2


def test_a_wrong_password_fails_the_collectors_with_a_clear_error_and_no_secret():
    account = Account.generate()
    with Simulator(dataset=dataset(), account=account) as sim:
        settings = password_settings(sim, account)
        settings["auth"]["password"] = "not-" + account.password
        with running_exporter(config_for(settings)) as exporter:
            snap = exporter.poll()
            page = exporter.get("/")[2].decode()
            metrics = exporter.metrics()
    assert snap.up is False
    errors = " ".join(s.error or "" for s in snap.collectors)
    assert "KeystoneCreateUserTokenByPassword" in errors or "401" in errors
    for text in (errors, page, metrics):
        assert account.password not in text


def test_a_token_file_is_read_and_reread_when_it_changes(tmp_path):
    account = Account.generate()
    with Simulator(dataset=dataset(), account=account) as sim:
        import json
        import urllib.request

        def issue_token() -> str:
            body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
                "domain": {"name": account.domain_name}, "name": account.username,
                "password": account.password}}}, "scope": {"project": {"id": account.project_id}}}}
            request = urllib.request.Request(f"{sim.base_url}/v3/auth/tokens", json.dumps(body).encode(),
                                             {"Content-Type": "application/json"})
            with urllib.request.urlopen(request) as response:
                return response.headers["X-Subject-Token"]

        token_file = tmp_path / "token"
        token_file.write_text(issue_token())
        settings = exporter_settings(sim, account)
        settings["auth"] = {"type": "token", "token_file": str(token_file)}
        with running_exporter(config_for(settings)) as exporter:
            assert exporter.poll().up
            sim.revoke_tokens()
            assert exporter.poll().up is False
            token_file.write_text(issue_token() + "\n")
            snap = exporter.poll()
    assert snap.up, [s.error for s in snap.collectors]
