"""Collector ``enterprise_artifacts``: every artifact of every Enterprise repository, and the vulnerabilities
of each repository's most recently pushed one.

Per repository of a watched running instance: ``.../namespaces/{ns}/repositories/{repo}/artifacts``
(ListInstanceArtifacts, offset paging), then ``.../artifacts/{digest}?with_scan_overview=true``
(ShowInstanceArtifact) for the artifact pushed last. The repositories come from this poll's
``enterprise`` collector, else from one ListAllInstanceRepositories listing. Off by default, hourly when
on; per-artifact series get the ``max_series`` budget last::

    # HELP swr_enterprise_artifact_size_bytes Size of the Enterprise artifact, bytes.
    # TYPE swr_enterprise_artifact_size_bytes gauge
    swr_enterprise_artifact_size_bytes{instance_name="ee",organization="t",repository="a/b",digest="d"} 9.0

A never-pulled artifact has Harbor's zero time (``0001-01-01T00:00:00Z``) as ``pull_time``: no series.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from prometheus_client.core import Metric

from exporter import metrics
from exporter.collectors import enterprise
from exporter.collectors.enterprise_records import EnterpriseRepository
from exporter.collectors.fields import Item
from exporter.collectors.spec import CollectorSpec, FetchContext, PartialFailure
from exporter.swr.errors import ApiError, InvalidResponse

LIST = "ListInstanceArtifacts"
SHOW = "ShowInstanceArtifact"
SEVERITIES = ("Critical", "High", "Medium", "Low", "Unknown")


@dataclass(frozen=True, slots=True)
class Artifact:
    instance_name: str
    organization: str
    repository: str
    digest: str
    size: int | None
    pushed: float | None
    pulled: float | None
    tags: tuple[str, ...]

    @property
    def series(self) -> int:
        return sum(v is not None for v in (self.size, self.pushed, self.pulled)) + len(self.tags)


@dataclass(frozen=True, slots=True)
class Vulnerabilities:
    instance_name: str
    organization: str
    repository: str
    counts: tuple[tuple[str, int], ...]  # (severity, count)

    @property
    def series(self) -> int:
        return len(self.counts)


Record = Artifact | Vulnerabilities


def _time(item: Item, key: str) -> float | None:
    """Harbor's zero time (year 1) stands for never."""
    text = item.text(key)
    return None if text is None or text.startswith("0001-01-01") else item.timestamp(key)


def parse_artifacts(operation: str, repo: EnterpriseRepository, items: Sequence[object]) -> list[Artifact]:
    found: dict[str, Artifact] = {}
    for index, obj in enumerate(items):
        item = Item(operation, f"artifact {index}", obj)
        names = sorted({Item(operation, f"artifact {index} tag {n}", tag).name("name")
                        for n, tag in enumerate(item.sequence("tags"))})
        artifact = Artifact(repo.instance_name, repo.organization, repo.name, item.name("digest"),
                            item.count("size"), _time(item, "push_time"), _time(item, "pull_time"),
                            tuple(names))
        found.setdefault(artifact.digest, artifact)
    return list(found.values())


def parse_scan(operation: str, repo: EnterpriseRepository, obj: object) -> Vulnerabilities | None:
    """The first successful report of ``scan_overview`` (by MIME type); None when none succeeded."""
    overview = Item(operation, "artifact", obj).obj.get("scan_overview")
    if not overview:
        return None
    if not isinstance(overview, dict):
        raise InvalidResponse(operation, f"artifact field 'scan_overview': expected an object, got "
                                         f"{type(overview).__name__}")
    for mime in sorted(overview):
        report = Item(operation, f"scan_overview {mime!r}", overview[mime])
        if report.text("scan_status") != "Success":
            continue
        summary = report.obj.get("summary") or {}
        counts = Item(operation, f"scan_overview {mime!r} summary", summary).obj.get("summary") or {}
        by_severity = Item(operation, f"scan_overview {mime!r} summary.summary", counts)
        names = [*SEVERITIES, *sorted(k for k in by_severity.obj if k not in SEVERITIES)]
        values = tuple((name, by_severity.count(name) or 0) for name in names)
        return Vulnerabilities(repo.instance_name, repo.organization, repo.name, values)
    return None


def _repositories(ctx: FetchContext) -> tuple[EnterpriseRepository, ...]:
    earlier = ctx.earlier.get(enterprise.SPEC)
    if earlier is not None:
        up = {i.name for i in earlier.instances if i.status == "Running"}
        return tuple(r for r in earlier.repositories if r.instance_name in up)
    return enterprise.repositories(ctx, enterprise.running(ctx))


def _one(ctx: FetchContext, repo: EnterpriseRepository) -> list[Record]:
    client = ctx.client
    items = client.list_instance_artifacts(repo.instance_id, repo.organization, repo.name)
    artifacts: list[Record] = list(client.decode(LIST, partial(parse_artifacts, LIST, repo, items)))
    pushed = [a for a in artifacts if isinstance(a, Artifact)]
    if not pushed:
        return artifacts
    latest = max(pushed, key=lambda a: (a.pushed if a.pushed is not None else float("-inf"), a.digest))
    answer = client.show_instance_artifact(repo.instance_id, repo.organization, repo.name, latest.digest)
    scan = client.decode(SHOW, partial(parse_scan, SHOW, repo, answer))
    return artifacts if scan is None else [*artifacts, scan]


def fetch(ctx: FetchContext) -> tuple[Record, ...]:
    repos = _repositories(ctx)
    answers = ctx.client.map(partial(_one, ctx), repos)
    records: list[Record] = []
    failures = []
    for repo, answer in zip(repos, answers, strict=True):
        if isinstance(answer, ApiError):
            if answer.reason != "not_found":  # deleted since it was listed
                failures.append(f"{repo.instance_name}/{repo.organization}/{repo.name}: {answer}")
        else:
            records.extend(answer)
    if failures:
        raise PartialFailure(f"{len(failures)} of {len(repos)} artifact listings failed; first {failures[0]}",
                             tuple(records))
    return tuple(records)


def families(_: tuple[Record, ...], kept: Sequence[Record]) -> Iterator[Metric]:
    artifacts = [r for r in kept if isinstance(r, Artifact)]
    rows = (((a.instance_name, a.organization, a.repository, a.digest), (a.size, a.pushed, a.pulled))
            for a in artifacts)
    yield from metrics.valued_families(
        (metrics.EE_ARTIFACT_SIZE, metrics.EE_ARTIFACT_PUSHED, metrics.EE_ARTIFACT_PULLED), rows)
    tags = metrics.EE_ARTIFACT_TAG_INFO.gauge()
    for a in artifacts:
        for tag in a.tags:
            tags.add_metric([a.instance_name, a.organization, a.repository, a.digest, tag], 1.0)
    yield tags
    vulnerabilities = metrics.EE_LATEST_VULNERABILITIES.gauge()
    for v in kept:
        if isinstance(v, Vulnerabilities):
            for severity, count in v.counts:
                vulnerabilities.add_metric([v.instance_name, v.organization, v.repository, severity], count)
    yield vulnerabilities


SPEC: CollectorSpec[tuple[Record, ...], Record] = CollectorSpec(
    name="enterprise_artifacts",
    phase=2,
    scope="organization",
    fetch=fetch,
    families=families,
    records=lambda records: records,
    cost=lambda record: record.series,
    default_enabled=False,
    default_interval=3600.0,
    explosive=True,
)
