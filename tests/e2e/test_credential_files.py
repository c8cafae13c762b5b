"""A temporary triple in files, rotated under a running exporter: the three files are read together, a
half-written rotation is never used to sign (the simulator would refuse the mix with a 401), and a
complete one is taken at the next request, the old triple revoked meanwhile."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from exporter.simulator import Account, Dataset, Simulator
from tests.e2e.harness import config_for, exporter_settings, running_exporter

pytestmark = pytest.mark.e2e

FILES = {"ak": "access", "sk": "secret", "st": "securitytoken"}


def write(tmp: Path, triple: dict, names: tuple[str, ...] = ("ak", "sk", "st")) -> None:
    for name in names:
        staged = tmp / f".{name}"
        staged.write_text(triple[FILES[name]] + "\n")
        os.replace(staged, tmp / name)


def files_config(sim: Simulator, tmp: Path, **extra):
    auth = {"type": "aksk", "access_key_file": str(tmp / "ak"), "secret_key_file": str(tmp / "sk"),
            "security_token_file": str(tmp / "st")}
    settings = exporter_settings(sim, sim.account, auth=auth, **extra)
    settings.pop("project_id")
    return config_for(settings)


def simulator() -> Simulator:
    dataset = Dataset.generate(seed=12, organizations=2, repositories=5, tags_per_repository=1)
    return Simulator(dataset=dataset, account=Account.generate())


@pytest.mark.parametrize("first", [("ak", "sk"), ("st",)], ids=["keys-first", "token-first"])
def test_a_half_rotation_never_signs_and_a_complete_one_is_taken_at_once(tmp_path, first) -> None:
    with simulator() as sim:
        old = sim.issuers.issue("files")
        write(tmp_path, old)
        with running_exporter(files_config(sim, tmp_path)) as exporter:
            assert exporter.poll().up
            new = sim.issuers.issue("files")
            write(tmp_path, new, first)
            half = exporter.poll()
            write(tmp_path, new, tuple(name for name in FILES if name not in first))
            sim.issuers.revoke(old["access"])
            complete = exporter.poll()
        refused = [r for r in sim.requests if r.status == 401]
    assert half.up, [s.error for s in half.collectors]  # still the old, complete triple
    assert complete.up, [s.error for s in complete.collectors]
    assert refused == []  # neither the mix nor the revoked triple was ever sent


def test_a_rotated_triple_recovers_within_two_poll_intervals_of_the_running_poller(tmp_path) -> None:
    """The poller runs on its own every second; the old triple is revoked and the files replaced: a
    poll started at most two intervals later is fully up again."""
    with simulator() as sim:
        old = sim.issuers.issue("files")
        write(tmp_path, old)
        with running_exporter(files_config(sim, tmp_path, poll_interval="1s")) as exporter:
            stop = threading.Event()
            exporter.runtime.start(stop)
            try:
                assert _next_snapshot(exporter, after=0.0).up
                sim.issuers.revoke(old["access"])
                write(tmp_path, sim.issuers.issue("files"))
                rotated = time.time()
                first = _next_snapshot(exporter, after=rotated)
                second = first if first.up else _next_snapshot(exporter, after=first.started_at)
            finally:
                stop.set()
                exporter.runtime.join(5.0)
    assert second.up, [s.error for s in second.collectors]
    assert second.started_at - rotated <= 2 * 1.0 + 1.0  # within two intervals of the next poll


def _next_snapshot(exporter, after: float, seconds: float = 30.0):
    """The first complete snapshot the running poller published of a poll started after ``after``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        snap = exporter.poller.snapshot
        if snap is not None and snap.started_at > after and snap.duration_seconds is not None:
            return snap
        time.sleep(0.05)
    raise AssertionError("the poller published no snapshot")
