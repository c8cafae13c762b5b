"""The agency bound to an ECS/BMS server or CCE node, through the metadata service (``metadata``).

As huaweicloudsdkcore's ``MetadataAccessor`` (swr-api.md 12.2): a metadata token is asked for with
``PUT /meta-data/latest/api/token`` (404, 405 and 503 mean the server offers none; then asked again at
most once a day), sent as ``X-Metadata-Token`` with ``GET /openstack/latest/securitykey``; a 401 whose
text is not "Please configure Cloud Service Agency first" means the metadata token went stale: renew it
and ask once more. Both calls count as ``GetMetadataSecurityKey``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from exporter.swr.auths import HeaderAuth
from exporter.swr.errors import ApiError
from exporter.swr.temporary import CredentialError, Triple, parse_credential
from exporter.swr.transport import Transport

OPERATION = "GetMetadataSecurityKey"
TOKEN_PATH = "/meta-data/latest/api/token"
SECURITY_KEY_PATH = "/openstack/latest/securitykey"
NO_AGENCY = "Please configure Cloud Service Agency first"
TOKEN_TTL_SECONDS = 6 * 3600
RECHECK_SECONDS = 24 * 3600
_NO_TOKEN_OFFERED = (404, 405, 503)


class MetadataSource:
    name = "the metadata service"

    def __init__(self, transport: Transport, endpoint: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._transport = transport
        self._endpoint = endpoint
        self._clock = clock
        self._token: str | None = None
        self._checked_at: float | None = None

    def fetch(self) -> Triple:
        if self._token is None and (self._checked_at is None
                                    or self._clock() - self._checked_at > RECHECK_SECONDS):
            self._update_token(required=False)
        try:
            data = self._security_key()
        except ApiError as error:
            if error.status != 401:
                raise
            if NO_AGENCY in str(error):
                raise CredentialError("no agency is bound to this server: the metadata service says "
                                      f'"{NO_AGENCY}"') from None
            self._update_token(required=True)
            data = self._security_key()
        return parse_credential(data, self.name)

    def _security_key(self) -> object:
        headers = {"X-Metadata-Token": self._token} if self._token else {}
        return self._transport.send(OPERATION, "GET", self._endpoint, SECURITY_KEY_PATH,
                                    auth=HeaderAuth(headers)).data

    def _update_token(self, *, required: bool) -> None:
        self._checked_at = self._clock()
        auth = HeaderAuth({"X-Metadata-Token-Ttl-Seconds": str(TOKEN_TTL_SECONDS)})
        try:
            reply = self._transport.send(OPERATION, "PUT", self._endpoint, TOKEN_PATH, auth=auth, text=True,
                                         retries=0)
        except ApiError as error:
            if error.status in _NO_TOKEN_OFFERED and not required:
                self._token = None
                return
            raise
        token = str(reply.data).strip()
        if not token or not token.isascii() or not token.isprintable():
            raise CredentialError("the metadata service answered with an unusable metadata token")
        self._token = token
