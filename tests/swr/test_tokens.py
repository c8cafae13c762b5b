"""Token sources: a rotated file, and IAM password tokens with refresh, back-off and secrecy."""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from exporter.config.secret import Secret
from exporter.swr.tokens import FileToken, IamPasswordToken, IssuedToken, StaticToken, TokenError
from tests.fakes.swr import Clock

HOUR = 3600.0
ISSUED = "2024-01-02T03:04:05.000000Z"
EXPIRES = "2024-01-03T03:04:05.000000Z"  # 24 h later, like IAM


# --- FileToken ---------------------------------------------------------------------------------------


def _frozen_stat(path: Path) -> os.stat_result:
    """A stat that never reports a change, to show what FileToken does without one."""
    return os.stat_result((0o100644, 1, 1, 1, 0, 0, 10, 0, 0, 0))


def test_file_token_strips_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "token"
    value = secrets.token_hex(8)
    path.write_text(value + "\n")
    assert FileToken(path).token().reveal() == value


def test_file_token_rereads_when_content_changes(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(secrets.token_hex(8))
    source = FileToken(path)
    source.token()
    new = secrets.token_hex(12)
    path.write_text(new)
    assert source.token().reveal() == new


def test_file_token_rereads_same_size_content_when_touched(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(secrets.token_hex(8))
    source = FileToken(path)
    before = os.stat(path).st_mtime_ns
    source.token()
    new = secrets.token_hex(8)
    path.write_text(new)
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))
    assert source.token().reveal() == new


def test_file_token_follows_kubernetes_style_symlink_swap(tmp_path: Path) -> None:
    """kubelet writes a new ..timestamp dir and atomically repoints ..data; the token link stays put."""
    first, second = secrets.token_hex(8), secrets.token_hex(8)
    for name, value in (("..2024_01_01", first), ("..2024_01_02", second)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "token").write_text(value)
        os.utime(tmp_path / name / "token", ns=(10**18, 10**18))  # same size and mtime: only the inode moves
    (tmp_path / "..data").symlink_to("..2024_01_01")
    (tmp_path / "token").symlink_to("..data/token")
    source = FileToken(tmp_path / "token")
    assert source.token().reveal() == first
    (tmp_path / "..data_tmp").symlink_to("..2024_01_02")
    os.replace(tmp_path / "..data_tmp", tmp_path / "..data")
    assert source.token().reveal() == second


def test_file_token_is_cached_while_the_file_looks_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "token"
    first = secrets.token_hex(8)
    path.write_text(first)
    source = FileToken(path, stat=_frozen_stat)
    source.token()
    path.write_text(secrets.token_hex(8))
    assert source.token().reveal() == first


def test_file_token_invalidate_forces_a_reread(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(secrets.token_hex(8))
    source = FileToken(path, stat=_frozen_stat)
    source.token()
    new = secrets.token_hex(8)
    path.write_text(new)
    source.invalidate()
    assert source.token().reveal() == new


def test_file_token_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "absent"
    with pytest.raises(TokenError, match=re.escape(f"token file {path} does not exist")):
        FileToken(path).token()


def test_file_token_empty_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_text("\n")
    with pytest.raises(TokenError, match=re.escape(f"token file {path} is empty")):
        FileToken(path).token()


def test_file_token_unreadable_path_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(TokenError, match=re.escape(f"cannot read token file {tmp_path}")):
        FileToken(tmp_path).token()


def test_file_token_vanished_file_is_an_error_not_the_old_value(tmp_path: Path) -> None:
    path = tmp_path / "token"
    value = secrets.token_hex(8)
    path.write_text(value)
    source = FileToken(path)
    source.token()
    path.unlink()
    with pytest.raises(TokenError, match="does not exist") as info:
        source.token()
    assert value not in str(info.value)


def test_static_token_returns_its_value_and_rejects_empty() -> None:
    value = secrets.token_hex(8)
    assert StaticToken(Secret(value)).token().reveal() == value
    with pytest.raises(TokenError):
        StaticToken(Secret("")).token()


# --- IamPasswordToken ----------------------------------------------------------------------------------


class FakeIam:
    """Plays IAM: each call issues a new token; ``fail`` makes the next calls raise."""

    def __init__(self, result: dict[str, Any] | None = None, wrap: bool = True) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.issued: list[str] = []
        self.fail: Exception | None = None
        self.result = result or {"issued_at": ISSUED, "expires_at": EXPIRES, "project": {"id": "pid-iam"}}
        self.wrap = wrap

    def __call__(self, body: dict[str, Any]) -> tuple[dict[str, str], object]:
        self.bodies.append(body)
        if self.fail is not None:
            raise self.fail
        token = secrets.token_hex(16)
        self.issued.append(token)
        return {"X-Subject-Token": token}, ({"token": self.result} if self.wrap else self.result)


def _source(
    iam: Callable[[dict[str, Any]], tuple[dict[str, str], object]],
    clock: Clock | None = None,
    project_id: str | None = None,
    password: str | None = None,
) -> IamPasswordToken:
    return IamPasswordToken(
        iam, "alice", Secret(password or secrets.token_hex(12)), "acme", project_id, "cn-north-4",
        clock=clock or Clock(1_000_000.0),
    )  # fmt: skip


def test_iam_body_scopes_by_project_id_when_known() -> None:
    iam, password = FakeIam(), secrets.token_hex(12)
    _source(iam, project_id="0123456789abcdef0123456789abcdef", password=password).token()
    assert iam.bodies == [
        {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {"user": {"domain": {"name": "acme"}, "name": "alice", "password": password}},
                },
                "scope": {"project": {"id": "0123456789abcdef0123456789abcdef"}},
            }
        }
    ]


def test_iam_body_scopes_by_region_name_without_project_id() -> None:
    iam = FakeIam()
    _source(iam).token()
    assert iam.bodies[0]["auth"]["scope"] == {"project": {"name": "cn-north-4"}}


def test_iam_token_comes_from_subject_header_and_project_from_body() -> None:
    iam = FakeIam()
    source = _source(iam, project_id=None)
    assert source.project_id is None
    assert source.token().reveal() == iam.issued[0]
    assert source.project_id == "pid-iam"


def test_iam_accepts_unwrapped_body_and_lowercase_header_and_time_without_fraction() -> None:
    result = {"issued_at": "2024-01-02T03:04:05Z", "expires_at": "2024-01-03T03:04:05Z"}
    value = secrets.token_hex(8)
    source = _source(lambda body: ({"x-subject-token": value}, result))
    assert source.token().reveal() == value


def test_iam_token_is_cached_until_three_quarters_of_its_lifetime() -> None:
    iam, clock = FakeIam(), Clock(1_000_000.0)
    source = _source(iam, clock)
    first = source.token()
    clock.now += 18 * HOUR - 1
    assert source.token() == first
    clock.now += 2
    assert source.token().reveal() == iam.issued[1]
    assert len(iam.bodies) == 2


def test_iam_lifetime_is_measured_on_iam_clock_not_ours() -> None:
    """Our clock is years away from IAM's timestamps; the token still lives 24 h from when we got it."""
    iam, clock = FakeIam(), Clock(now=datetime(2030, 1, 1, tzinfo=UTC).timestamp())
    source = _source(iam, clock)
    source.token()
    clock.now += 17 * HOUR
    source.token()
    assert len(iam.bodies) == 1


def test_iam_lifetime_without_issued_at_runs_from_our_clock() -> None:
    expires = datetime.fromisoformat(EXPIRES).timestamp()
    iam, clock = FakeIam(result={"expires_at": EXPIRES}), Clock(now=expires - 4 * HOUR)
    source = _source(iam, clock)
    source.token()
    clock.now += 3 * HOUR + 1  # past 75 % of the 4 h that were left
    source.token()
    assert len(iam.bodies) == 2


def test_iam_concurrent_callers_share_one_fetch() -> None:
    entered, release = threading.Event(), threading.Event()
    inner = FakeIam()

    def slow_iam(body: dict[str, Any]) -> tuple[dict[str, str], object]:
        entered.set()
        release.wait(5)
        return inner(body)

    source = _source(slow_iam)
    results: list[Secret] = []
    threads = [threading.Thread(target=lambda: results.append(source.token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert entered.wait(5)
    time.sleep(0.05)  # let the other callers reach the lock while the fetch is in flight
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(inner.bodies) == 1
    assert {r.reveal() for r in results} == {inner.issued[0]}


def test_iam_failed_refresh_keeps_serving_the_valid_token(caplog: pytest.LogCaptureFixture) -> None:
    iam, clock = FakeIam(), Clock(1_000_000.0)
    source = _source(iam, clock)
    first = source.token()
    clock.now += 20 * HOUR
    iam.fail = ConnectionError("IAM unreachable")
    with caplog.at_level(logging.WARNING, logger="exporter.swr.tokens"):
        assert source.token() == first
    assert "IAM token request failed" in caplog.text


def test_iam_failed_refresh_backs_off_before_trying_again() -> None:
    iam, clock = FakeIam(), Clock(1_000_000.0)
    source = _source(iam, clock)
    source.token()
    clock.now += 20 * HOUR
    iam.fail = ConnectionError("IAM unreachable")
    source.token()
    source.token()
    assert len(iam.bodies) == 2
    clock.now += 31
    iam.fail = None
    assert source.token().reveal() == iam.issued[1]


def test_iam_expired_token_and_failed_refresh_raise_token_error() -> None:
    iam, clock = FakeIam(), Clock(1_000_000.0)
    source = _source(iam, clock)
    source.token()
    clock.now += 24 * HOUR + 1
    iam.fail = ConnectionError("IAM unreachable")
    with pytest.raises(TokenError, match="no valid IAM token"):
        source.token()


def test_iam_first_fetch_failing_raises_token_error() -> None:
    iam = FakeIam()
    iam.fail = RuntimeError("HTTP 401 from IAM")
    with pytest.raises(TokenError):
        _source(iam).token()


def test_iam_response_without_subject_token_is_a_failure() -> None:
    with pytest.raises(TokenError):
        _source(lambda body: ({}, {"token": {"expires_at": EXPIRES}})).token()


def test_iam_invalidate_forces_a_new_fetch() -> None:
    iam = FakeIam()
    source = _source(iam)
    source.token()
    source.invalidate()
    assert source.token().reveal() == iam.issued[1]


def test_iam_secrets_stay_out_of_errors_reprs_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    password = secrets.token_hex(12)
    iam, clock = FakeIam(), Clock(1_000_000.0)
    source = _source(iam, clock, password=password)
    with caplog.at_level(logging.DEBUG):
        token = source.token().reveal()
        clock.now += 25 * HOUR
        iam.fail = RuntimeError(f"client echoed the request body: password={password}")
        with pytest.raises(TokenError) as info:
            source.token()
    issued = IssuedToken(Secret(token), 0.0, None)
    for text in (
        caplog.text,
        str(info.value),
        repr(info.value),
        repr(source),
        repr(vars(source)),
        repr(issued),
    ):
        assert password not in text
        assert token not in text
