"""The IAM calls that credentials need, made over the SWR client's :class:`Transport`.

Sharing the transport means a token request waits for the same rate limit and concurrency bound, is
counted in the same self-metrics and fails at once after the same ``close()`` as every SWR call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from exporter.swr.transport import Transport

TOKEN_OPERATION = "KeystoneCreateUserTokenByPassword"


class IamClient:
    def __init__(self, transport: Transport, endpoint: str) -> None:
        self._transport = transport
        self._endpoint = endpoint

    def create_token(self, body: dict[str, Any]) -> tuple[Mapping[str, str], object]:
        """POST /v3/auth/tokens, unsigned; the token is the X-Subject-Token response header.

        The body holds the password: it goes on the wire only, never into an error or a log line.
        """
        reply = self._transport.send(TOKEN_OPERATION, "POST", self._endpoint, "/v3/auth/tokens",
                                     [("nocatalog", "true")], body=json.dumps(body).encode(), auth=None)
        return reply.headers, reply.data
