"""Answers a scrape with the snapshot's bytes, rendered beforehand, and the small self-metrics tail.

A poll produces one immutable snapshot; ``background.SnapshotRenders`` renders it off the scrape path
in the variants (text 0.0.4 or OpenMetrics, plain or gzip) scrapers ask for, and every scrape reuses
those bytes until the next snapshot's are ready. Only the exporter's own metrics, which move between
polls, are rendered here, and only when they have changed. Each family stays one contiguous group
because the two blocks never share a family. ``render.py`` writes what prometheus_client's
``generate_latest`` would.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics import exposition as openmetrics_format

from exporter.exposition.background import Block, Gzipped, SnapshotRenders, render_snapshot_chunks
from exporter.exposition.render import join_chunks, render
from exporter.polling.snapshot import Snapshot

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


def render_snapshot(snapshot: Snapshot, openmetrics: bool) -> bytes:
    """The snapshot's families alone, in one format; OpenMetrics without its ``# EOF`` so more can
    follow."""
    return join_chunks(render_snapshot_chunks(snapshot), openmetrics=openmetrics)


class Exposition:
    """Answers one scrape: the rendered block of the current snapshot plus the live self-metrics."""

    def __init__(
        self,
        self_registry: CollectorRegistry,
        renders: SnapshotRenders | None = None,
        self_version: Callable[[], object] | None = None,
    ) -> None:
        """``renders``: the target's renders, shared by every exposition of it (the poller publishes to
        them); without, snapshots are rendered when a scrape first brings them. ``self_version``:
        changes whenever the self-metrics do (the process metrics once a second, the rest between
        polls), so their rendering is reused until then; without it they are rendered on every scrape."""
        self._self_registry = self_registry
        self._renders = renders or SnapshotRenders(background=False)
        self._self_version = self_version
        self._tails: dict[bool, tuple[object, bytes]] = {}
        self._gzip_tails: dict[bool, tuple[object, object, tuple[bytes, bytes]]] = {}

    def _tail(self, openmetrics: bool) -> tuple[bytes, object]:
        version = None if self._self_version is None else self._self_version()
        cached = self._tails.get(openmetrics)
        if version is not None and cached is not None and cached[0] == version:
            return cached[1], version
        # Read the version before rendering: a change during the render then forces a new one next time.
        tail = render(self._self_registry.collect(), openmetrics=openmetrics)
        self._tails[openmetrics] = (version, tail)
        return tail, version

    def parts(self, snapshot: Snapshot | None, openmetrics: bool, gzip: bool) -> list[bytes]:
        """The body in pieces: the rendered snapshot block's, then this scrape's tail.

        A server that writes them one after the other spares a copy of the whole block per scrape
        (megabytes for a large account, and as many at once as there are concurrent scrapes).
        """
        tail, version = self._tail(openmetrics)
        block = None
        if snapshot is not None:
            self._renders.asked((openmetrics, gzip))
            self._renders.publish(snapshot)  # a no-op once the poller has published it
            block = self._renders.block((openmetrics, gzip))
        if gzip:
            return list(self._gzip_parts(block, openmetrics, tail, version))
        return [*(block.plain[openmetrics] if block is not None else ()), tail]

    def _gzip_parts(self, block: Block | None, openmetrics: bool, tail: bytes,
                    version: object) -> tuple[bytes, bytes]:
        """The compressed block and tail; the compressed tail is reused while neither changes."""
        gzipped = block.gzip[openmetrics] if block is not None else _EMPTY_GZIP
        cached = self._gzip_tails.get(openmetrics)
        if version is not None and cached is not None and cached[0] is gzipped and cached[1] == version:
            return cached[2]
        parts = gzipped.finish(tail)
        self._gzip_tails[openmetrics] = (gzipped, version, parts)
        return parts

    def body(self, snapshot: Snapshot | None, openmetrics: bool, gzip: bool) -> bytes:
        return b"".join(self.parts(snapshot, openmetrics, gzip))

    @staticmethod
    def content_type(openmetrics: bool) -> str:
        return OPENMETRICS_CONTENT_TYPE if openmetrics else TEXT_CONTENT_TYPE


def _empty_gzip() -> Gzipped:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    return Gzipped(compressor.flush(zlib.Z_SYNC_FLUSH), compressor)


_EMPTY_GZIP = _empty_gzip()
