"""The ``auth`` types that hold no long-lived key, and ``assume_agency`` (DESIGN.md section 2).

Each gives temporary AK/SK/security-token triples at run time; here only what they need is checked:
the files exist and are readable now (they are re-read at every exchange), the durations are within
what IAM and STS accept.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from exporter.config.durations import format_duration
from exporter.config.fields import Node
from exporter.config.model import AssumeAgency, AuthConfig
from exporter.config.urls import url

ENV_POD_IDENTITY_URI = "HC_CONTAINER_CREDENTIALS_FULL_URI"
ENV_POD_IDENTITY_TOKEN_FILE = "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE"

# STS assume-with-oidc takes 15 min to 12 h; IAM securitytokens (assume_role) 15 min to 24 h.
_OIDC_DURATION = (900.0, 43_200.0)
_AGENCY_DURATION = (900.0, 86_400.0)


def parse_metadata(node: Node) -> AuthConfig:
    endpoint = url(node, "metadata_endpoint") if node.has("metadata_endpoint") else None
    return AuthConfig(type="metadata", metadata_endpoint=endpoint or AuthConfig.metadata_endpoint)


def parse_workload_identity(node: Node) -> AuthConfig:
    required = 'required for auth.type "workload_identity"'
    idp_id = node.string("idp_id", required=required + " (the IAM identity provider's id)")
    return AuthConfig(type="workload_identity", idp_id=idp_id, id_token_file=_file(node, required))


def parse_oidc_agency(node: Node) -> AuthConfig:
    required = 'required for auth.type "oidc_agency"'
    return AuthConfig(
        type="oidc_agency",
        provider_urn=node.string("provider_urn", required=required),
        agency_urn=node.string("agency_urn", required=required),
        id_token_file=_file(node, required),
        duration=_duration(node, "duration", _OIDC_DURATION) or AuthConfig.duration,
        session_name=node.string("session_name") or AuthConfig.session_name,
    )


def parse_pod_identity(node: Node, environ: Mapping[str, str]) -> AuthConfig:
    """CCE sets both variables in a pod that has a pod identity association; nothing else can."""
    uri_text = environ.get(ENV_POD_IDENTITY_URI, "").strip()
    token_text = environ.get(ENV_POD_IDENTITY_TOKEN_FILE, "").strip()
    missing = [name for name, text in ((ENV_POD_IDENTITY_URI, uri_text),
                                       (ENV_POD_IDENTITY_TOKEN_FILE, token_text)) if not text]
    if missing:
        node.add("type", f'auth.type "pod_identity" needs environment variable {" and ".join(missing)} '
                         "(set by CCE for a pod with a pod identity association)")
        return AuthConfig(type="pod_identity")
    # Problems are reported under the variables' names: auth.HC_CONTAINER_CREDENTIALS_FULL_URI: ...
    uri = url(node, ENV_POD_IDENTITY_URI, value=uri_text)
    token_file = Node({ENV_POD_IDENTITY_TOKEN_FILE: token_text}, node.path, node.ctx).readable_file(
        ENV_POD_IDENTITY_TOKEN_FILE)
    return AuthConfig(type="pod_identity", pod_identity_uri=uri, pod_identity_token_file=token_file)


def parse_assume_agency(node: Node) -> AssumeAgency | None:
    agency = node.mapping("assume_agency")
    if agency is None:
        return None
    agency.check_keys(("domain_name", "agency_name", "duration"))
    domain = agency.string("domain_name", required="required (the delegating account's name)")
    name = agency.string("agency_name", required="required (the agency created in that account)")
    duration = _duration(agency, "duration", _AGENCY_DURATION)
    if domain is None or name is None:
        return None
    return AssumeAgency(domain, name, duration or AssumeAgency.duration)


def _file(node: Node, required: str) -> Path | None:
    if not node.has("id_token_file"):
        node.add("id_token_file", required + " (the projected service-account token)")
        return None
    return node.readable_file("id_token_file")


def _duration(node: Node, key: str, bounds: tuple[float, float]) -> float | None:
    low, high = bounds
    seconds = node.duration(key, minimum=low)
    if seconds is not None and seconds > high:
        node.add(key, f"must be at most {format_duration(high)}, got {format_duration(seconds)}")
        return None
    return seconds
