"""What the exporter process logs, as an operator reads it: a line per finished poll, one when it turns
ready, API errors with their operation, status, code and request id as fields of their own, and the demo
simulator's requests only when asked for, once each."""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import pytest
import yaml

from exporter.simulator import Account, Dataset, FaultRule, Simulator
from tests.e2e.harness import exporter_process, exporter_settings, free_port
from tests.e2e.test_cli_process import wait_for

pytestmark = pytest.mark.e2e

_LOGFMT_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def logfmt(line: str) -> dict[str, str]:
    return {key: json.loads(value) if value.startswith('"') else value
            for key, value in _LOGFMT_PAIR.findall(line)}


def entries(output: Path, fmt: str) -> list[dict]:
    lines = [line for line in output.read_text().splitlines() if line.startswith(("ts=", "{"))]
    return [json.loads(line) if fmt == "json" else logfmt(line) for line in lines]


def wait_for_entry(output: Path, fmt: str, msg: str, timeout: float = 60.0, **fields: object) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in entries(output, fmt)
                 if e.get("msg") == msg and all(e.get(k) == v for k, v in fields.items())]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no {msg!r} line in:\n{output.read_text()}"
        time.sleep(0.2)


class Running:
    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.port = free_port()
        self.output = tmp_path / "exporter.log"
        self.process = exporter_process(self.output, *args, "--web.listen-address", f"127.0.0.1:{self.port}")
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        finally:
            self.process.kill()
            self.process.wait()


def test_info_level_logs_each_finished_poll_and_readiness(tmp_path):
    fmt = "logfmt"  # JSON: the next test
    with Running(tmp_path, "--demo", "--log.level", "info", "--log.format", fmt) as run:
        wait_for(f"{run.url}/-/ready")
        poll = wait_for_entry(run.output, fmt, "poll finished")
        ready = wait_for_entry(run.output, fmt, "ready: the first poll of every target has finished")
    assert poll["level"] == "info" and poll["logger"] == "exporter.polling.poller"
    assert poll["target"] == "default"
    assert poll["up"] in (True, "true")
    assert "failed_collectors" not in poll
    series, duration = int(poll["series"]), float(poll["duration_seconds"])
    # 150 repositories with 7 series each at least, and their tags and shares besides.
    assert series > 1000 and 0 < duration < 60
    assert int(ready["targets"]) == 1 and float(ready["after_seconds"]) >= duration
    everything = entries(run.output, fmt)
    assert everything.index(poll) < everything.index(ready)


@pytest.mark.parametrize("fmt", ["logfmt", "json"])
def test_an_api_error_is_logged_with_operation_status_code_and_request_id_fields(tmp_path, fmt):
    account = Account.generate()
    dataset = Dataset.generate(seed=5, organizations=1, repositories=2, tags_per_repository=1,
                               shared_with_me=0)
    with Simulator(dataset=dataset, account=account) as sim:
        sim.faults.add(FaultRule("status", operation="ListQuotas", status=400,
                                 error_code="SVCSTG.SWR.4000001"))
        config = tmp_path / "swr-exporter.yml"
        config.write_text(yaml.safe_dump({**exporter_settings(sim, account), "retries": 0}))
        with Running(tmp_path, "--config.file", str(config), "--log.format", fmt) as run:
            wait_for(f"{run.url}/-/ready")
            failed = wait_for_entry(run.output, fmt, "collector failed")
            poll = wait_for_entry(run.output, fmt, "poll finished")
            ready = wait_for_entry(run.output, fmt, "ready: the first poll of every target has finished")
        quota_calls = [r for r in sim.requests if r.operation == "ListQuotas"]
    assert failed["level"] == "warn"
    assert failed["collector"] == "quotas" and failed["operation"] == "ListQuotas"
    assert str(failed["status"]) == "400" and failed["code"] == "SVCSTG.SWR.4000001"
    assert failed["reason"] == "client_error"
    assert failed["request_id"] in {r.request_id for r in quota_calls}
    assert "ListQuotas failed: HTTP 400" in failed["err"]
    assert poll["failed_collectors"] == "quotas" and poll["up"] in (False, "false")
    assert int(poll["series"]) > 0 and str(ready["targets"]) == "1"
    if fmt == "json":  # numbers and booleans keep their JSON types
        assert type(failed["status"]) is int and type(poll["series"]) is int
        assert type(poll["duration_seconds"]) is float and poll["up"] is False


def request_lines(output: Path) -> list[dict]:
    return [e for e in entries(output, "logfmt") if e.get("logger") == "exporter.simulator.requests"]


def test_the_demo_simulator_logs_no_request_unless_asked_even_at_debug_level(tmp_path):
    with Running(tmp_path, "--demo", "--log.level", "debug") as run:
        wait_for(f"{run.url}/-/ready")
        wait_for_entry(run.output, "logfmt", "poll finished")
    logged = entries(run.output, "logfmt")
    assert request_lines(run.output) == []
    simulator = [e for e in logged if e["logger"].startswith("exporter.simulator")]
    # Its start is logged, so its loggers do reach the output; the stdlib server's access line does not.
    assert [e["msg"] for e in simulator] == [e["msg"] for e in simulator if "listening" in e["msg"]] != []
    assert any(e["logger"] == "exporter.swr.client" for e in logged)  # debug level is on


def test_the_demo_simulator_logs_each_request_once_when_asked(tmp_path):
    with Running(tmp_path, "--demo", "--demo.request-log", "--log.level", "warn") as run:
        wait_for(f"{run.url}/-/ready")
        metrics = wait_for(f"{run.url}/metrics").decode()
        logged = request_lines(run.output)
    made = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("swr_exporter_api_requests_total{"))
    ids = [line["request_id"] for line in logged]
    assert len(ids) == len(set(ids)), "a request was logged twice"
    # Logged by the simulator before the exporter counts the answer: never fewer lines than requests.
    assert len(logged) >= made > 100
    assert {line["level"] for line in logged} == {"info"}
    operations = {line["operation"] for line in logged}
    assert {"ListNamespaces", "ListReposDetails", "ListRepositoryTags"} <= operations
    assert all(line["status"] == "200" for line in logged)
    # Reads only, besides the PUT of the metadata token the demo's temporary credentials start with.
    assert {line["method"] for line in logged if line["operation"] != "GetMetadataSecurityKey"} == {"GET"}
    assert "GetMetadataSecurityKey" in operations
