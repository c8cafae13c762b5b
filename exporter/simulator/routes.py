"""Which operation a method and raw path name, with its path parameters percent-decoded."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

# auth: "project" = SWR call (credentials and project checked), "account" = signed IAM call,
# "none" = IAM password login (a signature, if any, is still checked), "issuer" = a credential issuer
# (``issuers.py``), which checks what it needs itself.
_TABLE: tuple[tuple[str, tuple[str, ...], str, str, str], ...] = (
    ("GET", ("v2", "manage", "namespaces"), "ListNamespaces", "list_namespaces", "project"),
    ("GET", ("v2", "manage", "namespaces", "*"), "ShowNamespace", "show_namespace", "project"),
    ("GET", ("v2", "manage", "namespaces", "*", "repos", "*"), "ShowRepository", "show_repository",
     "project"),
    ("GET", ("v2", "manage", "namespaces", "*", "repos", "*", "tags"), "ListRepositoryTags", "list_tags",
     "project"),
    ("GET", ("v2", "manage", "namespaces", "*", "repositories", "*", "access-domains"), "ListRepoDomains",
     "list_repo_domains", "project"),
    ("GET", ("v2", "manage", "repos"), "ListReposDetails", "list_repos", "project"),
    ("GET", ("v2", "manage", "shared-repositories"), "ListSharedReposDetails", "list_shared", "project"),
    ("GET", ("v2", "manage", "projects", "*", "quotas"), "ListQuotas", "list_quotas", "project"),
    ("GET", ("v2", "manage", "overview"), "ShowDomainOverview", "show_overview", "project"),
    # SWR Enterprise Edition (simulator/enterprise.py); the first argument is the project id.
    *((("GET", ("v2", "*", *tail), operation, handler, "project")) for tail, operation, handler in (
        (("instances",), "ListInstance", "ee_list_instances"),
        (("instances", "*", "statistics"), "ListInstanceStatistics", "ee_statistics"),
        (("instances", "*", "namespaces"), "ListInstanceNamespaces", "ee_namespaces"),
        (("repositories",), "ListAllInstanceRepositories", "ee_all_repositories"),
        (("instances", "*", "replication", "policies"), "ListInstanceReplicationPolicies",
         "ee_replication_policies"),
        (("instances", "*", "replication", "executions"), "ListInstanceReplicationPolicyExecutions",
         "ee_replication_executions"),
        (("instances", "*", "registries"), "ListInstanceRegistries", "ee_registries"),
        (("instances", "*", "retention", "policies"), "ListInstanceRetentionPolicies",
         "ee_retention_policies"),
        (("instances", "*", "namespaces", "*", "retention", "policies", "*", "executions"),
         "ListInstanceRetentionPolicyExecutions", "ee_retention_executions"),
        (("instances", "*", "system", "gc"), "ListGcTasks", "ee_gc_tasks"),
        (("instances", "*", "webhook", "policies"), "ListInstanceWebhooks", "ee_webhooks"),
        (("instances", "*", "namespaces", "*", "webhook", "policies", "*", "jobs"), "ListInstanceWebhookJobs",
         "ee_webhook_jobs"),
        (("instances", "*", "long-term-credentials"), "ListInstanceLtCredentials", "ee_lt_credentials"),
        (("instances", "*", "namespaces", "*", "repositories", "*", "artifacts"), "ListInstanceArtifacts",
         "ee_artifacts"),
        (("instances", "*", "namespaces", "*", "repositories", "*", "artifacts", "*"), "ShowInstanceArtifact",
         "ee_show_artifact"),
    )),
    ("POST", ("v3", "auth", "tokens"), "KeystoneCreateUserTokenByPassword", "create_token", "none"),
    ("GET", ("v3", "projects"), "KeystoneListProjects", "list_projects", "account"),
    ("PUT", ("meta-data", "latest", "api", "token"), "GetMetadataSecurityKey", "metadata_token", "issuer"),
    ("GET", ("openstack", "latest", "securitykey"), "GetMetadataSecurityKey", "metadata_security_key",
     "issuer"),
    ("POST", ("v3.0", "OS-AUTH", "id-token", "tokens"), "CreateTokenWithIdToken", "id_token", "issuer"),
    # One IAM path for two SDK operations (method token, or assume_role: CreateTemporaryAccessKeyByAgency).
    ("POST", ("v3.0", "OS-CREDENTIAL", "securitytokens"), "CreateTemporaryAccessKeyByToken",
     "security_tokens", "issuer"),
    ("POST", ("v5", "agencies", "assume-with-oidc"), "AssumeAgencyWithOidc", "assume_with_oidc", "issuer"),
    ("POST", ("pod-identity", "v1", "credentials"), "GetPodIdentityCredential", "pod_identity", "issuer"),
)


@dataclass(frozen=True)
class Route:
    operation: str
    handler: str
    args: tuple[str, ...]
    auth: str

    @property
    def iam(self) -> bool:
        return self.operation.startswith("Keystone")

    @property
    def issuer(self) -> bool:
        return self.auth == "issuer"


def match(method: str, raw_path: str) -> Route | None:
    """Split the raw path first, then decode each segment, so ``%2F`` stays inside a name."""
    raw = [segment for segment in raw_path.split("/") if segment]
    segments = [unquote(segment) for segment in raw]
    for verb, pattern, operation, handler, auth in _TABLE:
        if verb != method or len(pattern) != len(segments):
            continue
        args = []
        for want, got in zip(pattern, segments, strict=True):
            if want == "*":
                args.append(got)
            elif want != got:
                break
        else:
            return Route(operation, handler, tuple(args), auth)
    return None
