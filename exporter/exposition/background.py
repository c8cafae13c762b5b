"""One target's snapshot rendered off the scrape path, in the variants scrapers ask for.

A poll hands each new snapshot to ``SnapshotRenders.publish``; a thread of its own (started for the
work, ended when there is none) renders it once for both formats (``render.render_chunks``) and builds
the variants in demand: text 0.0.4 or OpenMetrics, plain or gzip. Until that is done, scrapes get the
previous snapshot's bytes, so no scrape waits for a render. Two exceptions, both once: the first
complete poll (there are no bytes of an earlier one: its scrapes wait for the render under way), and
the first scrape of a variant nobody asked for recently (built then from the current block). A variant
is in demand while it has been asked for within ``window``; plain text 0.0.4 and gzipped OpenMetrics
(what curl and Prometheus ask for) count as asked at start. Only the variants in demand are kept: the
common sample lines while a plain variant is wanted, and the compressed body of each gzip variant.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from exporter.exposition.families import SnapshotCollector
from exporter.exposition.render import Chunk, render_chunks
from exporter.polling.snapshot import Snapshot

log = logging.getLogger(__name__)

Variant = tuple[bool, bool]  # (openmetrics, gzip)
EAGER: tuple[Variant, ...] = ((False, False), (True, True))
DEMAND_WINDOW = 1800.0
# Pieces of a plain body smaller than this are joined; larger sample blocks are shared by both formats.
JOIN_BELOW = 1 << 16


def render_snapshot_chunks(snapshot: Snapshot) -> Iterable[Chunk]:
    return render_chunks(SnapshotCollector(lambda: snapshot).collect())


@dataclass(frozen=True)
class Gzipped:
    """The compressed snapshot block and the compressor state after it, to append the per-scrape tail."""

    head: bytes
    compressor: zlib._Compress

    def finish(self, tail: bytes) -> tuple[bytes, bytes]:
        compressor = self.compressor.copy()
        return self.head, compressor.compress(tail) + compressor.flush()


@dataclass
class Block:
    """One snapshot rendered: its variants (added to once, under the owner's lock, never changed)."""

    snapshot: Snapshot
    chunks: list[Chunk] | None
    plain: dict[bool, list[bytes]] = field(default_factory=dict)
    gzip: dict[bool, Gzipped] = field(default_factory=dict)


def plain_parts(chunks: Iterable[Chunk], openmetrics: bool) -> list[bytes]:
    """One format's body as pieces: headers and small families joined, large sample blocks shared."""
    slot = 1 if openmetrics else 0
    parts: list[bytes] = []
    pending = bytearray()
    for chunk in chunks:
        pending += chunk[slot]
        if len(chunk[2]) < JOIN_BELOW:
            pending += chunk[2]
            continue
        if pending:
            parts.append(bytes(pending))
            pending.clear()
        parts.append(chunk[2])
    if pending:
        parts.append(bytes(pending))
    return parts


class SnapshotRenders:
    def __init__(self, render: Callable[[Snapshot], Iterable[Chunk]] = render_snapshot_chunks, *,
                 background: bool = True, window: float = DEMAND_WINDOW,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        """``background=False`` renders in the thread that publishes (for tests and one-off uses)."""
        self._render = render
        self._background = background
        self._window = window
        self._monotonic = monotonic
        self._cond = threading.Condition()
        self._extend = threading.Lock()
        self._block: Block | None = None
        self._newest: Snapshot | None = None
        self._failed: Snapshot | None = None
        self._busy = False
        now = monotonic()
        self._asked: dict[Variant, float] = dict.fromkeys(EAGER, now)

    def publish(self, snapshot: Snapshot) -> None:
        """Render ``snapshot`` (the newest one wins if several arrive during a render)."""
        with self._cond:
            if snapshot is self._newest:
                return
            self._newest = snapshot
            if self._busy:
                return
            self._busy = True
        if self._background:
            threading.Thread(target=self._work, name="render", daemon=True).start()
        else:
            self._work()

    def settled(self, timeout: float | None = None) -> bool:
        """Wait until the newest snapshot published is rendered (or has failed to be): for tests and
        benchmarks that must see a given poll's data."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy, timeout)

    def asked(self, variant: Variant) -> None:
        self._asked[variant] = self._monotonic()

    def in_demand(self) -> list[Variant]:
        horizon = self._monotonic() - self._window
        return [variant for variant, at in list(self._asked.items()) if at >= horizon]

    def block(self, variant: Variant) -> Block | None:
        """The latest rendered block, with ``variant`` in it; None when no snapshot could be rendered."""
        with self._cond:
            # Only until the first complete poll is rendered: there are no earlier bytes of a complete
            # poll to serve meanwhile (an interim snapshot of the first poll has no duration yet).
            while self._busy and (self._block is None or self._block.snapshot.duration_seconds is None):
                self._cond.wait()
            block = self._block
        if block is None:
            return None
        openmetrics, gzip = variant
        if openmetrics not in (block.gzip if gzip else block.plain):
            with self._extend:
                self._add(block, variant)
        return block

    def _work(self) -> None:
        while True:
            with self._cond:
                snapshot = self._newest
                done = self._block is not None and self._block.snapshot is snapshot
                if snapshot is None or done or snapshot is self._failed:
                    self._busy = False
                    self._cond.notify_all()
                    return
            block = self._build(snapshot, self.in_demand())
            with self._cond:
                if block is None:
                    self._failed = snapshot
                else:
                    self._block = block
                self._cond.notify_all()

    def _build(self, snapshot: Snapshot, variants: list[Variant]) -> Block | None:
        """Every variant in ``variants`` from one pass over the families, compressing as they come."""
        keep = any(not gzip for _, gzip in variants)
        compressors = {om: zlib.compressobj(6, zlib.DEFLATED, 31) for om, gzip in variants if gzip}
        heads: dict[bool, list[bytes]] = {om: [] for om in compressors}
        kept: list[Chunk] = []
        try:
            for chunk in self._render(snapshot):
                for om, compressor in compressors.items():
                    heads[om] += (compressor.compress(chunk[1 if om else 0]), compressor.compress(chunk[2]))
                if keep:
                    kept.append(chunk)
        except Exception as error:  # the last line of defence of /metrics: serve the last good block
            log.error("target %s: cannot render the snapshot of %s (%s); serving the last good one",
                      snapshot.target, _when(snapshot.started_at), type(error).__name__, exc_info=True)
            return None
        block = Block(snapshot, kept if keep else None)
        for om, compressor in compressors.items():
            heads[om].append(compressor.flush(zlib.Z_SYNC_FLUSH))
            block.gzip[om] = Gzipped(b"".join(heads[om]), compressor)
        for om, gzip in variants:
            if not gzip:
                block.plain[om] = plain_parts(kept, om)
        return block

    def _add(self, block: Block, variant: Variant) -> None:
        """A variant the block was not built with: from its kept chunks, else rendered again (once)."""
        openmetrics, gzip = variant
        if openmetrics in (block.gzip if gzip else block.plain):
            return
        chunks = block.chunks
        if chunks is None:
            try:
                chunks = list(self._render(block.snapshot))
            except Exception:  # rendered fine before: only a bug gets here; serve an empty block
                log.exception("target %s: cannot render the snapshot again", block.snapshot.target)
                chunks = []
        if not gzip:
            block.chunks = chunks  # a plain variant is now in demand: keep what it is made of
            block.plain[openmetrics] = plain_parts(chunks, openmetrics)
            return
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
        head = [compressor.compress(part) for part in plain_parts(chunks, openmetrics)]
        head.append(compressor.flush(zlib.Z_SYNC_FLUSH))
        block.gzip[openmetrics] = Gzipped(b"".join(head), compressor)


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
