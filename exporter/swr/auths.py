"""Request authentication with temporary credentials (:class:`TripleAuth`), and the fixed headers of the
issuers' own calls (:class:`HeaderAuth`). The static AK/SK and the token schemes are in ``credentials.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from exporter.swr.credentials import merge_headers
from exporter.swr.projects import ProjectRef
from exporter.swr.renewal import KeyProvider
from exporter.swr.signing import authorization, sdk_date
from exporter.swr.temporary import CredentialError, Triple

log = logging.getLogger(__name__)


class HeaderAuth:
    """Fixed headers on an issuer's call (``X-Idp-Id``, ``X-Metadata-Token``, pod identity's
    ``Authorization``); a 401 is final: there is nothing to refresh."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    def __repr__(self) -> str:
        return f"HeaderAuth({sorted(self._headers)})"  # the names only: the values may be secrets

    @property
    def project_id(self) -> str | None:
        return None

    def headers(self, method: str, host: str, path: str, query: str, body: bytes | None,
                base: Mapping[str, str]) -> dict[str, str]:
        return merge_headers(base, self._headers)

    def on_unauthorized(self) -> bool:
        return False

    def on_accepted(self) -> None:
        """Nothing to learn."""


class TripleAuth:
    """SDK-HMAC-SHA256 signing with the triple a :class:`KeyProvider` holds now, ``X-Security-Token``
    included and signed; after a 401 the provider is asked for another triple (``invalidate``)."""

    def __init__(self, keys: KeyProvider, project: ProjectRef | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._keys = keys
        self._project = project or ProjectRef()
        self._clock = clock
        self._sent = threading.local()  # the transport calls on_unauthorized on the thread that sent

    @property
    def project_id(self) -> str | None:
        return self._project.get()

    @property
    def expires_at(self) -> float | None:
        return self._keys.expires_at

    def headers(self, method: str, host: str, path: str, query: str, body: bytes | None,
                base: Mapping[str, str]) -> dict[str, str]:
        project_id = self._project.resolve()  # may itself send a signed IAM call: before taking a triple
        triple = self._keys.current()
        self._sent.triple = triple
        extra = {"Host": host, "X-Sdk-Date": sdk_date(datetime.fromtimestamp(self._clock(), UTC))}
        if project_id:
            extra["X-Project-Id"] = project_id
        if triple.security_token is not None:
            extra["X-Security-Token"] = triple.security_token.reveal()
        headers = merge_headers(base, extra)
        headers["Authorization"] = authorization(triple.access_key.reveal(), triple.secret_key.reveal(),
                                                 method, path, query, headers, body)
        return headers

    def on_unauthorized(self) -> bool:
        sent: Triple | None = getattr(self._sent, "triple", None)
        try:
            return sent is not None and self._keys.invalidate(sent)
        except CredentialError as exc:  # the 401 stays the error to report; why no retry is logged
            log.warning("cannot get other credentials after a 401: %s", exc)
            return False

    def on_accepted(self) -> None:
        sent: Triple | None = getattr(self._sent, "triple", None)
        if sent is not None:
            self._keys.accepted(sent)
