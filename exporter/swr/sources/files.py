"""A triple whose parts live in files (``access_key_file``, ``secret_key_file``, ``security_token_file``).

A temporary triple is issued as one: the three files are re-read together whenever any of them changes
(mtime, size or inode: a Kubernetes secret is swapped by a symlink) or the API answers 401. A rotation
is only taken when every file part changed: a writer that has replaced the keys but not yet the token,
or the reverse, has left a mix that no issuer ever issued, and signing with it would fail, or worse,
look like a revoked key. The previous triple stays in use and the files are read again (at most once a
second) until the rotation is complete.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from exporter.config.secret import Secret
from exporter.swr.temporary import CredentialError, Triple
from exporter.swr.tokens import read_secret_file as read_token_file

log = logging.getLogger(__name__)

Part = Secret | Path | None
_NAMES = ("access key", "secret key", "security token")
RECHECK = 1.0


def read_secret_file(path: Path, what: str) -> Secret:
    """The stripped text of ``path``; CredentialError naming the file (never its content) otherwise."""
    return read_token_file(path, what, CredentialError)


class FileTriple:
    """A :class:`~exporter.swr.renewal.KeyProvider` over files; parts given as :class:`Secret` are fixed."""

    expires_at = None  # files do not say when their triple expires

    def __init__(self, access_key: Part, secret_key: Part, security_token: Part = None,
                 stat: Callable[[Path], os.stat_result] = os.stat,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if access_key is None or secret_key is None:
            raise ValueError("an access key and a secret key are required")
        self._parts: tuple[Part, ...] = (access_key, secret_key, security_token)
        self._stat = stat
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._triple: Triple | None = None
        self._key: tuple[tuple[int, int, int], ...] | None = None
        self._pending_since: float | None = None  # a half rotation seen, last read at this time

    def current(self) -> Triple:
        with self._lock:
            key = self._stat_key()
            recheck = self._pending_since is not None and self._monotonic() - self._pending_since >= RECHECK
            if self._triple is None or key != self._key or recheck:
                self._reload(key)
            if self._triple is None:
                raise CredentialError("the credential files hold no complete triple yet")
            return self._triple

    def invalidate(self, rejected: Triple) -> bool:
        with self._lock:
            self._reload(self._stat_key())
            return self._triple is not None and self._triple != rejected

    def accepted(self, triple: Triple) -> None:
        """Files learn nothing from an accepted request."""

    def _files(self) -> list[tuple[int, Path]]:
        return [(index, part) for index, part in enumerate(self._parts) if isinstance(part, Path)]

    def _stat_key(self) -> tuple[tuple[int, int, int], ...]:
        key = []
        for index, path in self._files():
            try:
                st = self._stat(path)
            except OSError as exc:
                raise CredentialError(f"cannot access {_NAMES[index]} file {path}: {exc.strerror}") from None
            key.append((st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(key)

    def _reload(self, key: tuple[tuple[int, int, int], ...]) -> None:
        values = [read_secret_file(part, _NAMES[index]) if isinstance(part, Path) else part
                  for index, part in enumerate(self._parts)]
        access, secret, token = values
        assert access is not None and secret is not None
        fresh = Triple(access, secret, token)
        self._key = key
        old = self._triple
        if old is None or old == fresh:
            self._triple, self._pending_since = fresh, None
            return
        changed = [_part_of(old, index) != _part_of(fresh, index) for index, _ in self._files()]
        if all(changed):
            log.info("credential files rotated: signing with the new triple")
            self._triple, self._pending_since = fresh, None
            return
        if self._pending_since is None:
            which = ", ".join(_NAMES[index] for (index, _), moved in zip(self._files(), changed, strict=True)
                              if moved)
            log.warning("credential files partly rotated (only the %s changed): keeping the previous triple "
                        "until all of them are replaced", which)
        self._pending_since = self._monotonic()


def _part_of(triple: Triple, index: int) -> Secret | None:
    return (triple.access_key, triple.secret_key, triple.security_token)[index]
