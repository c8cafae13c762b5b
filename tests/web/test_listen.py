"""--web.listen-address: the forms accepted, IPv6 and IPv4 on one socket for ``:port``, IPv4 alone on a
host without IPv6, and the flag repeated."""

from __future__ import annotations

import errno
import logging
import socket
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from exporter.cli import build_parser, listen_addresses
from exporter.exposition.cache import Exposition
from exporter.web.app import App
from exporter.web.connections import Limits, Server6
from exporter.web.listen import bind, parse_listen_address
from exporter.web.server import Handler, make_server
from tests.web.test_server import FakePoller


@pytest.mark.parametrize(
    ("address", "expected"),
    [(":9878", ("", 9878)), ("127.0.0.1:80", ("127.0.0.1", 80)), ("[::1]:9878", ("::1", 9878)),
     ("[::]:0", ("::", 0)), ("localhost:9878", ("localhost", 9878))],
)
def test_listen_addresses(address, expected):
    assert parse_listen_address(address) == expected


@pytest.mark.parametrize("address", ["9878", "host:", "host:99999", "host:http", "::1:9878", "[::1:9878",
                                     "[localhost]:9878", "::9878", "host:\u0663"])
def test_invalid_listen_addresses_are_rejected(address):
    with pytest.raises(ValueError, match="invalid listen address"):
        parse_listen_address(address)


def app() -> App:
    return App(Exposition(CollectorRegistry()), [FakePoller()], alive=lambda: True)


def serving(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def answers(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.settimeout(5)
        probe.connect((host, port))
        probe.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return probe.recv(64).startswith(b"HTTP/1.1 200 ")


def test_an_address_without_host_serves_ipv6_and_ipv4_on_one_port():
    server = serving(make_server(":0", app()))
    try:
        port = server.server_address[1]
        assert server.address_family == socket.AF_INET6
        assert answers("::1", port) and answers("127.0.0.1", port)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("address", "reachable", "unreachable"),
                         [("[::1]:0", "::1", "127.0.0.1"), ("127.0.0.1:0", "127.0.0.1", "::1")])
def test_an_address_with_a_host_serves_that_address_only(address, reachable, unreachable):
    server = serving(make_server(address, app()))
    try:
        port = server.server_address[1]
        assert answers(reachable, port)
        with pytest.raises(OSError):
            answers(unreachable, port)
    finally:
        server.shutdown()
        server.server_close()


class NoIPv6(Server6):
    def server_bind(self) -> None:
        raise OSError(errno.EAFNOSUPPORT, "Address family not supported by protocol")


class PortTaken(Server6):
    def server_bind(self) -> None:
        raise OSError(errno.EADDRINUSE, "Address already in use")


def test_without_ipv6_an_address_without_host_falls_back_to_ipv4_and_serves(caplog):
    handler = type("H", (Handler,), {"site": staticmethod(app), "limits": Limits()})
    with caplog.at_level(logging.INFO, logger="exporter.web.listen"):
        server = serving(bind(":0", handler, {"limits": Limits()}, dual_stack=NoIPv6))
    try:
        assert server.address_family == socket.AF_INET and server.server_address[0] == "0.0.0.0"
        assert "no IPv6 on this host" in caplog.text
        assert answers("127.0.0.1", server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_a_port_in_use_is_reported_not_hidden_by_the_fallback():
    handler = type("H", (Handler,), {"site": staticmethod(app)})
    with pytest.raises(OSError) as error:
        bind(":0", handler, {}, dual_stack=PortTaken)
    assert error.value.errno == errno.EADDRINUSE


def test_the_flag_is_repeatable_and_the_values_given_replace_the_default():
    parser = build_parser()
    assert listen_addresses(parser.parse_args([])) == [":9878"]
    assert parser.get_default("listen_address") == ":9878"
    args = parser.parse_args(["--web.listen-address", ":9000", "--web.listen-address=[::1]:9001"])
    assert listen_addresses(args) == [":9000", "[::1]:9001"]
    assert listen_addresses(parser.parse_args(["--web.listen-address", "127.0.0.1:1"])) == ["127.0.0.1:1"]


def test_each_server_has_its_own_connection_table():
    one, two = make_server("127.0.0.1:0", app()), make_server("127.0.0.1:0", app())
    try:
        assert one.connections is not two.connections
    finally:
        one.server_close()
        two.server_close()


@given(st.text(max_size=40))
def test_any_text_is_an_address_with_a_valid_port_or_a_value_error(text):
    try:
        host, port = parse_listen_address(text)
    except ValueError as error:
        assert "invalid listen address" in str(error)
        return
    digits = text.rpartition(":")[2]
    assert 0 <= port <= 65535 and digits.isascii() and int(digits) == port
    assert "[" not in host and "]" not in host and (":" not in host or text.startswith(f"[{host}]:"))
