import contextlib
import gzip
import http.client
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from exporter.cli import build_parser
from exporter.config.model import AuthConfig, Target
from exporter.exposition.cache import Exposition
from exporter.web.app import FIXED_PATHS, App, BadRequest, check_telemetry_path, known_name, query_params
from exporter.web.server import Limits, make_server
from tests.fakes.snapshots import snapshot


def fake_target(name: str = "default", project_id: str | None = "0123456789abcdef0123456789abcdef") -> Target:
    return Target(name, "cn-north-4", "https://swr-api.cn-north-4.myhuaweicloud.com",
                  "https://iam.cn-north-4.myhuaweicloud.com", project_id, AuthConfig())


@dataclass
class FakePoller:
    snapshot: object = None
    target: Target = field(default_factory=fake_target)
    first_poll_done: threading.Event = field(default_factory=threading.Event)
    project_id: str | None = None  # what the client looked up, when the configuration has none


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


def test_landing_page_during_the_first_poll_names_what_still_runs_and_claims_no_outcome(served):
    port, poller, _ = served
    poller.snapshot = snapshot(pending=("shares", "tags"), duration_seconds=None, last_success=None)
    page = get(port, "/")[1].decode()
    assert "First poll in progress" in page and "still running: shares, tags" in page
    assert "succeeded" not in page and "failing" not in page and "busybox" in page


@pytest.mark.parametrize("path", FIXED_PATHS)
def test_every_fixed_path_is_an_endpoint_and_cannot_be_the_telemetry_path(served, path):
    port, poller, _ = served
    poller.snapshot = snapshot()
    assert get(port, path)[0].status != 404
    with pytest.raises(ValueError, match="already an endpoint"):
        check_telemetry_path(path)


@pytest.mark.parametrize("path", ["metrics", "/metrics?x=1", "/a b", "/a\nb", ""])
def test_a_telemetry_path_a_scraper_cannot_reach_is_refused(path):
    with pytest.raises(ValueError, match="plain absolute path"):
        check_telemetry_path(path)


def test_a_bad_telemetry_path_stops_the_command_line_with_the_reason(capsys):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["--web.telemetry-path=/-/ready"])
    assert stopped.value.code == 2
    assert "--web.telemetry-path: /-/ready is already an endpoint" in capsys.readouterr().err
    assert build_parser().parse_args(["--web.telemetry-path=/swr/metrics"]).telemetry_path == "/swr/metrics"


# --- hardening ------------------------------------------------------------------------------------


def serve_with(limits: Limits, alive: Callable[[], bool] = lambda: True):
    poller = FakePoller(snapshot=snapshot())
    poller.first_poll_done.set()
    app = App(Exposition(CollectorRegistry()), [poller], alive=alive)
    server = make_server("127.0.0.1:0", app, limits=limits)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def hardened():
    server = serve_with(Limits(read_timeout=0.5, max_connections=8, max_headers=10, max_header_bytes=4096,
                               max_request_line=512, max_body_bytes=1024))
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def raw(port: int, data: bytes, timeout: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        with contextlib.suppress(ConnectionError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("path", ["/metrics", "/", "/-/healthy", "/-/ready"])
def test_only_get_and_head_are_allowed_on_known_paths(served, method, path):
    response, _ = get(served[0], path, method=method)
    assert response.status == 405
    assert response.getheader("Allow") == "GET, HEAD"


def test_other_methods_on_unknown_paths_are_404(served):
    assert get(served[0], "/admin", method="POST")[0].status == 404


def test_an_unknown_method_is_501_without_echo(hardened):
    answer = raw(hardened, b"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 501 ") and b"BREW" not in answer


def test_an_overlong_request_line_is_414_without_echo(hardened):
    answer = raw(hardened, b"GET /" + b"A" * 600 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 414 ") and b"AAAA" not in answer


def test_too_many_headers_are_431(hardened):
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(20))
    answer = raw(hardened, b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_too_many_header_bytes_are_431_without_echo(hardened):
    headers = b"".join(b"X-H%d: %s\r\n" % (i, b"Q" * 500) for i in range(9))
    answer = raw(hardened, b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ") and b"QQQ" not in answer


def test_a_small_body_is_read_and_ignored_and_a_large_one_refused(hardened):
    small = b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /"
    answer = raw(hardened, small + b"GET /-/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200 ") == 2  # the body was not taken for a request
    large = b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n\r\n"
    assert raw(hardened, large).startswith(b"HTTP/1.1 413 ")
    chunked = b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert raw(hardened, chunked).startswith(b"HTTP/1.1 411 ")


SMUGGLED = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize("fields", [[b"0", b"36"], [b"36", b"0"], [b"0, 36"], [b"-1"], [b"abc"], [b"+4"],
                                    [b"0x24"], [b""], [b"4,"], [b"\xb2"], [b"1" * 3000 + b"x"]])
def test_an_invalid_or_conflicting_content_length_is_400_and_what_follows_is_not_answered(hardened, fields):
    lengths = b"".join(b"Content-Length: %s\r\n" % value for value in fields)
    answer = raw(hardened, b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n" + lengths + b"\r\n" + SMUGGLED)
    assert answer.startswith(b"HTTP/1.1 400 ") and b"Connection: close\r\n" in answer
    assert answer.count(b"HTTP/1.1 ") == 1 and b"swr_" not in answer


def test_repeated_equal_content_lengths_frame_one_body():
    server = serve_with(Limits())
    head = b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 05, 5\r\n\r\n"
    last = SMUGGLED.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    try:
        answer = raw(server.server_address[1], head + b"GET /" + last)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.count(b"HTTP/1.1 200 ") == 2 and b"swr_repository_size_bytes" in answer


@pytest.mark.parametrize("line", [b"GET /metrics", b"GET /metrics FOO", b"GET /metrics HTTP/1", b"GET"])
def test_a_request_line_without_an_http_1_version_is_400_with_a_status_line(hardened, line):
    answer = raw(hardened, line + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ") and b"swr_" not in answer


def test_query_params_accepts_known_names_once_and_never_echoes():
    assert query_params("target=prod&module=x", {"target", "module"}) == {"target": "prod", "module": "x"}
    for query, message in (("target=a&target=b", "repeated"), ("<script>=1", "unknown query parameter"),
                           ("x" * 5000, "too long"), ("target=%ff", "malformed")):
        with pytest.raises(BadRequest) as caught:
            query_params(query, {"target"})
        assert message in str(caught.value) and "script" not in str(caught.value)


def test_known_name_rejects_unknown_targets_without_naming_them():
    assert known_name("prod", {"prod"}) == "prod"
    with pytest.raises(BadRequest, match=r"^unknown target$"):
        known_name("<evil>", {"prod"})
    with pytest.raises(BadRequest, match="missing target"):
        known_name("", {"prod"})
