"""``--config.check``'s description of a target: every endpoint it will call, and why."""

from __future__ import annotations

from pathlib import Path

from exporter.check import describe
from exporter.config.loader import load_config

VALID = Path(__file__).parent / "config" / "fixtures" / "valid"


def described(name: str) -> str:
    return describe(load_config(VALID / name, environ={}), name)


def test_workload_identity_names_its_iam_exchanges_and_the_project_lookup():
    text = described("workload-identity.yaml")
    assert ("  IAM endpoint   https://iam.cn-north-4.myhuaweicloud.com (id-token exchange "
            "(CreateTokenWithIdToken, CreateTemporaryAccessKeyByToken), "
            "project lookup (KeystoneListProjects))") in text
    assert "  credentials" not in text
    assert "auth workload_identity" in text


def test_oidc_agency_names_sts_and_the_agency_it_assumes():
    text = described("oidc-agency-assume.yaml")
    assert "  credentials    STS https://sts.ap-southeast-1.myhuaweicloud.com (AssumeAgencyWithOidc)" in text
    assert "agency swr-monitor of partner-account (CreateTemporaryAccessKeyByAgency)" in text


def test_a_permanent_key_with_a_project_calls_no_iam(tmp_path):
    for name in ("ak", "sk"):
        (tmp_path / name).write_text("x" * 20)
    config = tmp_path / "config.yml"
    config.write_text(f"region: cn-north-4\nproject_id: 0123456789abcdef0123456789abcdef\n"
                      f"auth: {{type: aksk, access_key_file: {tmp_path / 'ak'},"
                      f" secret_key_file: {tmp_path / 'sk'}}}\n")
    text = describe(load_config(config, environ={}), "config.yml")
    assert "  IAM endpoint   not used" in text and "  credentials" not in text


def test_metadata_names_the_metadata_service(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("region: cn-north-4\nauth: {type: metadata, metadata_endpoint: 'http://127.0.0.1:8775'}\n")
    text = describe(load_config(config, environ={}), "config.yml")
    assert "  credentials    metadata service http://127.0.0.1:8775 (GetMetadataSecurityKey)" in text
    assert "(project lookup (KeystoneListProjects))" in text
