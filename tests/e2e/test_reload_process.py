"""Reload in a real process: SIGHUP and POST /-/reload swap the configuration without a restart, refuse an
invalid one and keep serving; a rewritten web configuration file takes effect by itself."""

from __future__ import annotations

import base64
import contextlib
import http.client
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import bcrypt
import pytest
import yaml

from exporter.config.errors import ConfigError
from exporter.config.loader import load_config
from exporter.simulator import Account, Dataset, Simulator
from tests.e2e.harness import exporter_process, exporter_settings, free_port
from tests.e2e.test_cli_process import wait_for

pytestmark = pytest.mark.e2e


def request(port: int, path: str, method: str = "GET", headers: dict | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def sample(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.split(" ")[0] == name:
            return float(line.split(" ")[1])
    return None


def eventually(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


class Running:
    def __init__(self, tmp_path: Path, simulator: Simulator, account: Account) -> None:
        self.tmp_path, self.simulator, self.account = tmp_path, simulator, account
        self.config = tmp_path / "swr-exporter.yml"
        self.log = tmp_path / "exporter.log"
        self.port = free_port()

    def target(self, name: str, **extra) -> dict:
        settings = exporter_settings(self.simulator, self.account, poll_interval="1s", **extra)
        return {"name": name, **settings}

    def write(self, data: dict) -> None:
        self.config.write_text(yaml.safe_dump(data))

    def get(self, path: str, **kwargs) -> tuple[int, str]:
        return request(self.port, path, **kwargs)

    def polls(self, name: str) -> float:
        return sample(self.get(f"/probe?target={name}")[1], "swr_exporter_polls_total") or 0.0

    def reload_ok(self) -> float | None:
        return sample(self.get("/metrics")[1], "swr_exporter_config_last_reload_successful")

    def start_up_error(self) -> str:
        with pytest.raises(ConfigError) as error:
            load_config(self.config)
        return str(error.value)


@pytest.fixture
def running(tmp_path) -> Iterator[tuple[Running, object]]:
    account = Account.generate()
    data = Dataset.generate(seed=3, organizations=1, repositories=2, tags_per_repository=1, shared_with_me=0)
    with Simulator(dataset=data, account=account) as simulator:
        run = Running(tmp_path, simulator, account)
        run.write({"targets": [run.target("a"), run.target("b")]})
        process = exporter_process(run.log, "--config.file", str(run.config),
                                   "--web.listen-address", f"127.0.0.1:{run.port}")
        try:
            wait_for(f"http://127.0.0.1:{run.port}/-/ready")
            yield run, process
            assert process.poll() is None, "the exporter ended"
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
        finally:
            with contextlib.suppress(OSError):
                process.kill()
            process.wait()
    assert "Traceback" not in run.log.read_text()


def test_sighup_applies_a_valid_config_in_the_same_process_and_refuses_an_invalid_one(running):
    run, process = running
    eventually(lambda: run.polls("a") >= 3, "a few polls of a")
    before = run.polls("a")
    run.write({"targets": [run.target("a"), run.target("c")]})
    process.send_signal(signal.SIGHUP)
    eventually(lambda: run.get("/probe?target=c")[0] == 200, "target c to appear")
    assert run.get("/probe?target=b")[0] == 400
    assert run.polls("a") >= before  # same poller, its counter did not start again
    assert process.poll() is None and run.reload_ok() == 1

    run.write({"targets": [run.target("a"), {**run.target("d"), "region": "nowhere-9", "endpoint": None}]})
    expected = run.start_up_error()
    process.send_signal(signal.SIGHUP)
    eventually(lambda: run.reload_ok() == 0, "the failed reload to show")
    assert "unknown region" in expected
    escaped = expected.replace("\n", "\\n").replace('"', '\\"')
    eventually(lambda: escaped in run.log.read_text(), "the error text in the log")
    assert run.get("/probe?target=c")[0] == 200 and run.get("/probe?target=d")[0] == 400
    assert process.poll() is None


def test_post_reload_answers_200_500_and_405_and_switches_to_single_target_mode(running):
    run, process = running
    assert run.get("/-/reload")[0] == 405
    assert run.get("/-/reload", method="PUT")[0] == 405

    run.write({"targets": [run.target("a")], "colectors": {}})
    status, body = run.get("/-/reload", method="POST")
    assert status == 500 and run.start_up_error() in body and "colectors" in body
    assert run.reload_ok() == 0 and run.get("/probe?target=b")[0] == 200

    single = exporter_settings(run.simulator, run.account, poll_interval="1s")
    run.write(single)
    status, body = run.get("/-/reload", method="POST")
    assert (status, body) == (200, "Reloaded\n")
    assert run.reload_ok() == 1 and run.get("/probe?target=a")[0] == 400
    eventually(lambda: "swr_repository_size_bytes{" in run.get("/metrics")[1], "data on /metrics")
    assert process.poll() is None


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_a_user_added_to_the_web_config_file_can_log_in_without_a_reload(tmp_path):
    web = tmp_path / "web.yml"

    def users(**passwords: str) -> None:
        hashed = {u: bcrypt.hashpw(p.encode(), bcrypt.gensalt(4)).decode() for u, p in passwords.items()}
        web.write_text(yaml.safe_dump({"basic_auth_users": hashed}))

    users(first="one-password")
    port = free_port()
    process = exporter_process(tmp_path / "exporter.log", "--demo", "--web.listen-address",
                               f"127.0.0.1:{port}", "--web.config.file", str(web))
    try:
        eventually(lambda: _answers(port, basic("first", "one-password")), "the exporter")
        assert request(port, "/metrics", headers=basic("second", "two-password"))[0] == 401
        users(first="one-password", second="two-password")
        assert request(port, "/metrics", headers=basic("second", "two-password"))[0] == 200
        assert request(port, "/-/reload", method="POST")[0] == 401  # reload is behind the same auth
        status, body = request(port, "/-/reload", method="POST", headers=basic("first", "one-password"))
        assert (status, body) == (200, "Reloaded\n")  # --demo: nothing to re-read, nothing breaks
        process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def _answers(port: int, headers: dict[str, str]) -> bool:
    try:
        return request(port, "/-/healthy", headers=headers)[0] == 200
    except OSError:
        return False
