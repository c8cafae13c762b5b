import gzip
import http.client
import threading
from dataclasses import dataclass, field

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from exporter.exposition import Exposition
from exporter.server import App, make_server, parse_listen_address
from tests.snapshots import snapshot


@dataclass
class FakeTarget:
    name: str = "default"


@dataclass
class FakePoller:
    snapshot: object = None
    target: FakeTarget = field(default_factory=FakeTarget)
    first_poll_done: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def served():
    poller = FakePoller()
    state = {"alive": True}
    app = App(Exposition(CollectorRegistry()), [poller], alive=lambda: state["alive"], clock=lambda: 1.7e9)
    server = make_server("127.0.0.1:0", app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], poller, state
    server.shutdown()
    server.server_close()


def get(port, path, method="GET", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_ready_turns_200_after_the_first_poll(served):
    port, poller, _ = served
    assert get(port, "/-/ready")[0].status == 503
    poller.first_poll_done.set()
    assert get(port, "/-/ready")[0].status == 200


def test_healthy_follows_the_poller_thread_not_the_api(served):
    port, _, state = served
    assert get(port, "/-/healthy")[0].status == 200
    state["alive"] = False
    assert get(port, "/-/healthy")[0].status == 503


def test_metrics_serves_the_snapshot_in_text_format(served):
    port, poller, _ = served
    poller.snapshot = snapshot()
    response, body = get(port, "/metrics")
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/plain; version=0.0.4")
    names = {f.name for f in text_string_to_metric_families(body.decode())}
    assert "swr_repository_size_bytes" in names


def test_metrics_negotiates_openmetrics_and_gzip(served):
    port, poller, _ = served
    poller.snapshot = snapshot()
    headers = {"Accept": "application/openmetrics-text; version=1.0.0", "Accept-Encoding": "gzip"}
    response, body = get(port, "/metrics", headers=headers)
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Content-Type").startswith("application/openmetrics-text")
    assert gzip.decompress(body).endswith(b"# EOF\n")


def test_head_answers_headers_without_body(served):
    port, poller, _ = served
    poller.snapshot = snapshot()
    response, body = get(port, "/metrics", method="HEAD")
    assert response.status == 200 and body == b""
    assert int(response.getheader("Content-Length")) > 0


def test_unknown_paths_are_404_and_do_not_echo_input(served):
    port, _, _ = served
    response, body = get(port, "/nope<script>")
    assert response.status == 404
    assert b"script" not in body


def test_landing_page_shows_targets_and_collectors(served):
    port, poller, _ = served
    poller.snapshot = snapshot()
    response, body = get(port, "/")
    page = body.decode()
    assert response.status == 200
    assert "Target default" in page and "repositories" in page and "busybox" in page
    assert "href='/metrics'" in page


@pytest.mark.parametrize(
    ("address", "expected"),
    [(":9878", ("", 9878)), ("127.0.0.1:80", ("127.0.0.1", 80)), ("[::1]:9878", ("::1", 9878))],
)
def test_listen_addresses(address, expected):
    assert parse_listen_address(address) == expected


@pytest.mark.parametrize("address", ["9878", "host:", "host:99999", "host:http"])
def test_invalid_listen_addresses_are_rejected(address):
    with pytest.raises(ValueError, match="invalid listen address"):
        parse_listen_address(address)
