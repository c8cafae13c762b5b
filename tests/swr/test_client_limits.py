"""SwrClient against answers that lie or nest without end: bounded paging and depth, never a crash."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exporter.swr.errors import ApiError, InvalidResponse
from tests.fakes.http import ENDPOINT, make_client

REPOS = f"{ENDPOINT}/v2/manage/repos"
NAMESPACES = f"{ENDPOINT}/v2/manage/namespaces"
ROOT = Path(__file__).resolve().parents[2]
DEEP = "[" * 100_000 + "]" * 100_000

# Runs in a child process with its address space capped, so that building a billion offsets fails
# there with a MemoryError instead of eating this machine's memory.
LYING_TOTAL = textwrap.dedent("""
    import json, resource, sys, time, tracemalloc
    import requests_mock
    from exporter.swr.errors import InvalidResponse
    from tests.fakes.http import ENDPOINT, make_client

    def page(request, context):
        context.headers["Content-Range"] = f"{request.qs['offset'][0]}-7/1000000000"
        return [{"name": f"repo-{i}"} for i in range(7)]

    with open("/proc/self/status") as status:
        vm_size = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    cap = (vm_size + 1024 * 1024) * 1024  # what the process has mapped now, plus 1 GiB
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    with requests_mock.Mocker() as mock:
        mock.get(ENDPOINT + "/v2/manage/repos", json=page)
        h = make_client(max_concurrency=4)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        started = time.monotonic()
        try:
            h.client.list_repos()
            outcome = "no error"
        except InvalidResponse as error:
            outcome = str(error)
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    print(json.dumps({"outcome": outcome, "seconds": seconds, "traced_peak": peak,
                      "rss_growth": rss_growth * 1024, "requests": mock.call_count,
                      "errors": h.observer.errors}))
""")


def test_a_lying_total_of_a_billion_fails_fast_with_bounded_memory():
    run = subprocess.run([sys.executable, "-c", LYING_TOTAL], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)

    assert "invalid response" in result["outcome"] and "1000000000" in result["outcome"]
    assert result["requests"] == 1  # refused after the first page, before any offset was built
    assert result["errors"] == [["ListReposDetails", "invalid_response"]]
    assert result["seconds"] < 5
    assert result["traced_peak"] < 50 * 2**20
    assert result["rss_growth"] < 50 * 2**20


def test_a_total_needing_more_pages_than_the_ceiling_is_an_invalid_response_counted_once(requests_mock):
    requests_mock.get(REPOS, json=[{"name": "r"}] * 10, headers={"Content-Range": "0-10/101"})
    h = make_client(page_size=10, max_pages=10)

    with pytest.raises(InvalidResponse, match="more than 10 pages"):
        h.client.list_repos()

    assert requests_mock.call_count == 1
    assert h.observer.errors == [("ListReposDetails", "invalid_response")]


def test_a_total_of_exactly_the_ceiling_is_paged_in_full(requests_mock):
    requests_mock.get(REPOS, json=[{"name": "r"}] * 10, headers={"Content-Range": "0-10/100"})
    h = make_client(page_size=10, max_pages=10)

    assert len(h.client.list_repos()) == 100
    assert requests_mock.call_count == 10


def test_full_pages_without_a_total_stop_at_the_ceiling(requests_mock):
    requests_mock.get(REPOS, json=[{"name": "r"}] * 10)
    h = make_client(page_size=10, max_pages=5)

    with pytest.raises(InvalidResponse, match="full pages"):
        h.client.list_repos()

    assert requests_mock.call_count == 5
    assert h.observer.errors == [("ListReposDetails", "invalid_response")]


def test_json_nested_100000_deep_is_an_invalid_response_counted_once(requests_mock):
    requests_mock.get(NAMESPACES, text=DEEP)
    h = make_client()

    with pytest.raises(InvalidResponse, match="nested too deeply"):
        h.client.list_namespaces()

    assert h.observer.errors == [("ListNamespaces", "invalid_response")]


def test_an_error_body_nested_100000_deep_is_read_as_text(requests_mock):
    requests_mock.get(NAMESPACES, text=DEEP, status_code=500)
    h = make_client(retries=0)

    with pytest.raises(ApiError) as caught:
        h.client.list_namespaces()

    assert (caught.value.reason, caught.value.status) == ("server_error", 500)
    assert len(str(caught.value)) < 400
