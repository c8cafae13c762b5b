"""Runtime.apply, the heart of a reload: unchanged targets keep their runtime, the others start or stop."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from exporter.config.loader import Config, parse_config
from exporter.runtime import Runtime, TargetRuntime, build_app, build_runtime

# Nothing listens there: pollers that do start fail at once and wait for their next poll.
UNREACHABLE = "http://127.0.0.1:9"
BASE = {"region": "cn-north-4", "project_id": "0" * 32, "endpoint": UNREACHABLE, "iam_endpoint": UNREACHABLE,
        "auth": {"type": "aksk", "access_key": "fake-ak", "secret_key": "fake-sk"},
        "retries": 0, "poll_interval": "1h"}


def config(*targets: dict, single: bool = False) -> Config:
    if single:
        data = {**BASE, **targets[0]} if targets else dict(BASE)
    else:
        data = {"targets": [{**BASE, **target} for target in targets]}
    return parse_config(data, base_dir=Path("."), environ={}, hostname=lambda: "test-0")


def names(runtime: Runtime) -> list[str]:
    return [each.target.name for each in runtime.targets]


def test_an_unchanged_target_keeps_its_runtime_and_a_changed_one_gets_a_new_one():
    runtime = build_runtime(config({"name": "a"}, {"name": "b"}, {"name": "c"}))
    a, b, c = runtime.targets
    changes = runtime.apply(config({"name": "a"}, {"name": "b", "poll_interval": "2h"}, {"name": "d"}))
    assert names(runtime) == ["a", "b", "d"]
    assert runtime.targets[0] is a
    assert runtime.targets[1] is not b and runtime.targets[1].target.polling.poll_interval == 7200
    assert (changes.started, changes.stopped, changes.unchanged) == (("b", "d"), ("b", "c"), ("a",))
    assert b.halt.is_set() and c.halt.is_set() and not a.halt.is_set()
    assert str(changes) == "started: b, d; stopped: b, c; unchanged: a"


def test_the_new_configuration_sets_the_order_of_the_targets():
    runtime = build_runtime(config({"name": "a"}, {"name": "b"}))
    a, b = runtime.targets
    runtime.apply(config({"name": "b"}, {"name": "a"}))
    assert runtime.targets == [b, a]


def test_a_changed_credential_file_keeps_its_target_which_reads_the_files_itself(tmp_path):
    # The config holds the paths; the running credentials re-read the files when they change
    # (swr/sources/files.py), so a rotated key neither restarts the target nor loses its snapshot.
    key = tmp_path / "sk"
    key.write_text("one")
    auth = {"type": "aksk", "access_key": "ak", "secret_key_file": str(key)}
    runtime = build_runtime(config({"name": "a", "auth": auth}))
    first = runtime.targets[0]
    key.write_text("two")
    assert runtime.apply(config({"name": "a", "auth": auth})).unchanged == ("a",)
    assert runtime.targets[0] is first and not first.halt.is_set()


def test_switching_between_single_target_and_targets_mode_rebuilds_the_app():
    single = config({}, single=True)
    runtime = build_runtime(single)
    assert not build_app(single, runtime, "/metrics").multi_target
    multi = config({"name": "x"}, {"name": "y"})
    assert runtime.apply(multi).stopped == ("default",)
    app = build_app(multi, runtime, "/metrics")
    assert app.multi_target and set(app.probes) == {"x", "y"}
    runtime.apply(single)
    assert names(runtime) == ["default"] and not build_app(single, runtime, "/metrics").multi_target


def test_started_targets_poll_stopped_ones_end_and_the_global_stop_ends_the_newcomers_too():
    runtime = build_runtime(config({"name": "a"}, {"name": "b"}))
    stop = threading.Event()
    runtime.start(stop)
    try:
        a, b = runtime.targets
        runtime.apply(config({"name": "a"}, {"name": "c"}))
        c = runtime.targets[1]
        assert a.alive() and c.alive()
        b.join(10)
        assert not b.alive()
        assert runtime.alive()
        c.poller.first_poll_done.wait(10)
        assert c.poller.snapshot is not None  # it polled (and failed: nothing listens)
    finally:
        stop.set()
        runtime.join(10)
    assert not any(each.alive() for each in runtime.targets)


def test_targets_added_before_start_wait_for_it_and_none_start_after_stop():
    runtime = build_runtime(config({"name": "a"}))
    runtime.apply(config({"name": "a"}, {"name": "b"}))
    assert not any(each.alive() for each in runtime.targets)
    stop = threading.Event()
    stop.set()
    runtime.start(stop)
    runtime.join(10)
    runtime.apply(config({"name": "c"}))
    assert runtime.targets[0].thread is None


class RefreshingAuth:
    def __init__(self) -> None:
        self.refreshed = 0

    def refresh(self) -> None:
        self.refreshed += 1


class Client:
    def __init__(self, auth: object) -> None:
        self.auth = auth

    def close(self) -> None:
        pass


@pytest.mark.parametrize("auth", [RefreshingAuth(), object()], ids=["with-refresh", "without"])
def test_a_kept_target_has_its_credentials_re_read_when_they_can_be(auth):
    built = build_runtime(config({"name": "a"}))
    original = built.targets[0]
    kept = TargetRuntime(original.target, Client(auth), original.poller, original.telemetry,  # type: ignore[arg-type]
                         original.probe)
    runtime = Runtime([kept])
    runtime.apply(config({"name": "a"}))
    assert runtime.targets[0] is kept
    assert getattr(auth, "refreshed", 1) == 1
