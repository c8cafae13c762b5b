"""Collector ``enterprise``: SWR Enterprise Edition instances, their storage and resources beside quotas,
namespaces and every repository's pulls.

``GET /v2/{project_id}/instances`` (ListInstance), then for each watched instance that is running
``.../statistics`` (ListInstanceStatistics) and ``.../namespaces`` (ListInstanceNamespaces), and one
marker-paged ``GET /v2/{project_id}/repositories`` (ListAllInstanceRepositories) for all instances at
once, never one call per namespace. Off by default; instances are filtered by ``enterprise.instances``
and split between shards by instance name::

    # HELP swr_enterprise_instance_status 1 for the Enterprise instance's current status, 0 for the others.
    # TYPE swr_enterprise_instance_status gauge
    swr_enterprise_instance_status{instance_name="ee-prod",status="Running"} 1.0
    swr_enterprise_resource_quota{instance_name="ee-prod",resource="namespaces"} 15.0
    swr_enterprise_repository_pulls_total{instance_name="ee-prod",organization="team",repository="a/b"} 7.0
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from prometheus_client.core import Metric

from exporter import metrics
from exporter.collectors.enterprise_records import (
    INSTANCE_STATUSES,
    EnterpriseRepository,
    Instance,
    Namespace,
    Statistics,
    parse_instances,
    parse_namespaces,
    parse_repositories,
    parse_statistics,
    state_set,
)
from exporter.collectors.spec import CollectorSpec, FetchContext, PartialFailure, Unavailable
from exporter.swr.errors import ApiError

log = logging.getLogger(__name__)

LIST = "ListInstance"
STATISTICS = "ListInstanceStatistics"
NAMESPACES = "ListInstanceNamespaces"
REPOSITORIES = "ListAllInstanceRepositories"

Record = Instance | Statistics | Namespace | EnterpriseRepository


@dataclass(frozen=True)
class Enterprise:
    instances: tuple[Instance, ...]
    statistics: tuple[Statistics, ...]
    namespaces: tuple[Namespace, ...]
    repositories: tuple[EnterpriseRepository, ...]
    left_out: int  # instances the filter or the shard left out

    def records(self) -> tuple[Record, ...]:
        return (*self.instances, *self.statistics, *self.namespaces, *self.repositories)


def project_id(ctx: FetchContext) -> str:
    if not ctx.client.project_id:
        raise Unavailable("project_id is unknown: it is not configured and no IAM token has named it yet")
    return ctx.client.project_id


def instances(ctx: FetchContext) -> tuple[tuple[Instance, ...], int]:
    """The instances this process watches, and how many it leaves to the filter or other shards."""
    project_id(ctx)
    items = ctx.client.list_instances()
    listed = ctx.client.decode(LIST, partial(parse_instances, LIST, items))
    watched = tuple(i for i in listed if ctx.polling.watches_instance(i.name))
    return watched, len(listed) - len(watched)


def running(ctx: FetchContext) -> tuple[Instance, ...]:
    """The watched running instances: from this poll's ``enterprise`` collector, else listed anew. The
    others (creating, unavailable) answer no per-instance call."""
    earlier = ctx.earlier.get(SPEC)
    watched = earlier.instances if earlier is not None else instances(ctx)[0]
    return tuple(i for i in watched if i.status == "Running")


def repositories(ctx: FetchContext, up: Sequence[Instance]) -> tuple[EnterpriseRepository, ...]:
    """Every repository of the ``up`` instances, from the one project-wide marker-paged listing."""
    if not up:
        return ()
    items = ctx.client.list_all_instance_repositories()
    names = {i.id: i.name for i in up}
    parsed = ctx.client.decode(REPOSITORIES, partial(parse_repositories, REPOSITORIES, names, items))
    unique: dict[tuple[str, str, str], EnterpriseRepository] = {}
    for repo in parsed:
        unique.setdefault((repo.instance_name, repo.organization, repo.name), repo)
    return tuple(unique[key] for key in sorted(unique))


def fetch(ctx: FetchContext) -> Enterprise:
    client = ctx.client
    watched, left_out = instances(ctx)
    up = [i for i in watched if i.status == "Running"]
    stats = client.map(lambda i: client.list_instance_statistics(i.id), up)
    spaces = client.map(lambda i: client.list_instance_namespaces(i.id), up)
    statistics, namespaces, failures = [], [], []
    for instance, stat, space in zip(up, stats, spaces, strict=True):
        for answer in (stat, space):
            if isinstance(answer, ApiError) and answer.reason != "not_found":
                failures.append(f"{instance.name}: {answer}")
        if not isinstance(stat, ApiError):
            statistics.append(client.decode(STATISTICS, partial(parse_statistics, STATISTICS,
                                                                instance.name, stat)))
        if not isinstance(space, ApiError):
            namespaces.extend(client.decode(NAMESPACES, partial(parse_namespaces, NAMESPACES,
                                                                instance.name, space)))
    unique = {(n.instance_name, n.name): n for n in reversed(namespaces)}
    try:
        repos = repositories(ctx, up)
        ctx.store["repositories"] = (repos, ctx.clock())
    except ApiError as error:  # the instances, statistics and namespaces are still worth serving
        failures.append(str(error))
        repos = _last_good_repositories(ctx)
    result = Enterprise(watched, tuple(statistics), tuple(unique[k] for k in sorted(unique)), repos, left_out)
    if failures:
        raise PartialFailure(f"{len(failures)} Enterprise calls failed; first {failures[0]}", result)
    return result


def _last_good_repositories(ctx: FetchContext) -> tuple[EnterpriseRepository, ...]:
    """The last listing that worked, until max_staleness: one failed listing of 20,000 repositories
    should not empty the pulls graphs nor the artifacts collector's list."""
    stored = ctx.store.get("repositories")
    if stored is None or ctx.clock() - stored[1] > ctx.polling.max_staleness:
        return ()
    return tuple(stored[0])


def families(_: Enterprise, kept: Sequence[Record]) -> Iterator[Metric]:
    info, status = metrics.EE_INSTANCE_INFO.gauge(), metrics.EE_INSTANCE_STATUS.gauge()
    expiry, storage = metrics.EE_INSTANCE_EXPIRY.gauge(), metrics.EE_STORAGE_USED.gauge()
    resources, quotas = metrics.EE_RESOURCES.gauge(), metrics.EE_RESOURCE_QUOTA.gauge()
    ns_info, ns_repos = metrics.EE_NAMESPACE_INFO.gauge(), metrics.EE_NAMESPACE_REPOSITORIES.gauge()
    repos = [r for r in kept if isinstance(r, EnterpriseRepository)]
    for record in kept:
        if isinstance(record, Instance):
            info.add_metric([record.name, record.id, record.spec, record.version, record.charge_mode], 1.0)
            for name, value in state_set(INSTANCE_STATUSES, record.status):
                status.add_metric([record.name, name], value)
            metrics.add(expiry, [record.name], record.expiry)
        elif isinstance(record, Statistics):
            metrics.add(storage, [record.instance_name], record.storage_used)
            for resource, count, quota in record.resources:
                metrics.add(resources, [record.instance_name, resource], count)
                metrics.add(quotas, [record.instance_name, resource], quota)
        elif isinstance(record, Namespace):
            ns_info.add_metric([record.instance_name, record.name, *record.settings], 1.0)
            metrics.add(ns_repos, [record.instance_name, record.name], record.repositories)
    yield from (info, status, expiry, storage, resources, quotas, ns_info, ns_repos)
    yield from metrics.valued_families(
        (metrics.EE_REPOSITORY_PULLS, metrics.EE_REPOSITORY_ARTIFACTS, metrics.EE_REPOSITORY_TAGS,
         metrics.EE_REPOSITORY_CREATED, metrics.EE_REPOSITORY_UPDATED),
        (((r.instance_name, r.organization, r.name), r.values()) for r in repos))


SPEC: CollectorSpec[Enterprise, Record] = CollectorSpec(
    name="enterprise",
    phase=1,
    scope="organization",
    fetch=fetch,
    families=families,
    records=lambda result: result.records(),
    cost=lambda record: record.series,
    default_enabled=False,
    filtered=lambda result: result.left_out,
)
