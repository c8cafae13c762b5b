"""``--config.check``: what each target will call and collect, for a person to read before deploying.

Nothing is called: the endpoints are those of the configuration (or the region's defaults it filled in),
the collectors and intervals those the poller will run.
"""

from __future__ import annotations

from collections.abc import Iterator

from exporter.collectors.registry import REGISTRY
from exporter.config.durations import format_duration
from exporter.config.model import Config, Target


def iam_calls(target: Target) -> str | None:
    """Why the target calls IAM, or None when it never does."""
    if target.auth.type == "password":
        return "password login (KeystoneCreateUserTokenByPassword)"
    if target.project_id is None:
        return "project lookup (KeystoneListProjects)"
    return None


def _collectors(target: Target) -> Iterator[str]:
    polling = target.polling
    for spec in REGISTRY:
        if spec.enabled(polling):
            yield f"    {spec.name:<14} every {format_duration(spec.interval(polling))}"
    off = [spec.name for spec in REGISTRY if not spec.enabled(polling)]
    if off:
        yield f"    not run: {', '.join(off)}"


def describe_target(target: Target) -> Iterator[str]:
    polling = target.polling
    project = target.project_id or "looked up at the first poll"
    yield f"target {target.name}: region {target.region}, project {project}, auth {target.auth.type}"
    yield f"  SWR endpoint   {target.endpoint}"
    iam = iam_calls(target)
    yield f"  IAM endpoint   {target.iam_endpoint} ({iam})" if iam else "  IAM endpoint   not used"
    shard = f", shard {polling.shard.index} of {polling.shard.total}" if polling.shard.narrows else ""
    yield f"  poll interval  {format_duration(polling.poll_interval)}{shard}"
    yield "  collectors"
    yield from _collectors(target)


def describe(config: Config, source: str) -> str:
    count = len(config.targets)
    lines = [f"{source}: configuration is valid ({count} target{'' if count == 1 else 's'})"]
    for target in config.targets:
        lines.extend(describe_target(target))
    return "\n".join(lines)
