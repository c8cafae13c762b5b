"""``--web.listen-address``: parsing, and the sockets behind it.

As in exporter-toolkit (Go's ``net.Listen``), an address without a host (``:9878``, the default) listens
on every address of IPv6 and IPv4 alike: one IPv6 socket bound to ``::`` with ``IPV6_V6ONLY`` off, so
IPv4 clients arrive as ``::ffff:a.b.c.d``; on a host without IPv6 it falls back to IPv4's ``0.0.0.0``.
An IPv6 literal is written in brackets (``[::1]:9878``). The flag may be given several times; each
address gets its own server, with its own connection limits, all serving the same app.
"""

from __future__ import annotations

import errno
import logging
import socket

from exporter.web.connections import Server, Server6

log = logging.getLogger(__name__)

# What a host without IPv6 answers; anything else (a port in use, say) is reported as it is.
NO_IPV6 = (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL, errno.EPROTONOSUPPORT)


def parse_listen_address(address: str) -> tuple[str, int]:
    """``:9878``, ``0.0.0.0:9878``, ``[::1]:9878``, ``localhost:9878`` -> (host, port); an empty host
    listens everywhere."""
    host, sep, port = address.rpartition(":")
    if not sep or not (port.isascii() and port.isdigit()) or not 0 <= int(port) <= 65535:
        raise ValueError(f"invalid listen address {address!r}: expected [host]:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if ":" not in host:
            raise ValueError(f"invalid listen address {address!r}: brackets are for IPv6 addresses")
    elif ":" in host or "[" in host or "]" in host:
        raise ValueError(f"invalid listen address {address!r}: write an IPv6 address in brackets, "
                         "as in [::1]:9878")
    return host, int(port)


class DualStackServer(Server6):
    """IPv6 and IPv4 on one socket (``::`` with ``IPV6_V6ONLY`` off), as Go listens for ``:port``."""

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def bind(address: str, handler: type, attributes: dict[str, object],
         dual_stack: type[Server] = DualStackServer) -> Server:
    """A server listening on ``address``, its class given ``attributes`` (limits, TLS context).
    ``dual_stack``: the class tried for an address without host; tests replace it to play a host
    without IPv6."""
    host, port = parse_listen_address(address)
    if host:
        base: type[Server] = Server6 if ":" in host else Server
        return type("BoundServer", (base,), attributes)((host, port), handler)
    try:
        return type("BoundServer", (dual_stack,), attributes)(("::", port), handler)
    except OSError as error:
        if error.errno not in NO_IPV6:
            raise
        log.info("no IPv6 on this host (%s): listening on IPv4 only for %s", error.strerror, address)
    return type("BoundServer", (Server,), attributes)(("0.0.0.0", port), handler)


def server_url(server: Server, scheme: str, *, browsable: bool = False) -> str:
    """The server's real address as a URL, the port the kernel chose for ``:0`` included; ``browsable``:
    an any-address (``::``, ``0.0.0.0``) as localhost, for a link to open."""
    host, port = str(server.server_address[0]), server.server_address[1]
    if browsable and host in ("::", "0.0.0.0"):
        host = "localhost"
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
