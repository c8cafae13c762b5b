"""Polling settings: read once per layer (the top level, then each target) and merged into a Polling.

A target's keys replace the top-level ones, except ``collectors``, which merges switch by switch so that
``collectors: {tags: true}`` in one target keeps the other switches of the top level.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from exporter.collectors.registry import switchable
from exporter.config.durations import format_duration
from exporter.config.fields import Node, join, type_name
from exporter.config.model import (
    Collectors,
    EnterpriseSettings,
    OrganizationFilter,
    Polling,
    RepositoryRef,
    Shard,
    TLSConfig,
)

# The collector registry, not this module, knows the collectors: their switches and intervals are its names.
COLLECTOR_NAMES = switchable()
_TRAILING_NUMBER = re.compile(r"(\d+)$")


@dataclass
class Layer:
    """The polling keys one mapping sets, valid ones with the YAML path each came from."""

    values: dict[str, object] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    collectors: dict[str, bool] = field(default_factory=dict)
    intervals: dict[str, float] = field(default_factory=dict)
    invalid: set[str] = field(default_factory=set)


def read_polling(node: Node) -> Layer:
    layer = Layer()
    for key, reader in _READERS.items():
        if not node.has(key):
            continue
        before = len(node.ctx.problems)
        value = reader(node, key)
        if value is None or len(node.ctx.problems) > before:
            layer.invalid.add(key)
        elif key == "collectors":
            layer.collectors = value  # type: ignore[assignment]
        elif key == "collector_intervals":
            layer.intervals = value  # type: ignore[assignment]
        else:
            layer.values[key] = value
            layer.paths[key] = node.at(key)
    return layer


def build_polling(node: Node, defaults: Layer, own: Layer) -> Polling:
    values = {**defaults.values, **own.values}
    paths = {**defaults.paths, **own.paths}
    if not {"poll_interval", "max_staleness"} & (defaults.invalid | own.invalid):
        _check_staleness(node, values, paths)
    collectors = Collectors(tuple(sorted({**defaults.collectors, **own.collectors}.items())))
    intervals = tuple(sorted({**defaults.intervals, **own.intervals}.items()))
    return Polling(**values, collectors=collectors, collector_intervals=intervals)  # type: ignore[arg-type]


def _check_staleness(node: Node, values: Mapping[str, object], paths: Mapping[str, str]) -> None:
    staleness = values.get("max_staleness")
    interval = values.get("poll_interval", Polling.poll_interval)
    if not isinstance(staleness, float) or not isinstance(interval, float) or staleness >= interval:
        return
    where = paths["max_staleness"]
    interval_path = paths.get("poll_interval")
    sibling = where.removesuffix("max_staleness") + "poll_interval"
    name = "poll_interval" if interval_path in (None, sibling) else interval_path
    node.ctx.add(where, f"must not be shorter than {name} ({format_duration(interval)}), "
                        f"got {format_duration(staleness)}")


def _organizations(node: Node, key: str) -> OrganizationFilter | None:
    section = node.mapping(key)
    if section is None:
        return None
    section.check_keys(("include", "exclude"))
    return OrganizationFilter(include=_patterns(section, "include"), exclude=_patterns(section, "exclude"))


def _patterns(node: Node, key: str) -> tuple[re.Pattern[str], ...]:
    patterns = []
    for index, item in enumerate(node.sequence(key) or ()):
        path = join(node.at(key), index)
        if not isinstance(item, str):
            node.ctx.add(path, f"must be a regular expression string, got {type_name(item)}")
            continue
        try:
            patterns.append(re.compile(item))
        except re.error as exc:
            node.ctx.add(path, f'invalid regular expression "{item}": {exc}')
    return tuple(patterns)


def _enterprise(node: Node, key: str) -> EnterpriseSettings | None:
    section = node.mapping(key)
    if section is None:
        return None
    section.check_keys(("instances",))
    if not section.has("instances"):
        return EnterpriseSettings()
    instances = _organizations(section, "instances")
    return None if instances is None else EnterpriseSettings(instances=instances)


def _repositories(node: Node, key: str) -> tuple[RepositoryRef, ...] | None:
    items = node.sequence(key)
    if items is None:
        return None
    seen: dict[RepositoryRef, int] = {}
    for index, item in enumerate(items):
        path = join(node.at(key), index)
        if not isinstance(item, Mapping):
            node.ctx.add(path, f"must be a mapping with organization and name, got {type_name(item)}")
            continue
        entry = Node(item, path, node.ctx)
        entry.check_keys(("organization", "name"))
        organization = entry.string("organization", required="required")
        name = entry.string("name", required="required")
        if organization is None or name is None:
            continue
        ref = RepositoryRef(organization, name)
        if ref in seen:
            node.ctx.add(path, f"duplicate of {join(node.at(key), seen[ref])}")
        else:
            seen[ref] = index
    return tuple(seen)


def _collectors(node: Node, key: str) -> dict[str, bool] | None:
    section = node.mapping(key)
    if section is None:
        return None
    section.check_keys(COLLECTOR_NAMES)
    switches = {name: section.boolean(name) for name in COLLECTOR_NAMES}
    return {name: value for name, value in switches.items() if value is not None}


def _collector_intervals(node: Node, key: str) -> dict[str, float] | None:
    section = node.mapping(key)
    if section is None:
        return None
    section.check_keys(COLLECTOR_NAMES)
    intervals = {name: section.duration(name, minimum=1.0) for name in COLLECTOR_NAMES if section.has(name)}
    return {name: value for name, value in intervals.items() if value is not None}


def _shard(node: Node, key: str) -> Shard | None:
    section = node.mapping(key)
    if section is None:
        return None
    section.check_keys(("index", "total"))
    total = section.integer("total", 1)
    index = _shard_index(section)
    if index is None or total is None:
        # Absent keys take their defaults; invalid ones have been reported.
        if section.has("index") or section.has("total"):
            return None
        return Shard()
    if index >= total:
        section.add("index", f"must be less than total ({total}), got {index}")
        return None
    return Shard(index=index, total=total)


def _shard_index(section: Node) -> int | None:
    value = section.data.get("index")
    if value != "auto":
        if isinstance(value, str):
            section.add("index", f'must be an integer or "auto", got "{value}"')
            return None
        return section.integer("index", 0)
    host = section.ctx.host()
    match = _TRAILING_NUMBER.search(host)
    if match is None:
        section.add("index", f'"auto" needs a host name that ends in a number (a StatefulSet pod such as '
                             f'"swr-exporter-3"), but the host name is "{host}"')
        return None
    return int(match.group(1))


def _tls(node: Node, key: str) -> TLSConfig | None:
    section = node.mapping(key)
    if section is None:
        return None
    section.check_keys(("ca_file", "insecure_skip_verify"))
    ca_file = section.file_path("ca_file") if section.has("ca_file") else None
    return TLSConfig(ca_file=ca_file, insecure_skip_verify=bool(section.boolean("insecure_skip_verify")))


_READERS: dict[str, Callable[[Node, str], object]] = {
    "poll_interval": lambda node, key: node.duration(key, minimum=1.0),
    "request_timeout": lambda node, key: node.duration(key),
    "max_concurrency": lambda node, key: node.integer(key, 1, 64),
    "rate_limit": lambda node, key: node.positive_number(key),
    "retries": lambda node, key: node.integer(key, 0, 10),
    "max_staleness": lambda node, key: node.duration(key),
    "organizations": _organizations,
    "repositories": _repositories,
    "collectors": _collectors,
    "collector_intervals": _collector_intervals,
    "max_series": lambda node, key: node.integer(key, 1),
    "shard": _shard,
    "tls": _tls,
    "enterprise": _enterprise,
}
POLLING_KEYS = tuple(_READERS)
