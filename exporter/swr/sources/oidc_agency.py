"""An agency assumed with an OIDC id token through STS (``oidc_agency``), as the SDK's ``OidcStsAccessor``:
``POST {sts}/v5/agencies/assume-with-oidc`` with the provider and agency URNs, a session name, the id
token (re-read at every exchange) and the duration."""

from __future__ import annotations

import json
from pathlib import Path

from exporter.swr.sources.files import read_secret_file
from exporter.swr.temporary import Triple, parse_credential
from exporter.swr.transport import Transport

OPERATION = "AssumeAgencyWithOidc"


class OidcAgencySource:
    name = "STS (OIDC agency)"

    def __init__(self, transport: Transport, sts_endpoint: str, *, provider_urn: str, agency_urn: str,
                 id_token_file: Path, duration: float, session_name: str) -> None:
        self._transport = transport
        self._sts = sts_endpoint
        self._payload = {"provider_urn": provider_urn, "agency_urn": agency_urn,
                         "agency_session_name": session_name, "duration_seconds": int(duration)}
        self._id_token_file = id_token_file

    def fetch(self) -> Triple:
        id_token = read_secret_file(self._id_token_file, "id token")
        body = {**self._payload, "id_token": id_token.reveal()}
        reply = self._transport.send(OPERATION, "POST", self._sts, "/v5/agencies/assume-with-oidc",
                                     auth=None, body=json.dumps(body).encode())
        return parse_credential(reply.data, self.name)
