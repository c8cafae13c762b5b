"""The loaded configuration: frozen dataclasses, built by ``config.loader`` and read everywhere else."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from exporter.config.secret import Secret

DEFAULT_TARGET_NAME = "default"


@dataclass(frozen=True)
class AssumeAgency:
    """An agency of another account to assume on top of the target's own credentials."""

    domain_name: str
    agency_name: str
    duration: float = 3600.0


@dataclass(frozen=True)
class AuthConfig:
    """Secrets are :class:`Secret`; ``*_file`` paths are re-read by the credentials, so only the path is
    kept. ``pod_identity_*`` come from CCE's environment variables, never from the file."""

    type: str = "aksk"
    access_key: Secret | None = None
    secret_key: Secret | None = None
    security_token: Secret | None = None
    access_key_file: Path | None = None
    secret_key_file: Path | None = None
    security_token_file: Path | None = None
    username: str | None = None
    password: Secret | None = None
    domain: str | None = None
    token_file: Path | None = None
    metadata_endpoint: str = "http://169.254.169.254"
    idp_id: str | None = None
    id_token_file: Path | None = None
    provider_urn: str | None = None
    agency_urn: str | None = None
    duration: float = 3600.0
    session_name: str = "swr-exporter"
    pod_identity_uri: str | None = None
    pod_identity_token_file: Path | None = None
    assume_agency: AssumeAgency | None = None


@dataclass(frozen=True)
class OrganizationFilter:
    include: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()

    def matches(self, name: str) -> bool:
        """Fully anchored, as Prometheus' relabelling is: ``team`` matches ``team``, not ``team-a``."""
        if self.include and not any(pattern.fullmatch(name) for pattern in self.include):
            return False
        return not any(pattern.fullmatch(name) for pattern in self.exclude)

    @property
    def narrows(self) -> bool:
        return bool(self.include or self.exclude)


@dataclass(frozen=True)
class EnterpriseSettings:
    """``enterprise:``: which Enterprise Edition instances to watch, by instance name (default all)."""

    instances: OrganizationFilter = field(default_factory=OrganizationFilter)


@dataclass(frozen=True)
class RepositoryRef:
    organization: str
    name: str


@dataclass(frozen=True)
class Collectors:
    """The ``collectors:`` switches a config file sets; the defaults are the collector registry's."""

    switches: tuple[tuple[str, bool], ...] = ()

    def get(self, name: str) -> bool | None:
        return dict(self.switches).get(name)


@dataclass(frozen=True)
class Shard:
    index: int = 0
    total: int = 1

    def owns(self, organization: str) -> bool:
        # sha256 rather than hash(): every replica, and every restart, must agree on the owner.
        digest = hashlib.sha256(organization.encode("utf-8")).hexdigest()
        return int(digest[:16], 16) % self.total == self.index

    @property
    def narrows(self) -> bool:
        return self.total > 1


@dataclass(frozen=True)
class TLSConfig:
    ca_file: Path | None = None
    insecure_skip_verify: bool = False


@dataclass(frozen=True)
class Polling:
    """Everything a target may override. Durations in seconds.

    ``max_staleness`` 0 (the default) stands for 3 x ``poll_interval`` and is resolved on construction,
    so a loaded object always holds the real value.
    """

    poll_interval: float = 300.0
    request_timeout: float = 10.0
    max_concurrency: int = 4
    rate_limit: float = 10.0
    retries: int = 3
    max_staleness: float = 0.0
    organizations: OrganizationFilter = field(default_factory=OrganizationFilter)
    repositories: tuple[RepositoryRef, ...] = ()
    collectors: Collectors = field(default_factory=Collectors)
    max_series: int = 1_000_000
    shard: Shard = field(default_factory=Shard)
    tls: TLSConfig = field(default_factory=TLSConfig)
    collector_intervals: tuple[tuple[str, float], ...] = ()
    enterprise: EnterpriseSettings = field(default_factory=EnterpriseSettings)

    def __post_init__(self) -> None:
        if not self.max_staleness:
            object.__setattr__(self, "max_staleness", 3 * self.poll_interval)

    def interval(self, collector: str, default: float | None = None) -> float:
        """How often a collector runs: its configured interval, else ``default`` (the registry's), else
        every poll; never more often than ``poll_interval``."""
        wanted = dict(self.collector_intervals).get(collector, default or self.poll_interval)
        return max(self.poll_interval, wanted)

    def staleness(self, collector: str, default: float | None = None) -> float:
        """How long a failed collector's last good data is served: max_staleness counted from when the
        data was due for refreshing, so a collector that runs hourly keeps its data as long as one that
        runs every poll."""
        return self.max_staleness + self.interval(collector, default) - self.poll_interval

    def watches(self, organization: str) -> bool:
        """Whether this process polls ``organization``: the filter keeps it and the shard owns it."""
        return self.organizations.matches(organization) and self.shard.owns(organization)

    def watches_instance(self, instance_name: str) -> bool:
        """Whether this process polls an Enterprise instance: ``enterprise.instances`` keeps it and the
        shard owns it, hashed as an organization name is (DESIGN.md 7)."""
        return self.enterprise.instances.matches(instance_name) and self.shard.owns(instance_name)

    @property
    def narrowed(self) -> bool:
        """Whether the filter or the shard leave organizations out, so listings go per organization."""
        return self.organizations.narrows or self.shard.narrows


@dataclass(frozen=True)
class Target:
    name: str
    region: str
    endpoint: str
    iam_endpoint: str
    project_id: str | None
    auth: AuthConfig
    polling: Polling = field(default_factory=Polling)
    sts_endpoint: str = "https://sts.cn-north-4.myhuaweicloud.com"


@dataclass(frozen=True)
class Config:
    targets: tuple[Target, ...]
    multi_target: bool = False
