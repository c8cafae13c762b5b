"""The auth types without long-lived keys, assume_agency, sts_endpoint and the optional project_id."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from exporter.config.loader import ConfigError, load_config, parse_config
from exporter.config.model import AssumeAgency

FIXTURES = Path(__file__).parent / "fixtures"
FILES = FIXTURES / "files"


def parse(data: object, environ: dict[str, str] | None = None):
    return parse_config(data, base_dir=FILES, environ=environ or {}, hostname=lambda: "h")


def test_workload_identity_needs_no_key_and_no_project_id() -> None:
    (target,) = load_config(FIXTURES / "valid" / "workload-identity.yaml", environ={}).targets
    assert (target.auth.type, target.auth.idp_id) == ("workload_identity", "cce-cluster-idp")
    assert target.auth.id_token_file.samefile(FILES / "token")
    assert target.project_id is None
    assert target.iam_endpoint == "https://iam.cn-north-4.myhuaweicloud.com"


def test_oidc_agency_with_an_assumed_agency_and_its_own_sts_endpoint() -> None:
    (target,) = load_config(FIXTURES / "valid" / "oidc-agency-assume.yaml", environ={}).targets
    auth = target.auth
    assert (auth.provider_urn, auth.agency_urn) == ("iam::0123456789abcdef:identity-provider:cce",
                                                    "iam::0123456789abcdef:agency:swr-monitor")
    assert (auth.duration, auth.session_name) == (7200.0, "swr-exporter-prod")
    assert auth.assume_agency == AssumeAgency("partner-account", "swr-monitor", 1800.0)
    assert target.sts_endpoint == "https://sts.ap-southeast-1.myhuaweicloud.com"


def test_oidc_agency_defaults_to_an_hour_and_the_sdk_style_session_name() -> None:
    data = {"region": "cn-north-4", "auth": {"type": "oidc_agency", "provider_urn": "p", "agency_urn": "a",
                                             "id_token_file": "token"}}
    (target,) = parse(data).targets
    assert (target.auth.duration, target.auth.session_name) == (3600.0, "swr-exporter")


@pytest.mark.parametrize(("region", "sts"), [
    ("cn-north-4", "https://sts.cn-north-4.myhuaweicloud.com"),
    ("ap-southeast-3", "https://sts.ap-southeast-3.myhuaweicloud.com"),
    ("cn-north-1", "https://sts.cn-north-4.myhuaweicloud.com"),  # no STS of its own: the SDK's default
])
def test_sts_endpoint_defaults_as_the_sdk_chooses(region: str, sts: str) -> None:
    (target,) = parse({"region": region, "auth": {"type": "metadata"}}).targets
    assert target.sts_endpoint == sts


def test_metadata_defaults_to_the_link_local_address_and_takes_an_override() -> None:
    (default,) = parse({"region": "cn-north-4", "auth": {"type": "metadata"}}).targets
    assert default.auth.metadata_endpoint == "http://169.254.169.254"
    data = {"region": "cn-north-4", "auth": {"type": "metadata", "metadata_endpoint": "http://127.0.0.1:8/"}}
    (custom,) = parse(data).targets
    assert custom.auth.metadata_endpoint == "http://127.0.0.1:8"


def test_pod_identity_reads_cce_variables_for_every_target(tmp_path: Path) -> None:
    token = tmp_path / "pod-token"
    token.write_text(secrets.token_hex(16))
    env = {"HC_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.2/v1/credentials",
           "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token)}
    data = {"targets": [{"name": "a", "region": "cn-north-4", "auth": {"type": "pod_identity"}}]}
    (target,) = parse(data, env).targets
    assert target.auth.pod_identity_uri == "http://169.254.170.2/v1/credentials"
    assert target.auth.pod_identity_token_file == token


def test_pod_identity_token_file_that_is_missing_is_named_by_its_variable() -> None:
    env = {"HC_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.2/v1/credentials",
           "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/nonexistent/pod-token"}
    with pytest.raises(ConfigError) as caught:
        parse({"region": "cn-north-4", "auth": {"type": "pod_identity"}}, env)
    assert caught.value.problems == ["auth.HC_CONTAINER_AUTHORIZATION_TOKEN_FILE: file does not exist"]


@pytest.mark.parametrize("auth", [
    {"type": "aksk", "access_key": "fake-ak", "secret_key": "fake-sk"},
    {"type": "token", "token_file": "token"},
    {"type": "metadata"},
])
def test_project_id_is_optional_for_every_auth_type(auth: dict) -> None:
    (target,) = parse({"region": "cn-north-4", "auth": auth}).targets
    assert target.project_id is None


def test_assume_agency_is_allowed_on_any_type_and_checks_its_own_keys() -> None:
    data = {"region": "cn-north-4", "auth": {"type": "aksk", "access_key": "a", "secret_key": "s",
                                             "assume_agency": {"domain_name": "d", "agency_nme": "x"}}}
    with pytest.raises(ConfigError) as caught:
        parse(data)
    assert caught.value.problems == [
        "auth.assume_agency.agency_nme: unknown key (did you mean 'agency_name'?)",
        "auth.assume_agency.agency_name: required (the agency created in that account)",
    ]


def test_no_credential_value_reaches_the_repr_of_the_config(tmp_path: Path) -> None:
    ak, sk, token = (secrets.token_hex(12) for _ in range(3))
    data = {"region": "cn-north-4", "auth": {"access_key": ak, "secret_key": sk, "security_token": token,
                                             "assume_agency": {"domain_name": "d", "agency_name": "a"}}}
    text = repr(parse(data))
    assert ak not in text and sk not in text and token not in text
