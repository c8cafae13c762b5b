"""The ordered collector registry: adding a collector is one module in this package and one line here.

Order matters twice: collectors run phase by phase (a phase may use what earlier phases produced), and
their families are written in this order. The ``max_series`` budget goes first to the collectors that are
not ``explosive`` (the account's own objects), in this order, then to the explosive ones.
"""

from __future__ import annotations

from typing import Any

from exporter.collectors import (
    enterprise,
    enterprise_artifacts,
    enterprise_jobs,
    organizations,
    overview,
    quotas,
    repositories,
    shared,
    shares,
    tags,
)
from exporter.collectors.spec import CollectorSpec, FetchContext, PartialFailure, Results, Unavailable
from exporter.config.model import Polling

__all__ = [
    "REGISTRY", "CollectorSpec", "FetchContext", "PartialFailure", "Results", "Unavailable",
    "enabled", "phases", "switchable",
]

REGISTRY: tuple[CollectorSpec[Any, Any], ...] = (
    organizations.SPEC,
    repositories.SPEC,
    shared.SPEC,
    shares.SPEC,
    tags.SPEC,
    quotas.SPEC,
    overview.SPEC,
    enterprise.SPEC,
    enterprise_jobs.SPEC,
    enterprise_artifacts.SPEC,
)


def switchable(registry: tuple[CollectorSpec[Any, Any], ...] = REGISTRY) -> tuple[str, ...]:
    """The keys of the config's ``collectors:`` and ``collector_intervals``."""
    return tuple(spec.name for spec in registry if spec.switchable)


def enabled(polling: Polling, registry: tuple[CollectorSpec[Any, Any], ...] = REGISTRY) -> tuple[str, ...]:
    return tuple(spec.name for spec in registry if spec.enabled(polling))


def phases(
    registry: tuple[CollectorSpec[Any, Any], ...] = REGISTRY,
) -> tuple[tuple[CollectorSpec[Any, Any], ...], ...]:
    """The specs grouped by phase, phases in ascending order, registry order within each."""
    numbers = sorted({spec.phase for spec in registry})
    return tuple(tuple(spec for spec in registry if spec.phase == number) for number in numbers)
