"""Hand-built snapshots for the collector and exposition tests."""

from exporter.polling.snapshot import (
    CollectorStatus,
    Organization,
    Quota,
    Repository,
    SharedRepository,
    Snapshot,
)


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


def shared(direction="thirdparty", name="busybox", valid=True) -> SharedRepository:
    return SharedRepository(direction, "partner", "group", name, "linux", 100, 2, valid)


DEFAULT_REPOSITORIES = (repo(),)
DEFAULT_SHARED = (shared(),)


def snapshot(
    repositories=DEFAULT_REPOSITORIES, shared_repos=DEFAULT_SHARED, collectors=None, **fields
) -> Snapshot:
    statuses = collectors or tuple(
        CollectorStatus(name, True, 0.5, None, 1700000000.0)
        for name in ("organizations", "repositories", "shared", "quotas")
    )
    data = {
        "organizations": (Organization("group", "manage"),),
        "repositories": tuple(repositories),
        "shared": tuple(shared_repos),
        "quotas": (Quota("namespace", 15, 1),),
    }
    values = dict(
        target="default",
        started_at=1700000000.0,
        duration_seconds=1.25,
        collectors=statuses,
        data=data,
        polls_total=3,
        poll_failures_total=1,
        last_success=1700000001.5,
    )
    values.update(fields)
    return Snapshot(**values)
