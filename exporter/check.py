"""``--config.check``: what each target will call and collect, for a person to read before deploying.

Nothing is called: the endpoints are those of the configuration (or the region's defaults it filled in),
the collectors and intervals those the poller will run.
"""

from __future__ import annotations

from collections.abc import Iterator

from exporter.collectors.registry import REGISTRY
from exporter.config.durations import format_duration
from exporter.config.model import Config, Target


def iam_calls(target: Target) -> str | None:
    """Why the target calls IAM, or None when it never does."""
    auth = target.auth
    calls = []
    if auth.type == "password":
        calls.append("password login (KeystoneCreateUserTokenByPassword)")
    elif auth.type == "workload_identity":
        calls.append("id-token exchange (CreateTokenWithIdToken, CreateTemporaryAccessKeyByToken)")
    if auth.assume_agency is not None:
        agency = auth.assume_agency
        calls.append(f"agency {agency.agency_name} of {agency.domain_name} "
                     "(CreateTemporaryAccessKeyByAgency)")
    if target.project_id is None and auth.type != "password":
        calls.append("project lookup (KeystoneListProjects)")
    return ", ".join(calls) or None


def credential_issuer(target: Target) -> str | None:
    """Where temporary credentials come from besides IAM, or None."""
    auth = target.auth
    if auth.type == "metadata":
        return f"metadata service {auth.metadata_endpoint} (GetMetadataSecurityKey)"
    if auth.type == "oidc_agency":
        return f"STS {target.sts_endpoint} (AssumeAgencyWithOidc)"
    if auth.type == "pod_identity":
        return f"CCE pod identity {auth.pod_identity_uri or '(HC_CONTAINER_CREDENTIALS_FULL_URI)'} " \
               "(GetPodIdentityCredential)"
    return None


def _collectors(target: Target) -> Iterator[str]:
    polling = target.polling
    for spec in REGISTRY:
        if spec.enabled(polling):
            yield f"    {spec.name:<14} every {format_duration(spec.interval(polling))}"
    off = [spec.name for spec in REGISTRY if not spec.enabled(polling)]
    if off:
        yield f"    not run: {', '.join(off)}"


def describe_target(target: Target) -> Iterator[str]:
    polling = target.polling
    project = target.project_id or "looked up at the first poll"
    yield f"target {target.name}: region {target.region}, project {project}, auth {target.auth.type}"
    yield f"  SWR endpoint   {target.endpoint}"
    iam = iam_calls(target)
    yield f"  IAM endpoint   {target.iam_endpoint} ({iam})" if iam else "  IAM endpoint   not used"
    issuer = credential_issuer(target)
    if issuer is not None:
        yield f"  credentials    {issuer}"
    shard = f", shard {polling.shard.index} of {polling.shard.total}" if polling.shard.narrows else ""
    yield f"  poll interval  {format_duration(polling.poll_interval)}{shard}"
    yield "  collectors"
    yield from _collectors(target)


def describe(config: Config, source: str) -> str:
    count = len(config.targets)
    lines = [f"{source}: configuration is valid ({count} target{'' if count == 1 else 's'})"]
    for target in config.targets:
        lines.extend(describe_target(target))
    return "\n".join(lines)
