"""Automatic collections keep to the young generations while serving; full ones come on a schedule."""

import gc

import pytest

from exporter.garbage import NEVER, FullCollections, young_automatic_collections


def test_while_serving_only_the_young_generations_are_collected_automatically():
    before = gc.get_threshold()
    with young_automatic_collections():
        assert gc.get_threshold() == (before[0], before[1], NEVER)
    assert gc.get_threshold() == before


def test_the_thresholds_come_back_when_serving_fails():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), young_automatic_collections():
        raise RuntimeError("serve failed")
    assert gc.get_threshold() == before


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_full_collection_runs_once_per_period():
    clock, runs = Clock(), []
    schedule = FullCollections(every=3600.0, clock=clock, collect=lambda: runs.append(clock.now) or 0)
    for now in (100.0, 3699.9, 3700.0, 3700.2, 7299.0, 7300.5):
        clock.now = now
        schedule.due()
    assert runs == [3700.0, 7300.5]

