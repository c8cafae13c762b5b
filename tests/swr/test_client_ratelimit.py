"""Pacing: the shared rate limit, bounded concurrency, back-off and Retry-After parsing."""

from __future__ import annotations

import threading
import time

import pytest
import requests
import requests_mock

from exporter.swr.ratelimit import RateLimiter, backoff_delay, retry_after_seconds
from tests.fakes.http import ENDPOINT, FakeClock, make_client


def test_rate_limiter_spaces_sequential_starts_evenly():
    clock = FakeClock(now=0.0)
    limiter = RateLimiter(2.0, monotonic=clock.monotonic, sleep=clock.sleep)
    starts = []

    for _ in range(4):
        limiter.wait()
        starts.append(clock.now)

    assert starts == [0.0, 0.5, 1.0, 1.5]


def test_rate_limiter_gives_each_thread_its_own_slot():
    now = [0.0]
    waits: list[float] = []
    limiter = RateLimiter(4.0, monotonic=lambda: now[0], sleep=waits.append)
    threads = [threading.Thread(target=limiter.wait) for _ in range(8)]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(waits) == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75]


def test_rate_limiter_does_not_wait_after_idle_time():
    clock = FakeClock(now=0.0)
    limiter = RateLimiter(1.0, monotonic=clock.monotonic, sleep=clock.sleep)

    limiter.wait()
    clock.now += 10.0
    limiter.wait()

    assert clock.sleeps == []


def test_rate_limit_of_zero_means_no_limit():
    clock = FakeClock(now=0.0)
    limiter = RateLimiter(0, monotonic=clock.monotonic, sleep=clock.sleep)

    for _ in range(5):
        limiter.wait()

    assert clock.sleeps == []


def test_client_requests_start_no_faster_than_the_rate_limit(requests_mock):
    h = make_client(rate_limit=4.0)
    starts = []

    def answer(request, context):
        starts.append(h.clock.now)
        return {"namespaces": []}

    requests_mock.get(f"{ENDPOINT}/v2/manage/namespaces", json=answer)
    for _ in range(3):
        h.client.list_namespaces()

    assert [s - starts[0] for s in starts] == [0.0, 0.25, 0.5]


def test_requests_in_flight_never_exceed_max_concurrency_even_with_nested_map():
    lock = threading.Lock()
    in_flight = [0]
    peak = [0]

    def answer(request, context):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.01)
        with lock:
            in_flight[0] -= 1
        return {"name": "busybox"}

    # A bare Adapter: the requests_mock fixture serialises all sends behind one global lock.
    adapter = requests_mock.Adapter()
    adapter.register_uri("GET", f"{ENDPOINT}/v2/manage/namespaces/group/repos/busybox", json=answer)
    session = requests.Session()
    session.mount("https://", adapter)
    h = make_client(max_concurrency=2, session=session, monotonic=time.monotonic, sleep=time.sleep)

    def per_organization(_: int) -> list:
        return h.client.map(lambda _: h.client.show_repository("group", "busybox"), range(4))

    results = h.client.map(per_organization, range(3))

    assert results == [[{"name": "busybox"}] * 4] * 3
    assert peak[0] == 2


def test_backoff_delay_doubles_and_is_capped():
    full = [backoff_delay(n, base=0.5, cap=3.0, random=lambda: 1.0) for n in range(5)]

    assert full == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff_delay(2, base=0.5, cap=3.0, random=lambda: 0.25) == 0.5


@pytest.mark.parametrize(
    ("value", "date", "expected"),
    [
        ("12", None, 12.0),
        (" 0 ", None, 0.0),
        ("Wed, 21 Oct 2015 07:28:10 GMT", "Wed, 21 Oct 2015 07:28:00 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", "Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Wed, 21 Oct 2015 07:28:10 -0000", "Wed, 21 Oct 2015 07:28:00 GMT", 10.0),
        (None, None, None),
        ("", None, None),
        ("soon", None, None),
        ("-5", None, None),
    ],
)
def test_retry_after_accepts_seconds_and_http_dates(value, date, expected):
    assert retry_after_seconds(value, date=date, now=lambda: 0.0) == expected
