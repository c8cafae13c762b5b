"""Wires a target's credentials: which source, renewed how, an agency on top, and the project lookup.

Every auth is built by ``make(project)``, so the project lookup can be signed by the same credentials
as the SWR calls, minus the project it is looking for.
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable

from exporter.config.model import AuthConfig, Target
from exporter.swr.auths import TripleAuth
from exporter.swr.credentials import RequestAuth, build_auth
from exporter.swr.iam import IamClient
from exporter.swr.projects import ProjectRef
from exporter.swr.renewal import KeyProvider, RenewingKeys
from exporter.swr.sources.agency import AgencySource
from exporter.swr.sources.files import FileTriple
from exporter.swr.sources.metadata import MetadataSource
from exporter.swr.sources.oidc_agency import OidcAgencySource
from exporter.swr.sources.pod_identity import PodIdentitySource
from exporter.swr.sources.workload_identity import WorkloadIdentitySource
from exporter.swr.temporary import TripleSource
from exporter.swr.transport import Transport

MakeAuth = Callable[[ProjectRef], RequestAuth]


def build_target_auth(target: Target, transport: Transport, iam: IamClient,
                      clock: Callable[[], float] = time.time,
                      random: Callable[[], float] = _random.random) -> RequestAuth:
    cfg = target.auth
    make = _own(cfg, target, transport, iam, clock, random)
    # A password token is scoped to the region's project and says which it is: nothing to look up.
    needs_lookup = cfg.type != "password"
    if cfg.assume_agency is not None:
        source = AgencySource(transport, target.iam_endpoint, make(ProjectRef()), cfg.assume_agency)
        keys = RenewingKeys(source, clock, random)
        make = _triple_auth(keys, clock)
        needs_lookup = True  # the project is the delegating account's
    project = ProjectRef(target.project_id, clock=clock)
    if needs_lookup and target.project_id is None:
        lookup_auth = make(ProjectRef())
        project.lookup = lambda: iam.list_projects(target.region, lookup_auth)
    return make(project)


def _own(cfg: AuthConfig, target: Target, transport: Transport, iam: IamClient,
         clock: Callable[[], float], random: Callable[[], float]) -> MakeAuth:
    if cfg.type == "aksk" and (cfg.access_key_file or cfg.secret_key_file or cfg.security_token_file):
        files = FileTriple(cfg.access_key_file or cfg.access_key, cfg.secret_key_file or cfg.secret_key,
                           cfg.security_token_file or cfg.security_token)
        return _triple_auth(files, clock)
    source = _issuer(cfg, target, transport)
    if source is not None:
        return _triple_auth(RenewingKeys(source, clock, random), clock)
    if cfg.type == "password":
        # One password token source for the lookup and the calls: one IAM login, not two.
        shared = build_auth(cfg, target.project_id, target.region, iam.create_token, clock)
        return lambda project: shared
    return lambda project: build_auth(cfg, project, target.region, iam.create_token, clock)


def _issuer(cfg: AuthConfig, target: Target, transport: Transport) -> TripleSource | None:
    if cfg.type == "metadata":
        return MetadataSource(transport, cfg.metadata_endpoint)
    if cfg.type == "workload_identity" and cfg.idp_id and cfg.id_token_file:
        return WorkloadIdentitySource(transport, target.iam_endpoint, cfg.idp_id, cfg.id_token_file)
    if cfg.type == "oidc_agency" and cfg.provider_urn and cfg.agency_urn and cfg.id_token_file:
        return OidcAgencySource(transport, target.sts_endpoint, provider_urn=cfg.provider_urn,
                                agency_urn=cfg.agency_urn, id_token_file=cfg.id_token_file,
                                duration=cfg.duration, session_name=cfg.session_name)
    if cfg.type == "pod_identity" and cfg.pod_identity_uri and cfg.pod_identity_token_file:
        return PodIdentitySource(transport, cfg.pod_identity_uri, cfg.pod_identity_token_file)
    if cfg.type in ("metadata", "workload_identity", "oidc_agency", "pod_identity"):
        raise ValueError(f"auth.type {cfg.type} is incompletely configured")
    return None


def _triple_auth(keys: KeyProvider, clock: Callable[[], float]) -> MakeAuth:
    return lambda project: TripleAuth(keys, project, clock)
