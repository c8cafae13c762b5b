"""IAM password tokens through the whole client: revocations recovered from, IAM never hammered.

The client, its transport, TokenAuth and IamPasswordToken are the real ones; requests-mock plays IAM
and SWR, and the fake clock stands in for hours of polling.
"""

from __future__ import annotations

import uuid

import pytest

from exporter.config.secret import Secret
from exporter.swr.client import SwrClient
from exporter.swr.credentials import TokenAuth
from exporter.swr.errors import ApiError
from exporter.swr.iam import IamClient
from exporter.swr.tokens import IamPasswordToken, TokenError
from tests.fakes.http import ENDPOINT, IAM_ENDPOINT, FakeClock, FakeObserver, make_transport

TOKENS = f"{IAM_ENDPOINT}/v3/auth/tokens"
NAMESPACES = f"{ENDPOINT}/v2/manage/namespaces"
HOUR = 3600.0


class Cloud:
    """IAM issues tokens (unless the password is wrong); SWR accepts the ones not revoked."""

    def __init__(self, password_ok: bool = True, accept_tokens: bool = True) -> None:
        self.password_ok = password_ok
        self.accept_tokens = accept_tokens
        self.valid: set[str] = set()
        self.iam_calls = 0
        self.swr_calls = 0

    def revoke(self) -> None:
        self.valid.clear()

    def iam(self, request, context):
        self.iam_calls += 1
        if not self.password_ok:
            context.status_code = 401
            return {"error": {"code": 401, "message": "The username or password is wrong."}}
        token = uuid.uuid4().hex
        if self.accept_tokens:
            self.valid.add(token)
        context.status_code = 201
        context.headers["X-Subject-Token"] = token
        return {"token": {"issued_at": "2024-01-01T00:00:00.000000Z",
                          "expires_at": "2024-01-02T00:00:00.000000Z", "project": {"id": "p1"}}}

    def swr(self, request, context):
        self.swr_calls += 1
        if request.headers.get("X-Auth-Token") in self.valid:
            return {"namespaces": []}
        context.status_code = 401
        return {"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information"}


@pytest.fixture
def cloud(requests_mock) -> Cloud:
    cloud = Cloud()
    requests_mock.post(TOKENS, json=cloud.iam)
    requests_mock.get(NAMESPACES, json=cloud.swr)
    return cloud


def password_client(clock: FakeClock) -> SwrClient:
    transport = make_transport(clock, FakeObserver(), retries=0)
    source = IamPasswordToken(IamClient(transport, IAM_ENDPOINT).create_token, "user", Secret("pw"), "domain",
                              "p1", "cn-north-4", clock.wall)
    return SwrClient(transport, endpoint=ENDPOINT, auth=TokenAuth(source, "p1", clock.wall))


def advance(clock: FakeClock, seconds: float) -> None:
    clock.now += seconds
    clock.wall_now += seconds


def listed(client: SwrClient) -> bool:
    try:
        client.list_namespaces()
    except (ApiError, TokenError):
        return False
    return True


def poll_for(client: SwrClient, clock: FakeClock, seconds: float, every: float = 10.0) -> int:
    """Polls every ``every`` seconds of fake time; how many succeeded."""
    successes = 0
    for _ in range(int(seconds / every)):
        successes += listed(client)
        advance(clock, every)
    return successes


def test_three_revocations_in_a_row_are_each_recovered_from_at_once(cloud):
    clock = FakeClock()
    client = password_client(clock)
    assert listed(client)

    for _ in range(3):
        advance(clock, 60)
        cloud.revoke()
        assert listed(client)  # the 401 brings a new token and the request is retried with it

    assert cloud.iam_calls == 4


def test_a_fresh_token_rejected_at_once_is_refreshed_again_after_a_back_off(cloud):
    clock = FakeClock()
    client = password_client(clock)
    assert listed(client)
    cloud.accept_tokens = False
    cloud.revoke()
    assert not listed(client)  # the old token and the one fetched to replace it both rejected
    assert cloud.iam_calls == 2
    assert not listed(client)  # the fresh token is known rejected now: a 30 s back-off starts

    advance(clock, 29)
    assert not listed(client)
    assert cloud.iam_calls == 2
    cloud.accept_tokens = True
    advance(clock, 1)
    assert listed(client)
    assert cloud.iam_calls == 3


def test_tokens_rejected_for_an_hour_make_a_bounded_number_of_iam_calls_and_renewal_never_stops(cloud):
    clock = FakeClock()
    client = password_client(clock)
    cloud.accept_tokens = False

    assert poll_for(client, clock, HOUR) == 0
    # 30 s doubling to 10 min between refreshes: about 11 token requests in the first hour.
    assert 6 <= cloud.iam_calls <= 12
    calls = cloud.iam_calls
    assert poll_for(client, clock, HOUR) == 0
    assert 5 <= cloud.iam_calls - calls <= 7  # every 10 min, for as long as it takes

    cloud.accept_tokens = True
    assert poll_for(client, clock, 601) > 0


def test_a_wrong_password_makes_a_bounded_number_of_iam_calls_in_an_hour(cloud):
    clock = FakeClock()
    client = password_client(clock)
    cloud.password_ok = False

    assert poll_for(client, clock, HOUR, every=1.0) == 0

    assert 5 <= cloud.iam_calls <= 12
    assert cloud.swr_calls == 0
