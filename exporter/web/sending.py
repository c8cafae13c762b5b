"""Writing a response (head and body): as few GIL hand-backs as the client allows, within a deadline."""

from __future__ import annotations

import os
import socket
import ssl
import struct
import time
from collections.abc import Callable, Sequence

# Buffers one sendmsg() takes; POSIX guarantees 16, and sysconf says -1 where it knows no limit.
IOV_MAX = max(16, os.sysconf("SC_IOV_MAX")) if hasattr(os, "sysconf") else 16


def send_body(sock: socket.socket, parts: Sequence[bytes], timeout: float,
              monotonic: Callable[[], float] = time.monotonic) -> None:
    """Writes ``parts``, one after the other, within ``timeout`` seconds in all, in as few system calls
    as the client allows.

    ``sendall`` on a socket with a timeout waits in ``poll()`` each time the send buffer fills and takes
    the GIL back after every wait and every ``send()``: a 70 MB body is a hundred or more of those, and
    while the poller or a render runs, each waits its turn, which added 50 to 100 ms to a large scrape.
    Here one blocking ``sendmsg()`` hands the kernel every part at once and copies them all without the
    GIL; the kernel's send timeout (``SO_SNDTIMEO``) bounds each call, the deadline all of them. TLS
    sockets keep ``sendall``: their writes are encrypted piece by piece anyway."""
    if isinstance(sock, ssl.SSLSocket):
        for part in parts:
            sock.sendall(part)
        return
    deadline = monotonic() + timeout
    views = [memoryview(part) for part in parts if part]
    first = 0  # views before this one are sent
    previous = sock.gettimeout()
    sock.settimeout(None)
    try:
        while first < len(views):
            left = deadline - monotonic()
            if left <= 0:
                raise TimeoutError("response write too slow")
            seconds = int(left)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                            struct.pack("ll", seconds, max(1, int((left - seconds) * 1e6))))
            # Past SO_SNDTIMEO with nothing sent, sendmsg() fails (EAGAIN): an OSError like any other.
            sent = sock.sendmsg(views[first:first + IOV_MAX])
            while sent and sent >= len(views[first]):
                sent -= len(views[first])
                first += 1
            if sent:
                views[first] = views[first][sent:]
    finally:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 0, 0))
        sock.settimeout(previous)
