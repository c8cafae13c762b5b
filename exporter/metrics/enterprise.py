"""The SWR Enterprise Edition's part of the metric catalogue (DESIGN.md 5), re-exported by ``metrics``.

``instance_name`` is the Enterprise instance's name, never ``instance`` (Prometheus' target label);
``organization`` is the Enterprise namespace, as for the shared edition.
"""

from __future__ import annotations

from exporter.metrics import CACHED, MetricSpec

__all__ = [
    "EE_ARTIFACT_PULLED", "EE_ARTIFACT_PUSHED", "EE_ARTIFACT_SIZE", "EE_ARTIFACT_TAG_INFO",
    "EE_CREDENTIAL_EXPIRY", "EE_GC_FREED", "EE_GC_STATUS", "EE_GC_TIMESTAMP", "EE_INSTANCE_EXPIRY",
    "EE_INSTANCE_INFO", "EE_INSTANCE_STATUS", "EE_LATEST_VULNERABILITIES", "EE_NAMESPACE_INFO",
    "EE_NAMESPACE_REPOSITORIES", "EE_REGISTRY_HEALTHY", "EE_REPLICATION_POLICY_INFO",
    "EE_REPLICATION_STATUS", "EE_REPLICATION_TASKS", "EE_REPLICATION_TIMESTAMP", "EE_REPOSITORY_ARTIFACTS",
    "EE_REPOSITORY_CREATED", "EE_REPOSITORY_PULLS", "EE_REPOSITORY_TAGS", "EE_REPOSITORY_UPDATED",
    "EE_RESOURCES", "EE_RESOURCE_QUOTA", "EE_RETENTION_STATUS", "EE_STORAGE_USED", "EE_WEBHOOK_FAILED_JOBS",
]

INST = ("instance_name",)
EE_REPO = ("instance_name", "organization", "repository")
ARTIFACT = (*EE_REPO, "digest")


def _gauge(name: str, text: str, labels: tuple[str, ...]) -> MetricSpec:
    return MetricSpec(name, "gauge", text + CACHED, labels)


EE_INSTANCE_INFO = _gauge("swr_enterprise_instance_info", "SWR Enterprise Edition instance, value always 1.",
                          (*INST, "instance_id", "spec", "version", "charge_mode"))
EE_INSTANCE_STATUS = _gauge("swr_enterprise_instance_status",
                            "1 for the Enterprise instance's current status, 0 for the others.",
                            (*INST, "status"))
EE_INSTANCE_EXPIRY = _gauge("swr_enterprise_instance_expiry_timestamp_seconds",
                            "When the Enterprise instance's subscription expires, Unix time; absent when "
                            "it has none.", INST)
EE_STORAGE_USED = _gauge("swr_enterprise_storage_used_bytes",
                         "Storage the Enterprise instance uses, bytes.", INST)
EE_RESOURCES = _gauge("swr_enterprise_resources",
                      "Resources of a kind in the Enterprise instance (namespaces, repositories, policies, "
                      "...).", (*INST, "resource"))
EE_RESOURCE_QUOTA = _gauge("swr_enterprise_resource_quota",
                           "Quota of a kind of resource in the Enterprise instance.", (*INST, "resource"))
EE_NAMESPACE_INFO = _gauge("swr_enterprise_namespace_info",
                           "Enterprise namespace with its public and scan settings, value always 1.",
                           (*INST, "organization", "public", "auto_scan", "prevent_vul", "severity"))
EE_NAMESPACE_REPOSITORIES = _gauge("swr_enterprise_namespace_repositories",
                                   "Repositories in the Enterprise namespace.", (*INST, "organization"))
EE_REPOSITORY_PULLS = MetricSpec("swr_enterprise_repository_pulls_total", "counter",
                                 "Pulls of the Enterprise repository, as the instance counts them." + CACHED,
                                 EE_REPO)
EE_REPOSITORY_ARTIFACTS = _gauge("swr_enterprise_repository_artifacts",
                                 "Artifacts in the Enterprise repository.", EE_REPO)
EE_REPOSITORY_TAGS = _gauge("swr_enterprise_repository_tags", "Tags in the Enterprise repository.", EE_REPO)
EE_REPOSITORY_CREATED = _gauge("swr_enterprise_repository_created_timestamp_seconds",
                               "When the Enterprise repository was created, Unix time.", EE_REPO)
EE_REPOSITORY_UPDATED = _gauge("swr_enterprise_repository_updated_timestamp_seconds",
                               "When the Enterprise repository was last updated, Unix time.", EE_REPO)
EE_REPLICATION_POLICY_INFO = _gauge("swr_enterprise_replication_policy_info",
                                    "Replication policy of the Enterprise instance, value always 1.",
                                    (*INST, "policy", "trigger", "enabled"))
EE_REPLICATION_STATUS = _gauge("swr_enterprise_replication_last_execution_status",
                               "1 for the status of the replication policy's latest execution, 0 for the "
                               "others.", (*INST, "policy", "status"))
EE_REPLICATION_TASKS = _gauge("swr_enterprise_replication_last_execution_tasks",
                              "Tasks of the replication policy's latest execution, by result.",
                              (*INST, "policy", "result"))
EE_REPLICATION_TIMESTAMP = _gauge("swr_enterprise_replication_last_execution_timestamp_seconds",
                                  "When the replication policy's latest execution started, Unix time.",
                                  (*INST, "policy"))
EE_REGISTRY_HEALTHY = _gauge("swr_enterprise_registry_healthy",
                             "1 while the Enterprise instance's remote registry is healthy, else 0.",
                             (*INST, "registry"))
EE_RETENTION_STATUS = _gauge("swr_enterprise_retention_last_execution_status",
                             "1 for the status of the retention policy's latest execution, 0 for the others.",
                             (*INST, "organization", "policy", "status"))
EE_GC_STATUS = _gauge("swr_enterprise_gc_last_run_status",
                      "1 for the status of the Enterprise instance's latest garbage collection, 0 for the "
                      "others.", (*INST, "status"))
EE_GC_TIMESTAMP = _gauge("swr_enterprise_gc_last_run_timestamp_seconds",
                         "When the Enterprise instance's latest garbage collection was created, Unix time.",
                         INST)
EE_GC_FREED = _gauge("swr_enterprise_gc_last_freed_bytes",
                     "Bytes the Enterprise instance's latest garbage collection freed.", INST)
EE_WEBHOOK_FAILED_JOBS = _gauge("swr_enterprise_webhook_failed_jobs",
                                "Failed jobs of the Enterprise webhook policy.",
                                (*INST, "organization", "policy"))
EE_CREDENTIAL_EXPIRY = _gauge("swr_enterprise_long_term_credential_expiry_timestamp_seconds",
                              "When the Enterprise long-term credential expires, Unix time; absent when it "
                              "never expires.", (*INST, "credential"))
EE_ARTIFACT_SIZE = _gauge("swr_enterprise_artifact_size_bytes", "Size of the Enterprise artifact, bytes.",
                          ARTIFACT)
EE_ARTIFACT_PUSHED = _gauge("swr_enterprise_artifact_pushed_timestamp_seconds",
                            "When the Enterprise artifact was pushed, Unix time.", ARTIFACT)
EE_ARTIFACT_PULLED = _gauge("swr_enterprise_artifact_pulled_timestamp_seconds",
                            "When the Enterprise artifact was last pulled, Unix time; absent when never "
                            "pulled.", ARTIFACT)
EE_ARTIFACT_TAG_INFO = _gauge("swr_enterprise_artifact_tag_info",
                              "Tag of the Enterprise artifact, value always 1.", (*ARTIFACT, "tag"))
EE_LATEST_VULNERABILITIES = _gauge("swr_enterprise_repository_latest_vulnerabilities",
                                   "Vulnerabilities by severity in the scan of the Enterprise repository's "
                                   "most recently pushed artifact; absent when not scanned.",
                                   (*EE_REPO, "severity"))
