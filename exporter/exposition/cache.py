"""Renders a snapshot to exposition bytes once, and adds the small self-metrics block per scrape.

A poll produces one immutable snapshot; its block is rendered lazily, once per format (text 0.0.4 or
OpenMetrics) and encoding (plain or gzip), and reused by every scrape until the next snapshot. Only the
exporter's own metrics, which move between polls, are rendered per scrape. Each family stays one
contiguous group because the two blocks never share a family. Rendering goes through ``render.py``,
which writes what prometheus_client's ``generate_latest`` would, in under half the time.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics import exposition as openmetrics_format

from exporter.exposition.families import SnapshotCollector
from exporter.exposition.render import render
from exporter.polling.snapshot import Snapshot

log = logging.getLogger(__name__)

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = openmetrics_format.CONTENT_TYPE_LATEST


def wants_openmetrics(accept: str | None) -> bool:
    """OpenMetrics only when the scraper asks for it, and prefers it at least as much as plain text."""
    weights = _weights(accept)
    openmetrics = weights.get("application/openmetrics-text", 0.0)
    return openmetrics > 0 and openmetrics >= weights.get("text/plain", 0.0)


def wants_gzip(accept_encoding: str | None) -> bool:
    return _weights(accept_encoding).get("gzip", 0.0) > 0


def _weights(header: str | None) -> dict[str, float]:
    """Each value of an Accept or Accept-Encoding header with its q-weight; a q that is not a number
    counts as 0, so a garbled header never wins a format the scraper did not clearly ask for."""
    weights: dict[str, float] = {}
    for part in (header or "").split(","):
        value, *params = part.split(";")
        weight = 1.0
        for param in params:
            key, _, number = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(number)
                except ValueError:
                    weight = 0.0
        name = value.strip().lower()
        weights[name] = max(weights.get(name, 0.0), weight)
    return weights


@dataclass(frozen=True)
class _Gzipped:
    """The compressed snapshot block and the compressor state after it, to append the per-scrape tail."""

    head: bytes
    compressor: zlib._Compress

    def finish(self, tail: bytes) -> tuple[bytes, bytes]:
        compressor = self.compressor.copy()
        return self.head, compressor.compress(tail) + compressor.flush()


def _gzip_head(block: bytes) -> _Gzipped:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    head = compressor.compress(block) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return _Gzipped(head, compressor)


def render_snapshot(snapshot: Snapshot, openmetrics: bool) -> bytes:
    """The snapshot's families alone; OpenMetrics without its ``# EOF`` so more can follow."""
    return render(SnapshotCollector(lambda: snapshot).collect(), openmetrics=openmetrics, eof=False)


class _LastGood:
    """The last snapshot block each format rendered without error: what a scrape gets when the current
    snapshot cannot be rendered, so one value the API sent never takes /metrics down for everyone."""

    def __init__(self) -> None:
        self.blocks: dict[bool, bytes] = {}

    def render(self, render: Callable[[Snapshot, bool], bytes], snapshot: Snapshot,
               openmetrics: bool) -> bytes:
        try:
            block = render(snapshot, openmetrics)
        except Exception as error:  # the last line of defence of the scrape path; rendered once per snapshot
            log.error("target %s: cannot render the snapshot of %s (%s); serving the last good one",
                      snapshot.target, _when(snapshot.started_at), type(error).__name__, exc_info=True)
            return self.blocks.get(openmetrics, b"")
        self.blocks[openmetrics] = block
        return block


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class _RenderedSnapshot:
    def __init__(self, snapshot: Snapshot | None, render: Callable[[Snapshot, bool], bytes],
                 last_good: _LastGood | None = None) -> None:
        self.snapshot = snapshot
        self._render = render
        self._last_good = last_good or _LastGood()
        self._lock = threading.Lock()
        self._plain: dict[bool, bytes] = {}
        self._gzip: dict[bool, _Gzipped] = {}
        self._gzip_tails: dict[bool, tuple[object, tuple[bytes, bytes]]] = {}

    def plain(self, openmetrics: bool) -> bytes:
        with self._lock:
            if openmetrics not in self._plain:
                snapshot = self.snapshot
                self._plain[openmetrics] = (
                    b"" if snapshot is None else self._last_good.render(self._render, snapshot, openmetrics)
                )
            return self._plain[openmetrics]

    def gzipped(self, openmetrics: bool) -> _Gzipped:
        block = self.plain(openmetrics)
        with self._lock:
            if openmetrics not in self._gzip:
                self._gzip[openmetrics] = _gzip_head(block)
            return self._gzip[openmetrics]

    def gzip_parts(self, openmetrics: bool, tail: bytes, tail_version: object) -> tuple[bytes, bytes]:
        """The compressed body; the compressed tail is reused while the tail's version is unchanged."""
        cached = self._gzip_tails.get(openmetrics)
        if tail_version is not None and cached is not None and cached[0] == tail_version:
            return cached[1]
        parts = self.gzipped(openmetrics).finish(tail)
        self._gzip_tails[openmetrics] = (tail_version, parts)
        return parts


class Exposition:
    """Answers one scrape: the cached block of the current snapshot plus the live self-metrics."""

    def __init__(
        self,
        self_registry: CollectorRegistry,
        render: Callable[[Snapshot, bool], bytes] = render_snapshot,
        self_version: Callable[[], object] | None = None,
        live_registry: CollectorRegistry | None = None,
    ) -> None:
        """``self_version``: changes whenever the self-metrics do (between polls they do not), so their
        rendering is reused until then; without it they are rendered on every scrape. ``live_registry``:
        metrics that move all the time (the process's memory and CPU), rendered on every scrape after
        the self-metrics."""
        self._self_registry = self_registry
        self._live_registry = live_registry
        self._render = render
        self._self_version = self_version
        self._tails: dict[bool, tuple[object, bytes]] = {}
        self._last_good = _LastGood()
        self._current = _RenderedSnapshot(None, render, self._last_good)

    def _tail(self, openmetrics: bool) -> tuple[bytes, object]:
        """The self-metrics, then the live ones; the version is None (no reuse) when there are live ones."""
        live = self._live_registry
        version = None if self._self_version is None else self._self_version()
        cached = self._tails.get(openmetrics)
        if version is not None and cached is not None and cached[0] == version:
            tail = cached[1]
        else:
            # Read the version before rendering: a change during the render then forces a new one next time.
            tail = render(self._self_registry.collect(), openmetrics=openmetrics, eof=live is None)
            self._tails[openmetrics] = (version, tail)
        if live is None:
            return tail, version
        return tail + render(live.collect(), openmetrics=openmetrics), None

    def _rendered(self, snapshot: Snapshot | None) -> _RenderedSnapshot:
        current = self._current
        if current.snapshot is not snapshot:
            current = _RenderedSnapshot(snapshot, self._render, self._last_good)
            self._current = current
        return current

    def parts(self, snapshot: Snapshot | None, openmetrics: bool, gzip: bool) -> tuple[bytes, bytes]:
        """The body in two pieces: the cached snapshot block, then this scrape's tail.

        A server that writes them one after the other spares a copy of the whole block per scrape
        (megabytes for a large account, and as many at once as there are concurrent scrapes).
        """
        rendered = self._rendered(snapshot)
        tail, version = self._tail(openmetrics)
        if gzip:
            return rendered.gzip_parts(openmetrics, tail, version)
        return rendered.plain(openmetrics), tail

    def body(self, snapshot: Snapshot | None, openmetrics: bool, gzip: bool) -> bytes:
        return b"".join(self.parts(snapshot, openmetrics, gzip))

    @staticmethod
    def content_type(openmetrics: bool) -> str:
        return OPENMETRICS_CONTENT_TYPE if openmetrics else TEXT_CONTENT_TYPE
