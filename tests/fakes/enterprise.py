"""A small Enterprise Edition account for the FakeClient: answers keyed by (operation, *arguments)."""

from __future__ import annotations

from typing import Any

SECRET_AK = "REGISTRY-AK-must-not-leak"
SECRET_SK = "REGISTRY-SK-must-not-leak"
SECRET_HEADER = "Bearer webhook-secret-must-not-leak"


def instance(name: str, ident: str, status: str = "Running", **extra: Any) -> dict[str, Any]:
    item = {"id": ident, "name": name, "spec": "swr.ee.professional", "version": "v2.8", "charge_mode":
            "postPaid", "status": status, "created_at": "2024-01-01T00:00:00Z",
            "expires_at": "2030-01-01T00:00:00Z"}
    item.update(extra)
    return item


def answers() -> dict[tuple, Any]:
    """Instance ee-prod (running) with one of everything; ee-new still creating."""
    return {
        ("ListInstance",): [instance("ee-prod", "ins-1"), instance("ee-new", "ins-2", "Creating",
                                                                   expires_at="")],
        ("ListInstanceStatistics", "ins-1"): {
            "storage_used": 5000, "total_namespace_count": 2, "namespace_quota": 15, "total_image_count": 3,
            "image_repo_quota": 100, "replica_policy_count": 1, "replica_policy_quota": 10,
            "long_term_quota": 20},
        ("ListInstanceNamespaces", "ins-1"): [
            {"name": "team", "namespace_id": 1, "repo_count": 2,
             "metadata": {"public": "false", "auto_scan": "true", "prevent_vul": "false",
                          "severity": "high"}}],
        ("ListAllInstanceRepositories",): [
            {"id": 1, "name": "app/web", "namespace_name": "team", "instance_id": "ins-1",
             "instance_name": "ee-prod", "pull_count": 7, "artifact_count": 2, "tag_count": 3,
             "created_at": "2024-01-02T00:00:00Z", "updated_at": "2024-01-03T00:00:00.5Z"},
            {"id": 2, "name": "elsewhere", "namespace_name": "x", "instance_id": "ins-9", "pull_count": 1}],
        ("ListInstanceReplicationPolicies", "ins-1"): [
            {"id": 5, "name": "to-dr", "enabled": True, "trigger": {"type": "scheduled"}}],
        ("ListInstanceReplicationPolicyExecutions", "ins-1", 5): [
            {"id": 1, "status": "Succeed", "succeed": 3, "failed": 0, "in_progress": 0, "stopped": 0,
             "created_at": "2024-02-01T00:00:00Z"},
            {"id": 2, "status": "Failed", "succeed": 1, "failed": 2, "in_progress": 0, "stopped": 0,
             "created_at": "2024-02-02T00:00:00Z"}],
        ("ListInstanceRegistries", "ins-1"): [
            {"id": 1, "name": "dr-site", "status": "unhealthy",
             "credential": {"type": "basic", "access_key": SECRET_AK, "access_secret": SECRET_SK}}],
        ("ListInstanceRetentionPolicies", "ins-1"): [
            {"id": 8, "name": "keep-10", "namespace_name": "team", "namespace_id": 1}],
        ("ListInstanceRetentionPolicyExecutions", "ins-1", "team", 8): [
            {"id": 1, "status": "Succeed", "start_time": "2024-03-01T00:00:00Z"}],
        ("ListGcTasks", "ins-1"): [
            {"id": 1, "job_status": "Error", "creation_time": "2024-04-01T00:00:00Z",
             "job_parameters": {"freed_space": 10}},
            {"id": 2, "job_status": "Success", "creation_time": "2024-04-02T00:00:00Z",
             "job_parameters": {"freed_space": 2048}}],
        ("ListInstanceWebhooks", "ins-1"): [
            {"id": 3, "name": "notify", "namespace_name": "team",
             "targets": [{"type": "http", "address": "https://hooks.example",
                          "auth_header": SECRET_HEADER}]}],
        ("ListInstanceWebhookJobs", "ins-1", "team", 3, "failed"): 4,
        ("ListInstanceLtCredentials", "ins-1"): [
            {"token_id": "t1", "name": "ci", "expire_date": "2025-01-01T00:00:00Z"},
            {"token_id": "t2", "name": "forever", "expire_date": "-1"}],
        ("ListInstanceArtifacts", "ins-1", "team", "app/web"): [
            {"digest": "sha256:aa", "size": 100, "push_time": "2024-05-01T00:00:00Z",
             "pull_time": "0001-01-01T00:00:00.000Z", "tags": [{"name": "v1"}]},
            {"digest": "sha256:bb", "size": 200, "push_time": "2024-05-02T00:00:00Z",
             "pull_time": "2024-05-03T00:00:00Z", "tags": [{"name": "v2"}, {"name": "latest"}]}],
        ("ShowInstanceArtifact", "ins-1", "team", "app/web", "sha256:bb"): {
            "digest": "sha256:bb", "scan_overview": {
                "application/vnd.security.vulnerability.report; version=1.1": {
                    "scan_status": "Success", "severity": "Critical",
                    "summary": {"total": 5, "fixable": 1, "summary": {"Critical": 2, "High": 3}}}}},
    }
