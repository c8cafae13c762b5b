"""An agency of another account, assumed on top of the target's own credentials (``assume_agency``):
``POST {iam}/v3.0/OS-CREDENTIAL/securitytokens`` with method ``assume_role``, authenticated as the caller
(signed with its AK/SK, or its IAM token)."""

from __future__ import annotations

import json

from exporter.config.model import AssumeAgency
from exporter.swr.credentials import RequestAuth
from exporter.swr.temporary import Triple, parse_credential
from exporter.swr.transport import Transport

OPERATION = "CreateTemporaryAccessKeyByAgency"


class AgencySource:
    def __init__(self, transport: Transport, iam_endpoint: str, caller: RequestAuth,
                 agency: AssumeAgency) -> None:
        self._transport = transport
        self._iam = iam_endpoint
        self._caller = caller
        self._agency = agency
        self.name = f"IAM (agency {agency.agency_name} of {agency.domain_name})"

    def fetch(self) -> Triple:
        role = {"domain_name": self._agency.domain_name, "agency_name": self._agency.agency_name,
                "duration_seconds": int(self._agency.duration)}
        body = {"auth": {"identity": {"methods": ["assume_role"], "assume_role": role}}}
        reply = self._transport.send(OPERATION, "POST", self._iam, "/v3.0/OS-CREDENTIAL/securitytokens",
                                     auth=self._caller, body=json.dumps(body).encode())
        return parse_credential(reply.data, self.name)
