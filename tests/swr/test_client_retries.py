"""SwrClient: retries, back-off, 401 handling, error bodies and what the observer is told."""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from exporter.swr.errors import ApiError
from tests.fakes.http import ENDPOINT, FakeAuth, make_client, sequence

NAMESPACES = f"{ENDPOINT}/v2/manage/namespaces"
OK = {"json": {"namespaces": []}, "status_code": 200}


def fail(status: int, **extra: object) -> dict:
    return {"status_code": status, "json": {"error_code": f"E{status}", "error_msg": "nope"}, **extra}


def test_429_is_retried_after_the_retry_after_seconds(requests_mock):
    requests_mock.get(NAMESPACES, [fail(429, headers={"Retry-After": "7"}), OK])
    h = make_client()

    assert h.client.list_namespaces() == []

    assert h.clock.sleeps == [7.0]
    assert h.observer.requests == [("ListNamespaces", "429"), ("ListNamespaces", "200")]
    assert h.observer.errors == [("ListNamespaces", "throttled")]
    assert h.observer.retries == ["ListNamespaces"]


def test_retry_after_is_capped_at_backoff_max(requests_mock):
    requests_mock.get(NAMESPACES, [fail(503, headers={"Retry-After": "3600"}), OK])
    h = make_client(backoff_max=30.0)

    h.client.list_namespaces()

    assert h.clock.sleeps == [30.0]


def test_retry_after_http_date_is_measured_from_the_response_date(requests_mock):
    headers = {"Date": "Wed, 21 Oct 2015 07:28:00 GMT", "Retry-After": "Wed, 21 Oct 2015 07:28:05 GMT"}
    requests_mock.get(NAMESPACES, [fail(429, headers=headers), OK])
    h = make_client()

    h.client.list_namespaces()

    assert h.clock.sleeps == [5.0]


def test_retry_after_http_date_without_date_header_uses_the_wall_clock(requests_mock):
    requests_mock.get(NAMESPACES, [fail(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:05 GMT"}), OK])
    h = make_client()
    h.clock.wall_now = 1445412482.0  # 2015-10-21T07:28:02Z

    h.client.list_namespaces()

    assert h.clock.sleeps == [3.0]


def test_5xx_back_off_doubles_then_gives_up_with_server_error(requests_mock):
    requests_mock.get(NAMESPACES, [fail(503)] * 5)
    h = make_client(retries=3, backoff_base=0.5, random=lambda: 0.5)

    with pytest.raises(ApiError) as caught:
        h.client.list_namespaces()

    assert (caught.value.reason, caught.value.status) == ("server_error", 503)
    assert h.clock.sleeps == [0.25, 0.5, 1.0]
    assert requests_mock.call_count == 4
    assert h.observer.retries == ["ListNamespaces"] * 3
    assert h.observer.errors == [("ListNamespaces", "server_error")] * 4


def test_back_off_is_fully_jittered_and_capped(requests_mock):
    requests_mock.get(NAMESPACES, [fail(500)] * 4 + [OK])
    h = make_client(retries=4, backoff_base=1.0, backoff_max=3.0, random=sequence([0.1, 0.9, 1.0, 0.5]))

    h.client.list_namespaces()

    assert h.clock.sleeps == pytest.approx([1 * 0.1, 2 * 0.9, 3 * 1.0, 3 * 0.5])


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (requests.exceptions.ConnectionError, "network"),
        (requests.exceptions.ChunkedEncodingError, "network"),
        (requests.exceptions.ConnectTimeout, "timeout"),
        (requests.exceptions.ReadTimeout, "timeout"),
    ],
)
def test_connection_errors_and_timeouts_are_retried_then_reported(requests_mock, exc, reason):
    requests_mock.get(NAMESPACES, exc=exc)
    h = make_client(retries=2)

    with pytest.raises(ApiError) as caught:
        h.client.list_namespaces()

    error = caught.value
    assert (error.reason, error.status, error.operation) == (reason, None, "ListNamespaces")
    assert "ListNamespaces" in str(error) and "swr-api.test.example" in str(error)
    assert requests_mock.call_count == 3
    assert h.observer.requests == [("ListNamespaces", "error")] * 3
    assert h.observer.errors == [("ListNamespaces", reason)] * 3
    assert h.observer.retries == ["ListNamespaces"] * 2


def test_a_connection_error_followed_by_success_succeeds(requests_mock):
    requests_mock.get(NAMESPACES, [{"exc": requests.exceptions.ConnectionError}, OK])
    h = make_client()

    assert h.client.list_namespaces() == []
    assert h.observer.requests == [("ListNamespaces", "error"), ("ListNamespaces", "200")]


def test_401_asks_auth_and_retries_once_with_new_credentials_outside_the_retry_budget(requests_mock):
    requests_mock.get(NAMESPACES, [fail(401), OK])
    h = make_client(retries=0)
    rejected = h.auth.token

    assert h.client.list_namespaces() == []

    assert h.auth.unauthorized == 1
    sent = [r.headers["X-Auth-Token"] for r in requests_mock.request_history]
    assert sent[0] == rejected and sent[1] == h.auth.token != rejected
    assert h.clock.sleeps == []
    assert h.observer.errors == [("ListNamespaces", "unauthorized")]
    assert h.observer.retries == ["ListNamespaces"]


def test_401_fails_at_once_when_auth_cannot_refresh(requests_mock):
    requests_mock.get(NAMESPACES, [fail(401), OK])
    h = make_client(auth=FakeAuth(refresh=False))

    with pytest.raises(ApiError) as caught:
        h.client.list_namespaces()

    assert (caught.value.reason, caught.value.status) == ("unauthorized", 401)
    assert requests_mock.call_count == 1
    assert h.observer.retries == []


def test_second_401_after_a_refresh_is_final(requests_mock):
    requests_mock.get(NAMESPACES, [fail(401), fail(401), OK])
    h = make_client()

    with pytest.raises(ApiError) as caught:
        h.client.list_namespaces()

    assert caught.value.reason == "unauthorized"
    assert h.auth.unauthorized == 1
    assert requests_mock.call_count == 2


@pytest.mark.parametrize(
    ("status", "reason"),
    [(400, "client_error"), (403, "forbidden"), (404, "not_found"), (405, "client_error"),
     (409, "client_error")],
)
def test_other_4xx_fail_without_retry(requests_mock, status, reason):
    requests_mock.get(NAMESPACES, [fail(status), OK])
    h = make_client()

    with pytest.raises(ApiError) as caught:
        h.client.list_namespaces()

    assert (caught.value.reason, caught.value.status) == (reason, status)
    assert requests_mock.call_count == 1
    assert h.clock.sleeps == [] and h.observer.retries == []
    assert h.observer.errors == [("ListNamespaces", reason)]


SWR_BOTH = {
    "errors": [{"errorCode": "SVCSTG.SWR.4030170", "errorMessage": "Insufficient permissions", "detail": "",
                "encoded_authorization_message": "abc"}],
    "error_code": "SVCSTG.SWR.4030170", "error_msg": "Insufficient permissions",
    "details": [{"error_code": "SVCSTG.SWR.4030170", "error_msg": ""}],
    "encoded_authorization_message": "abc",
}


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (SWR_BOTH, "SVCSTG.SWR.4030170", "Insufficient permissions"),
        ({"error_code": "APIGW.0308", "error_msg": "The request is throttled.", "request_id": "r"},
         "APIGW.0308", "The request is throttled."),
        ({"errorCode": "SVCSTG.SWR.4040002", "errorMessage": "Repository not found"},
         "SVCSTG.SWR.4040002", "Repository not found"),
        ({"errors": [{"errorCode": "SVCSTG.SWR.4001024", "errorMessage": "bad query"}]},
         "SVCSTG.SWR.4001024", "bad query"),
        ({"errorCode": "X.1", "errorMsg": "camel"}, "X.1", "camel"),
        ({"error": {"code": 1101, "message": "The username or password is wrong.", "title": "Unauthorized"}},
         "1101", "The username or password is wrong."),
        ({"unexpected": True}, None, '{"unexpected": true}'),
    ],
)
def test_error_bodies_are_parsed_in_every_known_format(requests_mock, body, code, message):
    requests_mock.get(NAMESPACES, status_code=404, json=body)
    h = make_client()

    with pytest.raises(ApiError) as caught:
        h.client.list_namespaces()

    assert (caught.value.error_code, caught.value.error_msg) == (code, message)


def test_non_json_error_body_becomes_a_short_one_line_message(requests_mock):
    page = "<html>\n<body>" + "Bad Gateway " * 100 + "</body></html>"
    requests_mock.get(NAMESPACES, status_code=502, text=page)
    h = make_client(retries=0)

    with pytest.raises(ApiError) as caught:
        h.client.list_namespaces()

    error = caught.value
    assert error.error_code is None
    assert error.error_msg.startswith("<html> <body>Bad Gateway") and len(error.error_msg) <= 200
    assert "\n" not in str(error)


def test_error_text_names_operation_status_code_message_and_request_id(requests_mock):
    requests_mock.get(f"{ENDPOINT}/v2/manage/repos", status_code=404, headers={"X-Request-Id": "8d1f"},
                      json={"errorCode": "SVCSTG.SWR.4040002", "errorMessage": "Repository not found"})
    h = make_client()

    with pytest.raises(ApiError) as caught:
        h.client.list_repos("group")

    assert str(caught.value) == (
        "ListReposDetails failed: HTTP 404 SVCSTG.SWR.4040002 Repository not found (request id 8d1f)")
    assert caught.value.request_id == "8d1f"


def test_request_id_falls_back_to_the_gateway_body(requests_mock):
    requests_mock.get(NAMESPACES, status_code=401,
                      json={"error_code": "APIGW.0301", "error_msg": "bad signature", "request_id": "gw-9"})
    h = make_client(auth=FakeAuth(refresh=False))

    with pytest.raises(ApiError) as caught:
        h.client.list_namespaces()

    assert caught.value.request_id == "gw-9"


def test_observer_counts_every_attempt_failure_and_retry(requests_mock):
    requests_mock.get(NAMESPACES, [fail(503), fail(429), {"exc": requests.exceptions.ReadTimeout}, OK])
    h = make_client(retries=3)

    h.client.list_namespaces()

    assert Counter(code for _, code in h.observer.requests) == {"503": 1, "429": 1, "error": 1, "200": 1}
    assert Counter(reason for _, reason in h.observer.errors) == {
        "server_error": 1, "throttled": 1, "timeout": 1}
    assert h.observer.retries == ["ListNamespaces"] * 3


def test_a_closed_client_fails_at_once_without_calling_the_api(requests_mock):
    harness = make_client()
    route = requests_mock.get(f"{ENDPOINT}/v2/manage/namespaces", json={"namespaces": []})
    harness.client.close()
    with pytest.raises(ApiError, match="client closed") as raised:
        harness.client.list_namespaces()
    assert raised.value.reason == "network"
    assert route.call_count == 0


def test_closing_the_client_ends_a_back_off_wait_at_once(requests_mock):
    import threading
    import time

    harness = make_client(sleep=None, backoff_base=30.0, backoff_max=30.0)
    requests_mock.get(f"{ENDPOINT}/v2/manage/namespaces", status_code=503)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            harness.client.list_namespaces()
        except ApiError as error:
            outcome.append(error)

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.2)  # the first attempt has failed and the 15 s back-off has begun
    harness.client.close()
    thread.join(5)
    assert not thread.is_alive()
    assert "client closed" in str(outcome[0])


def swr_array_error(status: int, code: str, message: str) -> dict:
    """The error body SWR's error-code pages document: a bare array of objects."""
    return {"status_code": status, "json": [{"errorCode": code, "errorMessage": message, "detail": "x"}]}


@pytest.mark.parametrize(("status", "code"), [(403, "SVCSTG.SWR.4031032"), (409, "SVCSTG.SWR.4090023")])
def test_swr_s_own_throttling_codes_are_throttling_and_retried(requests_mock, status, code):
    requests_mock.get(NAMESPACES, [swr_array_error(status, code, "busy"), OK])
    h = make_client()

    assert h.client.list_namespaces() == []

    assert h.observer.errors == [("ListNamespaces", "throttled")]
    assert h.observer.retries == ["ListNamespaces"]
    assert len(h.clock.sleeps) == 1


def test_a_403_without_a_throttling_code_is_forbidden_and_not_retried(requests_mock):
    requests_mock.get(NAMESPACES, [swr_array_error(403, "SVCSTG.SWR.4030001", "no permission"), OK])
    h = make_client()

    with pytest.raises(ApiError) as raised:
        h.client.list_namespaces()

    assert raised.value.reason == "forbidden"
    assert h.observer.retries == []


def test_the_code_and_message_of_an_array_error_body_reach_the_error(requests_mock):
    requests_mock.get(NAMESPACES, [swr_array_error(404, "SVCSTG.SWR.4040002", "Repository not found")])
    h = make_client()

    with pytest.raises(ApiError) as raised:
        h.client.list_namespaces()

    assert (raised.value.error_code, raised.value.error_msg) == ("SVCSTG.SWR.4040002", "Repository not found")
    assert "SVCSTG.SWR.4040002 Repository not found" in str(raised.value)
