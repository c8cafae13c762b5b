"""rate_limit and max_concurrency, measured where the API sees them: request arrivals at the simulator.

Paging is where both matter: once the first page gives the total, the remaining pages go out in
parallel, as fast as the two settings allow.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.counting import CountingSimulator, busiest_window
from exporter.config.secret import Secret
from exporter.simulator import Dataset
from exporter.swr.client import SwrClient
from exporter.swr.credentials import AkSkAuth
from exporter.swr.transport import Transport

pytestmark = pytest.mark.e2e

REPOSITORIES = 300
PAGE = 10  # 30 pages: one to learn the total, 29 in parallel


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset.generate(seed=5, organizations=3, repositories=REPOSITORIES, tags_per_repository=0,
                            shared_with_me=0)


@pytest.fixture
def simulator(dataset: Dataset, request: pytest.FixtureRequest) -> Iterator[CountingSimulator]:
    with CountingSimulator(dataset, latency=getattr(request, "param", 0.0)) as sim:
        yield sim


def client_for(sim: CountingSimulator, rate_limit: float, max_concurrency: int) -> SwrClient:
    account = sim.account
    auth = AkSkAuth(Secret(account.ak), Secret(account.sk), account.project_id)
    transport = Transport(rate_limit=rate_limit, max_concurrency=max_concurrency, retries=0)
    return SwrClient(transport, endpoint=sim.base_url, auth=auth, page_size=PAGE)


def test_parallel_pages_arrive_no_faster_than_the_rate_limit(simulator):
    rate = 20.0
    client = client_for(simulator, rate_limit=rate, max_concurrency=8)

    assert len(client.list_repos()) == REPOSITORIES

    arrivals = sorted(simulator.arrivals)
    assert len(arrivals) == REPOSITORIES // PAGE
    # Evenly spaced starts put rate + 1 in a closed one-second window; one more allows for jitter
    # between start and arrival. Without the limit all 30 would arrive within a fraction of a second.
    assert busiest_window(arrivals, 1.0) <= rate + 2
    assert arrivals[-1] - arrivals[0] >= (len(arrivals) - 1) / rate * 0.9


@pytest.mark.parametrize("simulator", [0.05], indirect=True)  # 50 ms per answer: requests overlap
def test_requests_in_flight_never_exceed_max_concurrency_and_reach_it(simulator):
    client = client_for(simulator, rate_limit=0, max_concurrency=3)

    assert len(client.list_repos()) == REPOSITORIES

    assert simulator.max_in_flight == 3


def test_busiest_window_counts_arrivals_within_any_window():
    assert busiest_window([], 1.0) == 0
    assert busiest_window([0.0, 0.5, 1.0, 1.01, 2.5], 1.0) == 3
    assert busiest_window([0.0, 2.0, 4.0], 1.0) == 1
