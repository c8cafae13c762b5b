"""The landing page: what this exporter watches and how its last polls went, for a person."""

from __future__ import annotations

import time
from collections.abc import Sequence
from html import escape

from .model import Snapshot


def _age(now: float, then: float | None) -> str:
    if then is None:
        return "never"
    seconds = max(0, int(now - then))
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60}m ago"
    return f"{seconds // 3600}h ago"


def _when(then: float | None) -> str:
    return "never" if then is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(then))


def _target_section(name: str, snapshot: Snapshot | None, now: float) -> str:
    if snapshot is None:
        return f"<h2>Target {escape(name)}</h2><p>First poll in progress.</p>"
    rows = "".join(
        f"<tr><td>{escape(s.name)}</td><td class={'ok' if s.success else 'fail'}>"
        f"{'ok' if s.success else 'failed'}</td><td>{s.duration_seconds:.2f}s</td>"
        f"<td>{_age(now, s.last_success)}</td><td>{escape(s.error or '')}</td></tr>"
        for s in snapshot.collectors
    )
    top = sorted(
        (r for r in snapshot.repositories if r.size_bytes is not None),
        key=lambda r: r.size_bytes or 0,
        reverse=True,
    )[:10]
    top_rows = "".join(
        f"<tr><td>{escape(r.organization)}</td><td>{escape(r.name)}</td>"
        f"<td>{(r.size_bytes or 0) / 1e6:,.1f} MB</td><td>{'' if r.images is None else r.images}</td></tr>"
        for r in top
    )
    return (
        f"<h2>Target {escape(name)}</h2>"
        f"<p>Last poll {_when(snapshot.started_at)} ({_age(now, snapshot.started_at)}), took "
        f"{snapshot.duration_seconds:.2f}s, {'succeeded' if snapshot.up else 'had failures'}. "
        f"{len(snapshot.organizations)} organizations, {len(snapshot.repositories)} repositories.</p>"
        "<table><tr><th>collector</th><th>result</th><th>duration</th><th>data from</th><th>error</th></tr>"
        f"{rows}</table>"
        "<h3>Largest repositories</h3><table><tr><th>organization</th><th>repository</th><th>size</th>"
        f"<th>images</th></tr>{top_rows}</table>"
    )


STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.ok{color:#070}.fail{color:#b00}"
)


def render(
    version: str, telemetry_path: str, targets: Sequence[tuple[str, Snapshot | None]], now: float
) -> bytes:
    sections = "".join(_target_section(name, snapshot, now) for name, snapshot in targets)
    page = (
        "<!DOCTYPE html><html><head><meta charset=utf-8><title>SWR Exporter</title>"
        f"<style>{STYLE}</style></head><body><h1>SWR Exporter</h1>"
        f"<p>Version {escape(version)}. Prometheus exporter for Huawei Cloud SWR.</p>"
        f"<ul><li><a href='{escape(telemetry_path)}'>Metrics</a></li>"
        "<li><a href='/-/healthy'>Health</a></li><li><a href='/-/ready'>Readiness</a></li></ul>"
        f"{sections}</body></html>"
    )
    return page.encode("utf-8")
