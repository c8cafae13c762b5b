"""The landing page: what this exporter watches and how its last polls went, for a person.

One glance answers: which version, which targets, when each last polled and whether each collector
succeeded, how old the data is, the largest repositories, and where the metrics and dashboards are.
The page is built from the snapshots already in memory; it never calls the SWR API. Secrets never
reach it: snapshots hold none.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from exporter.collectors import organizations, repositories
from exporter.collectors.repositories import Repository
from exporter.config.durations import format_duration
from exporter.polling.poller import Poller
from exporter.polling.snapshot import CollectorStatus, Snapshot

REPOSITORY_URL = "https://github.com/swr-exporter/swr-exporter"
TOP_REPOSITORIES = 10


@dataclass(frozen=True)
class Dashboard:
    title: str
    uid: str
    file: str


# The Grafana dashboards shipped in dashboards/ (a test keeps this list in step with the files). The
# exporter does not serve them: Grafana imports them by file or through provisioning.
DASHBOARDS = (
    Dashboard("SWR / Registry overview", "swr-overview", "dashboards/swr-overview.json"),
    Dashboard("SWR / Repository", "swr-repository", "dashboards/swr-repository.json"),
    Dashboard("SWR / Sharing", "swr-sharing", "dashboards/swr-sharing.json"),
    Dashboard("SWR / Enterprise Edition", "swr-enterprise", "dashboards/swr-enterprise.json"),
    Dashboard("SWR / Exporter health", "swr-exporter-health", "dashboards/swr-exporter-health.json"),
)

@dataclass(frozen=True)
class TargetView:
    """What the page shows of one target: where it is, how often it is polled, and its last snapshot."""

    name: str
    snapshot: Snapshot | None
    region: str = ""
    endpoint: str = ""
    project_id: str | None = None  # the configured project, else the one looked up, once known
    poll_interval: float | None = None

    @classmethod
    def of(cls, poller: Poller) -> TargetView:
        target = poller.target
        return cls(target.name, poller.snapshot, target.region, target.endpoint,
                   target.project_id or poller.project_id, target.polling.poll_interval)

    @property
    def order(self) -> int:
        """Failing targets first, then those still in their first poll, then the healthy ones."""
        up = None if self.snapshot is None else self.snapshot.up
        return 0 if up is False else 1 if up is None else 2


STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5em 2em;max-width:72em;color:#222}"
    "h1{margin-bottom:.2em}h2{margin-top:1.4em;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .7em;"
    "text-align:left}th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".ok{color:#070;font-weight:bold}.fail{color:#b00;font-weight:bold}.stale{color:#a60}"
    ".muted{color:#666}nav a{margin-right:1.2em}code{background:#f4f4f4;padding:0 .2em}"
    ".demo{background:#fff4ce;border:1px solid #e0c060;padding:.6em 1em;margin:1em 0}"
)


def _age(now: float, then: float | None) -> str:
    if then is None:
        return "never"
    seconds = max(0, int(now - then))
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60}m ago"
    if seconds < 172_800:
        return f"{seconds // 3600}h ago"
    return f"{seconds // 86_400}d ago"


def _when(then: float | None) -> str:
    return "never" if then is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(then))


def _size(size: int | None) -> str:
    if size is None:
        return ""
    scaled = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if scaled < 1024:
            return f"{scaled:,.0f} {unit}" if unit == "B" else f"{scaled:,.1f} {unit}"
        scaled /= 1024
    return f"{scaled:,.1f} TiB"


def _result(status: CollectorStatus) -> str:
    if status.success:
        return "<span class=ok>ok</span>"
    served = " <span class=stale>(serving earlier data)</span>" if status.stale else ""
    return f"<span class=fail>failed</span>{served}"


def _collector_rows(statuses: Sequence[CollectorStatus], now: float) -> str:
    return "".join(
        f"<tr><td>{escape(s.name)}</td><td>{_result(s)}</td><td class=num>{s.duration_seconds:.2f}s</td>"
        f"<td>{_age(now, s.last_success)}</td><td>{escape(s.error or '')}</td></tr>"
        for s in statuses
    )


def _top_rows(repositories: Sequence[Repository]) -> str:
    # nlargest, not a full sort: the page is drawn per request and an account may have 50,000 repositories.
    sized = (r for r in repositories if r.size_bytes is not None)
    top = heapq.nlargest(TOP_REPOSITORIES, sized, key=lambda r: r.size_bytes or 0)
    return "".join(
        f"<tr><td>{escape(r.organization)}</td><td>{escape(r.name)}</td>"
        f"<td class=num>{_size(r.size_bytes)}</td>"
        f"<td class=num>{'' if r.images is None else r.images}</td>"
        f"<td>{'public' if r.public else 'private' if r.public is not None else ''}</td></tr>"
        for r in top
    )


def _target_section(view: TargetView, now: float) -> str:
    name, snapshot = view.name, view.snapshot
    heading = f"<h2 id='target-{escape(name)}'>Target {escape(name)}</h2>"
    if snapshot is None:
        return f"{heading}<p>First poll in progress.</p>"
    orgs = snapshot.get(organizations.SPEC)
    repos = snapshot.get(repositories.SPEC) or ()
    top = _top_rows(repos)
    if snapshot.duration_seconds is None:
        poll = (f"First poll in progress since {_when(snapshot.started_at)}; still running: "
                f"{escape(', '.join(snapshot.pending))}. Serving what has finished.")
    else:
        outcome = "<span class=ok>succeeded</span>" if snapshot.up else "<span class=fail>had failures</span>"
        poll = (f"Last poll {_when(snapshot.started_at)} ({_age(now, snapshot.started_at)}), took "
                f"{snapshot.duration_seconds:.2f}s, {outcome}.")
    return (
        f"{heading}<p>{poll} Last fully successful poll "
        f"{_age(now, snapshot.last_success)}. {len(orgs.watched) if orgs else 0} organizations, "
        f"{len(repos)} repositories.</p>"
        "<table class=collectors><tr><th>collector</th><th>result</th><th>duration</th><th>data from</th>"
        f"<th>error</th></tr>{_collector_rows(snapshot.collectors, now)}</table>"
        "<h3>Largest repositories</h3>"
        + (
            "<table class=top><tr><th>organization</th><th>repository</th><th>size</th><th>images</th>"
            f"<th>visibility</th></tr>{top}</table>"
            if top
            else "<p class=muted>No repositories.</p>"
        )
    )


def _state(snapshot: Snapshot | None) -> str:
    if snapshot is None or snapshot.up is None:
        return "<span class=muted>first poll in progress</span>"
    return "<span class=ok>up</span>" if snapshot.up else "<span class=fail>failing</span>"


def _project(view: TargetView) -> str:
    if view.project_id:
        return f"<code>{escape(view.project_id)}</code>"
    return "<span class=muted>looked up at the first poll</span>"


def _summary(targets: Sequence[TargetView]) -> str:
    rows = "".join(
        f"<tr><td><a href='#target-{escape(t.name)}'>{escape(t.name)}</a></td><td>{_state(t.snapshot)}</td>"
        f"<td>{escape(t.region)}</td><td>{escape(t.endpoint)}</td><td>{_project(t)}</td>"
        f"<td>{'' if t.poll_interval is None else format_duration(t.poll_interval)}</td></tr>"
        for t in targets
    )
    return (
        "<h2>Targets</h2><table class=targets><tr><th>target</th><th>last poll</th><th>region</th>"
        f"<th>endpoint</th><th>project</th><th>poll interval</th></tr>{rows}</table>"
    )


DEMO_BANNER = (
    "<p class=demo><strong>Demo.</strong> This exporter polls its built-in SWR simulator "
    "(<code>--demo</code>): the account, organizations and repositories below are made up. Run it with "
    "<code>--config.file</code> to watch a real account.</p>"
)


def _dashboards() -> str:
    items = "".join(
        f"<li>{escape(d.title)}: uid <code>{escape(d.uid)}</code>, "
        f"<a href='{REPOSITORY_URL}/blob/main/{escape(d.file)}'>{escape(d.file)}</a></li>"
        for d in DASHBOARDS
    )
    return (
        "<h2>Grafana dashboards</h2><p>Import these into Grafana (Dashboards, New, Import) or provision "
        f"them; they are not served here.</p><ul class=dashboards>{items}</ul>"
    )


def render(
    version: str, telemetry_path: str, targets: Sequence[TargetView], now: float, demo: bool = False
) -> bytes:
    ordered = sorted(targets, key=lambda view: view.order)  # stable: configuration order within a state
    sections = "".join(_target_section(view, now) for view in ordered)
    page = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'><title>SWR Exporter</title>"
        f"<style>{STYLE}</style></head><body><h1>SWR Exporter{' (demo)' if demo else ''}</h1>"
        f"{DEMO_BANNER if demo else ''}"
        f"<p>Version <span class=version>{escape(version)}</span>. Prometheus exporter for Huawei Cloud SWR; "
        f"page rendered {_when(now)}.</p>"
        f"<nav><a href='{escape(telemetry_path)}'>Metrics</a><a href='/-/healthy'>Health</a>"
        f"<a href='/-/ready'>Readiness</a><a href='{REPOSITORY_URL}'>Documentation</a></nav>"
        f"{_summary(ordered)}{sections}{_dashboards()}</body></html>"
    )
    return page.encode("utf-8")
