"""Collector ``enterprise_jobs``: SWR Enterprise Edition operations: replication, remote registries,
retention, garbage collection, webhooks and long-term credentials.

For each watched running instance: ListInstanceReplicationPolicies and each policy's
ListInstanceReplicationPolicyExecutions, ListInstanceRegistries, ListInstanceRetentionPolicies and each
policy's ListInstanceRetentionPolicyExecutions, ListGcTasks (marker paging), ListInstanceWebhooks and
each policy's ListInstanceWebhookJobs (``status=failed``, its ``total``), ListInstanceLtCredentials.
Off by default, every 5 minutes when on::

    # HELP swr_enterprise_replication_last_execution_status 1 for the status of the replication ...
    # TYPE swr_enterprise_replication_last_execution_status gauge
    swr_enterprise_replication_last_execution_status{instance_name="ee",policy="to-dr",status="Failed"} 1.0
    swr_enterprise_registry_healthy{instance_name="ee",registry="dr-site"} 0.0
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from typing import TypeVar

from prometheus_client.core import Metric

from exporter import metrics
from exporter.collectors import enterprise
from exporter.collectors import enterprise_jobs_records as parse
from exporter.collectors.enterprise_jobs_records import (
    EXECUTION_STATUSES,
    GC_STATUSES,
    Credential,
    GcRun,
    RegistryHealth,
    ReplicationPolicy,
    RetentionPolicy,
    WebhookFailures,
)
from exporter.collectors.enterprise_records import Instance, state_set
from exporter.collectors.spec import CollectorSpec, FetchContext, PartialFailure
from exporter.swr.api import SwrApi
from exporter.swr.errors import ApiError

T = TypeVar("T")
Record = ReplicationPolicy | RegistryHealth | RetentionPolicy | GcRun | WebhookFailures | Credential
Part = Callable[[SwrApi, Instance], list[Record]]


def _replication(client: SwrApi, instance: Instance) -> list[Record]:
    op = "ListInstanceReplicationPolicies"
    items = client.list_instance_replication_policies(instance.id)
    policies = client.decode(op, partial(parse.parse_replication_policies, op, instance.name, items))
    answers = client.map(lambda p: client.list_instance_replication_policy_executions(instance.id, p.id),
                         policies)
    op = "ListInstanceReplicationPolicyExecutions"
    result: list[Record] = []
    for policy, answer in zip(policies, _ok(answers), strict=True):
        last = None if answer is None else client.decode(
            op, partial(parse.parse_latest_replication, op, answer))
        result.append(replace(policy, last=last))
    return result


def _registries(client: SwrApi, instance: Instance) -> list[Record]:
    op = "ListInstanceRegistries"
    items = client.list_instance_registries(instance.id)
    return list(client.decode(op, partial(parse.parse_registries, op, instance.name, items)))


def _retention(client: SwrApi, instance: Instance) -> list[Record]:
    op = "ListInstanceRetentionPolicies"
    items = client.list_instance_retention_policies(instance.id)
    policies = client.decode(op, partial(parse.parse_retention_policies, op, instance.name, items))
    answers = client.map(lambda p: client.list_instance_retention_policy_executions(
        instance.id, p.organization, p.id), policies)
    op = "ListInstanceRetentionPolicyExecutions"
    result: list[Record] = []
    for policy, answer in zip(policies, _ok(answers), strict=True):
        status = None if answer is None else client.decode(
            op, partial(parse.parse_latest_status, op, answer, "start_time"))
        result.append(replace(policy, status=status))
    return result


def _gc(client: SwrApi, instance: Instance) -> list[Record]:
    op = "ListGcTasks"
    items = client.list_gc_tasks(instance.id)
    run = client.decode(op, partial(parse.parse_latest_gc, op, instance.name, items))
    return [] if run is None else [run]


def _webhooks(client: SwrApi, instance: Instance) -> list[Record]:
    op = "ListInstanceWebhooks"
    items = client.list_instance_webhooks(instance.id)
    policies = client.decode(op, partial(parse.parse_webhooks, op, instance.name, items))
    counts = client.map(lambda p: client.count_instance_webhook_jobs(
        instance.id, p.organization, p.id, "failed"), policies)
    return [replace(policy, failed=count) for policy, count in zip(policies, _ok(counts), strict=True)]


def _credentials(client: SwrApi, instance: Instance) -> list[Record]:
    op = "ListInstanceLtCredentials"
    items = client.list_instance_lt_credentials(instance.id)
    return list(client.decode(op, partial(parse.parse_credentials, op, instance.name, items)))


PARTS: tuple[Part, ...] = (_replication, _registries, _retention, _gc, _webhooks, _credentials)


def _ok(answers: Sequence[T | ApiError]) -> list[T | None]:
    """Answers with a vanished object's (not_found) as None; any other failure is raised."""
    result: list[T | None] = []
    for answer in answers:
        if isinstance(answer, ApiError):
            if answer.reason != "not_found":
                raise answer
            result.append(None)
        else:
            result.append(answer)
    return result


def fetch(ctx: FetchContext) -> tuple[Record, ...]:
    client = ctx.client
    work = [(instance, part) for instance in enterprise.running(ctx) for part in PARTS]
    answers = client.map(lambda job: job[1](client, job[0]), work)
    records: list[Record] = []
    failures = []
    for (instance, _), answer in zip(work, answers, strict=True):
        if isinstance(answer, ApiError):
            failures.append(f"{instance.name}: {answer}")
        else:
            records.extend(answer)
    unique = {(type(r).__name__, r.instance_name, _key(r)): r for r in reversed(records)}
    result = tuple(unique.values())[::-1]
    if failures:
        raise PartialFailure(f"{len(failures)} Enterprise job listings failed; first {failures[0]}", result)
    return result


def _key(record: Record) -> tuple[str, ...]:
    """What makes a record's series unique: a name listed twice gives one series."""
    if isinstance(record, RetentionPolicy | WebhookFailures):
        return (record.organization, record.name if isinstance(record, RetentionPolicy) else record.policy)
    if isinstance(record, GcRun):
        return ()
    return (record.name,)


def families(_: tuple[Record, ...], kept: Sequence[Record]) -> Iterator[Metric]:
    m = metrics
    policy, status, tasks, when = (m.EE_REPLICATION_POLICY_INFO.gauge(), m.EE_REPLICATION_STATUS.gauge(),
                                   m.EE_REPLICATION_TASKS.gauge(), m.EE_REPLICATION_TIMESTAMP.gauge())
    healthy, retention = m.EE_REGISTRY_HEALTHY.gauge(), m.EE_RETENTION_STATUS.gauge()
    gc_status, gc_time, gc_freed = m.EE_GC_STATUS.gauge(), m.EE_GC_TIMESTAMP.gauge(), m.EE_GC_FREED.gauge()
    webhooks, expiry = m.EE_WEBHOOK_FAILED_JOBS.gauge(), m.EE_CREDENTIAL_EXPIRY.gauge()
    for r in kept:
        if isinstance(r, ReplicationPolicy):
            policy.add_metric([r.instance_name, r.name, r.trigger, r.enabled], 1.0)
            if r.last is not None:
                for name, value in state_set(EXECUTION_STATUSES, r.last.status):
                    status.add_metric([r.instance_name, r.name, name], value)
                for result, count in r.last.tasks:
                    m.add(tasks, [r.instance_name, r.name, result], count)
                m.add(when, [r.instance_name, r.name], r.last.created)
        elif isinstance(r, RegistryHealth):
            healthy.add_metric([r.instance_name, r.name], float(r.healthy))
        elif isinstance(r, RetentionPolicy) and r.status is not None:
            for name, value in state_set(EXECUTION_STATUSES, r.status):
                retention.add_metric([r.instance_name, r.organization, r.name, name], value)
        elif isinstance(r, GcRun):
            for name, value in state_set(GC_STATUSES, r.status):
                gc_status.add_metric([r.instance_name, name], value)
            m.add(gc_time, [r.instance_name], r.created)
            m.add(gc_freed, [r.instance_name], r.freed)
        elif isinstance(r, WebhookFailures):
            m.add(webhooks, [r.instance_name, r.organization, r.policy], r.failed)
        elif isinstance(r, Credential):
            m.add(expiry, [r.instance_name, r.name], r.expiry)
    yield from (policy, status, tasks, when, healthy, retention, gc_status, gc_time, gc_freed, webhooks,
                expiry)


SPEC: CollectorSpec[tuple[Record, ...], Record] = CollectorSpec(
    name="enterprise_jobs",
    phase=2,
    scope="organization",
    fetch=fetch,
    families=families,
    records=lambda records: records,
    cost=lambda record: record.series,
    default_enabled=False,
    default_interval=300.0,
)
