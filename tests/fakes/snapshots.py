"""Hand-built snapshots for the exposition, landing page and server tests."""

from __future__ import annotations

from typing import Any

from exporter.collectors import organizations, quotas
from exporter.collectors import repositories as repositories_collector
from exporter.collectors import shared as shared_collector
from exporter.collectors.organizations import Organization, Organizations
from exporter.collectors.quotas import Quota
from exporter.collectors.repositories import Repository
from exporter.collectors.shared import SharedRepository
from exporter.collectors.spec import CollectorSpec, Results
from exporter.polling.snapshot import CollectorStatus, Snapshot


def repo(org="group", name="busybox", **values) -> Repository:
    fields = dict(
        category="other",
        size_bytes=2099575,
        images=1,
        downloads=7,
        public=False,
        created=1622627965.51307,
        updated=1622656765.538056,
    )
    fields.update(values)
    return Repository(organization=org, name=name, **fields)


def shared_repo(direction="thirdparty", name="busybox", valid=True) -> SharedRepository:
    return SharedRepository(direction, "partner", "group", name, "linux", 100, 2, valid)


shared = shared_repo  # the name the tests have always used

DEFAULT_REPOSITORIES = (repo(),)
DEFAULT_SHARED = (shared_repo(),)


def results(*pairs: tuple[CollectorSpec[Any, Any], Any]) -> Results:
    return Results({spec.name: value for spec, value in pairs})


def snapshot(
    repositories=DEFAULT_REPOSITORIES, shared_repos=DEFAULT_SHARED, collectors=None, filtered_series=0,
    extra: dict[CollectorSpec[Any, Any], Any] | None = None, omit: tuple[CollectorSpec[Any, Any], ...] = (),
    **fields
) -> Snapshot:
    """A snapshot of one good poll; ``extra`` adds collector results, ``omit`` drops some."""
    statuses = collectors or tuple(
        CollectorStatus(name, True, 0.5, None, 1700000000.0)
        for name in ("organizations", "repositories", "shared", "quotas")
    )
    pairs = [
        (organizations.SPEC, Organizations((Organization("group", "manage"),), filtered_series)),
        (repositories_collector.SPEC, tuple(repositories)),
        (shared_collector.SPEC, tuple(shared_repos)),
        (quotas.SPEC, (Quota("namespace", 15, 1),)),
        *(extra or {}).items(),
    ]
    data = results(*(pair for pair in pairs if pair[0] not in omit))
    values = dict(
        target="default",
        started_at=1700000000.0,
        duration_seconds=1.25,
        collectors=statuses,
        results=data,
        polls_total=3,
        poll_failures_total=1,
        last_success=1700000001.5,
    )
    values.update(fields)
    return Snapshot(**values)
