"""Writing a response body: as few GIL hand-backs as the client allows, within a deadline in all."""

from __future__ import annotations

import socket
import ssl
import struct
import time
from collections.abc import Callable


def send_body(sock: socket.socket, data: bytes, timeout: float,
              monotonic: Callable[[], float] = time.monotonic) -> None:
    """Writes ``data`` within ``timeout`` seconds in all, in as few ``send()`` calls as the client allows.

    ``sendall`` on a socket with a timeout waits in ``poll()`` each time the send buffer fills and takes
    the GIL back after every wait and every ``send()``: a 70 MB body is a hundred or more of those, and
    while the poller or a render runs, each waits up to the switch interval, which added 50 to 100 ms to
    a large scrape. A blocking ``send()`` copies the whole body in one call without the GIL; the kernel's
    send timeout (``SO_SNDTIMEO``) bounds each call, the deadline all of them. TLS sockets keep
    ``sendall``: their writes are encrypted piece by piece anyway."""
    if isinstance(sock, ssl.SSLSocket):
        sock.sendall(data)
        return
    deadline = monotonic() + timeout
    view = memoryview(data)
    previous = sock.gettimeout()
    sock.settimeout(None)
    try:
        while view:
            left = deadline - monotonic()
            if left <= 0:
                raise TimeoutError("response write too slow")
            seconds = int(left)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                            struct.pack("ll", seconds, max(1, int((left - seconds) * 1e6))))
            # Past SO_SNDTIMEO with nothing sent, send() fails (EAGAIN): an OSError like any other.
            view = view[sock.send(view):]
    finally:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 0, 0))
        sock.settimeout(previous)
