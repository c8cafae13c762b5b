"""The connection cap and the deadlines: slow and idle clients give way to scrapes, busy ones do not."""

import contextlib
import http.client
import logging
import re
import socket
import ssl
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from exporter.exposition.cache import Exposition
from exporter.web.app import App
from exporter.web.connections import TOO_LONG, ConnectionTable, content_length
from exporter.web.sending import IOV_MAX, send_body
from exporter.web.server import Limits, make_server
from tests.e2e.harness import make_tls_files
from tests.web.test_server import get, raw, serve_with


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pairs():
    made: list[tuple[socket.socket, socket.socket]] = []

    def make(count: int) -> list[tuple[socket.socket, socket.socket]]:
        made.extend(socket.socketpair() for _ in range(count))
        return made[-count:]

    yield make
    for pair in made:
        for sock in pair:
            sock.close()


def hung_up(peer: socket.socket, within: float = 1.0) -> bool:
    peer.settimeout(within)
    try:
        return peer.recv(100) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def test_at_the_cap_the_connection_that_waited_longest_gives_way(pairs):
    clock = Clock()
    table = ConnectionTable(3, clock)
    (busy, busy_peer), (oldest, oldest_peer), (newer, newer_peer), (newcomer, _) = pairs(4)
    for clock.now, sock in enumerate((busy, oldest, newer)):
        assert table.admit(sock)
    assert table.busy(busy)
    clock.now = 10
    assert table.admit(newcomer)
    assert hung_up(oldest_peer) and not table.busy(oldest)  # its thread learns not to answer
    assert not hung_up(busy_peer, within=0.05) and not hung_up(newer_peer, within=0.05)
    assert len(table) == 3


def test_a_kept_alive_connection_waits_from_the_end_of_its_last_answer(pairs):
    clock = Clock()
    table = ConnectionTable(2, clock)
    (kept, kept_peer), (other, other_peer), (newcomer, _) = pairs(3)
    assert table.admit(kept) and table.busy(kept)
    clock.now = 1
    assert table.admit(other)
    clock.now = 2
    assert table.waiting(kept)  # answered: waits for its next request from now on
    assert table.admit(newcomer)
    assert hung_up(other_peer) and not hung_up(kept_peer, within=0.05)


def test_when_every_connection_is_busy_a_newcomer_is_refused(pairs):
    table = ConnectionTable(2)
    (first, _), (second, _), (third, _) = pairs(3)
    assert table.admit(first) and table.busy(first) and table.admit(second) and table.busy(second)
    assert not table.admit(third)
    table.release(first)
    assert table.admit(third)


def test_a_tls_socket_takes_the_place_of_its_tcp_socket_unless_hung_up_meanwhile(pairs):
    table = ConnectionTable(1)
    (tcp, _), (tls, _), (newcomer, _) = pairs(3)
    assert table.admit(tcp) and table.rebind(tcp, tls) and table.busy(tls)
    table.release(tls)
    assert table.admit(newcomer)
    assert not table.rebind(tcp, tls)


@pytest.mark.parametrize(("fields", "length"), [((), 0), (("5",), 5), (("5", "05"), 5), ((" 5 , 5",), 5),
                                                (("1" * 40,), TOO_LONG)])
def test_content_length_is_one_decimal_number(fields, length):
    assert content_length(fields) == length


@pytest.mark.parametrize("fields", [("5", "6"), ("5, 6",), ("-1",), ("+5",), ("0x10",), ("",), ("5,",),
                                    ("\xb2",), ("1_000",), ("5 5",), ("5", "")])
def test_content_length_that_is_not_one_decimal_number_is_refused(fields):
    with pytest.raises(ValueError, match="Content-Length"):
        content_length(fields)


@pytest.fixture
def start():
    servers = []

    def serve(limits: Limits, alive=lambda: True) -> int:
        servers.append(serve_with(limits, alive))
        return servers[-1].server_address[1]

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def connect(port: int, count: int, data: bytes = b"") -> list[socket.socket]:
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    for sock in socks:
        if data:
            sock.sendall(data)
    return socks


def hung_up_while_trickling(sock: socket.socket, within: float) -> bool:
    """Sends a header line every 0.1 s; True once the server closes the connection."""
    sock.settimeout(0.1)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            sock.sendall(b"X-Trickle: 1\r\n")
            if sock.recv(100) == b"":
                return True
        except TimeoutError:
            continue
        except ConnectionError:
            return True
    return False


@pytest.mark.parametrize("begun", [b"GET /metrics HTTP/1.1\r\nHost: x\r\n",  # and never the blank line
                                   b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 9000\r\n\r\n"])
def test_a_slow_client_is_dropped_within_the_request_deadline_however_it_trickles(start, begun):
    port = start(Limits(read_timeout=0.5, max_connections=8))
    slow = connect(port, 4, begun)
    try:
        response, body = get(port, "/metrics")
        assert response.status == 200 and b"swr_repository_size_bytes" in body
        assert all(hung_up_while_trickling(sock, within=3.0) for sock in slow)
    finally:
        for sock in slow:
            sock.close()


def test_an_idle_connection_is_closed_after_the_idle_timeout(start):
    port = start(Limits(idle_timeout=0.3, read_timeout=5))
    silent, kept = connect(port, 2)
    try:
        kept.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        response = http.client.HTTPResponse(kept)
        response.begin()
        assert response.status == 200 and response.read() == b"Healthy\n"
        began = time.monotonic()
        assert hung_up(silent, within=2) and hung_up(kept, within=2)
        assert time.monotonic() - began < 1
    finally:
        silent.close()
        kept.close()


def test_idle_and_slow_connections_at_the_cap_give_way_to_a_scrape_unanswered(start):
    port = start(Limits(max_connections=8, read_timeout=30, idle_timeout=30))
    idle = connect(port, 8)
    slow = connect(port, 8, b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    try:
        for _ in range(3):
            response, body = get(port, "/metrics")
            assert response.status == 200 and b"swr_repository_size_bytes" in body
        assert all(hung_up(sock, within=2) for sock in idle)  # the oldest went first
        assert hung_up(slow[0]) and not hung_up(slow[-1], within=0.05)  # the oldest head, unanswered
    finally:
        for sock in idle + slow:
            sock.close()


def test_when_every_connection_is_busy_a_newcomer_gets_503_until_one_is_free(start):
    entered, release = threading.Semaphore(0), threading.Event()

    def alive() -> bool:
        entered.release()
        return release.wait(timeout=10)

    port = start(Limits(max_connections=4), alive)
    busy = connect(port, 4, b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        for _ in busy:
            assert entered.acquire(timeout=5)
        assert raw(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 503 ")
        release.set()
        assert all(sock.recv(65536).startswith(b"HTTP/1.1 200 ") for sock in busy)
    finally:
        release.set()
        for sock in busy:
            sock.close()
    with contextlib.closing(socket.create_connection(("127.0.0.1", port), timeout=5)) as sock:
        sock.sendall(b"GET /-/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_connections_that_never_start_their_tls_handshake_give_way_at_the_cap(tmp_path):
    files = make_tls_files(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(files.cert), str(files.key))
    app = App(Exposition(CollectorRegistry()), [], alive=lambda: True)
    limits = Limits(max_connections=2, handshake_timeout=30)
    server = make_server("127.0.0.1:0", app, limits=limits, tls=context)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    silent = connect(port, 4)
    try:
        client = ssl.create_default_context(cafile=str(files.ca))
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=client)
        conn.request("GET", "/-/healthy")
        assert conn.getresponse().status == 200
        conn.close()
        assert hung_up(silent[0]) and hung_up(silent[1])
    finally:
        for sock in silent:
            sock.close()
        server.shutdown()
        server.server_close()


LATIN1 = st.characters(max_codepoint=255)
TOKENS = st.text(LATIN1, max_size=12)
REQUEST_LINES = st.tuples(
    st.sampled_from(["GET", "HEAD", "POST", "BREW", "get", ""]) | TOKENS,
    st.sampled_from(["/metrics", "/", "/probe?target=x", "*", "http://x/metrics", "/%ff"]) | TOKENS,
    st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1", "http/1.1", "HTTP/1.1.1", ""]) | TOKENS,
    st.sampled_from([" ", "  ", "\t"]),
).map(lambda parts: parts[3].join(parts[:3]))
FIELDS = st.tuples(
    st.sampled_from(["Content-Length", "Transfer-Encoding", "Host", "Connection", "Accept"]) | TOKENS,
    st.sampled_from(["0", "5", "-1", "1, 2", "chunked", "close", "99999999999999999999"]) | TOKENS,
).map(": ".join)


@pytest.fixture(scope="module")
def fuzzed():
    server = serve_with(Limits(read_timeout=1, max_connections=8, max_body_bytes=16))
    errors: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = errors.append  # type: ignore[method-assign]
    logging.getLogger("exporter").addHandler(handler)
    yield server.server_address[1], errors
    logging.getLogger("exporter").removeHandler(handler)
    server.shutdown()
    server.server_close()


@settings(max_examples=150, deadline=None)
@given(line=REQUEST_LINES, fields=st.lists(FIELDS, max_size=4), body=st.binary(max_size=8))
def test_a_malformed_request_head_never_gets_a_server_error_or_a_traceback(fuzzed, line, fields, body):
    port, errors = fuzzed
    head = "\r\n".join([line, *fields, "", ""]).encode("latin-1") + body
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        with contextlib.suppress(ConnectionError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    answer = b"".join(chunks)
    statuses = {int(code) for code in re.findall(rb"^HTTP/1\.1 (\d{3}) ", answer, re.MULTILINE)}
    assert answer == b"" or (answer.startswith(b"HTTP/1.1 ") and statuses)
    assert statuses <= set(range(200, 500)) | {501, 505}  # never 500 nor 503
    assert not errors, [record.getMessage() for record in errors]


@pytest.fixture
def tcp_pair():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    yield server, client
    server.close()
    client.close()


def send_timeout(sock: socket.socket) -> bytes:
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, 16)


def test_a_large_body_arrives_whole_and_the_socket_keeps_its_timeout(tcp_pair):
    server, client = tcp_pair
    server.settimeout(7.0)
    body = bytes(range(256)) * (64 * 1024)  # 16 MiB, more than any send buffer
    received = bytearray()

    def read() -> None:
        while len(received) < len(body) and (chunk := client.recv(1 << 20)):
            received.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    send_body(server, [body[:5], b"", body[5:1 << 20], body[1 << 20:]], timeout=30.0)
    reader.join(10)
    assert bytes(received) == body
    assert server.gettimeout() == 7.0
    assert send_timeout(server) == bytes(16)


def test_a_client_that_reads_nothing_fails_the_write_at_the_timeout(tcp_pair):
    server, _client = tcp_pair
    server.settimeout(7.0)
    began = time.monotonic()
    with pytest.raises(OSError):
        send_body(server, [bytes(64 << 20)], timeout=0.3)
    assert time.monotonic() - began < 3.0
    assert server.gettimeout() == 7.0
    assert send_timeout(server) == bytes(16)


def test_a_client_that_reads_slowly_fails_the_write_at_the_timeout_in_all(tcp_pair):
    server, client = tcp_pair
    stop = threading.Event()

    def trickle() -> None:  # enough to keep every send() going, far too little to finish
        while not stop.wait(0.02):
            with contextlib.suppress(OSError):
                client.recv(64 * 1024)

    reader = threading.Thread(target=trickle)
    reader.start()
    began = time.monotonic()
    try:
        with pytest.raises(OSError):
            send_body(server, [bytes(256 << 20)], timeout=0.5)
    finally:
        stop.set()
        reader.join(5)
    assert time.monotonic() - began < 3.0


def test_past_the_deadline_nothing_more_is_sent(tcp_pair):
    server, client = tcp_pair
    times = iter([0.0, 2.0])
    with pytest.raises(TimeoutError):
        send_body(server, [b"x" * 100], timeout=1.0, monotonic=lambda: next(times))
    client.settimeout(0.2)
    with pytest.raises(TimeoutError):
        client.recv(100)


def test_more_parts_than_one_system_call_takes_arrive_in_order(tcp_pair):
    server, client = tcp_pair
    parts = [str(number).encode() + b"," for number in range(3 * IOV_MAX + 7)]
    send_body(server, parts, timeout=30.0)
    server.shutdown(socket.SHUT_WR)
    client.settimeout(5)
    received = bytearray()
    while chunk := client.recv(1 << 16):
        received.extend(chunk)
    assert bytes(received) == b"".join(parts)


class ShortWrites:
    """A socket whose every sendmsg() takes only some of what it is given, as one cut short by
    SO_SNDTIMEO or a signal does."""

    def __init__(self, takes: list[int]) -> None:
        self.takes, self.received, self.timeout = takes, bytearray(), 3.0

    def gettimeout(self):
        return self.timeout

    def settimeout(self, timeout):
        self.timeout = timeout

    def setsockopt(self, *args):
        pass

    def sendmsg(self, buffers):
        assert len(buffers) <= IOV_MAX and self.timeout is None
        data = b"".join(bytes(buffer) for buffer in buffers)
        taken = data[: max(1, self.takes.pop(0) if self.takes else len(data))]
        self.received += taken
        return len(taken)


@given(st.lists(st.binary(max_size=40), max_size=30), st.lists(st.integers(0, 50), max_size=200))
def test_a_write_cut_short_goes_on_from_the_first_byte_not_sent(parts, takes):
    sock = ShortWrites(takes)
    send_body(sock, parts, timeout=30.0)  # type: ignore[arg-type]
    assert bytes(sock.received) == b"".join(parts)
    assert sock.timeout == 3.0
