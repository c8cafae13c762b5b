"""The socket floor: a plain ``http.server`` that sends fixed bytes, the exporter's own body, for each
scrape. What no exporter written in Python can beat on the same machine: the cost of the connection,
the request and the copy of the body through the socket, and nothing else.

``python -m benchmarks.floor --port P --plain FILE --gzip FILE``: the gzip file's bytes go to scrapes
that accept gzip, the plain file's to the others.
"""

from __future__ import annotations

import argparse
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def handler(plain: bytes, gzipped: bytes) -> type[BaseHTTPRequestHandler]:
    class Fixed(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            gzip = "gzip" in (self.headers.get("Accept-Encoding") or "")
            body = gzipped if gzip else plain
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if gzip:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Fixed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--plain", type=Path, required=True)
    parser.add_argument("--gzip", type=Path, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(args.plain.read_bytes(),
                                                                    args.gzip.read_bytes()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.shutdown()


if __name__ == "__main__":
    main()
