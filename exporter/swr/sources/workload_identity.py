"""CCE workload identity (``workload_identity``): the pod's projected service-account token for IAM keys.

As huaweicloudsdkcore's ``FederalAccessor``: ``POST {iam}/v3.0/OS-AUTH/id-token/tokens`` with
``X-Idp-Id`` and the id token gives an unscoped IAM token (``X-Subject-Token``), which
``POST {iam}/v3.0/OS-CREDENTIAL/securitytokens`` (method ``token``) turns into a temporary triple. The
token file is read at every exchange: the kubelet rotates it, and an old one is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

from exporter.swr.auths import HeaderAuth
from exporter.swr.headers import header_value
from exporter.swr.sources.files import read_secret_file
from exporter.swr.temporary import CredentialError, Triple, parse_credential
from exporter.swr.transport import Transport

ID_TOKEN_OPERATION = "CreateTokenWithIdToken"
BY_TOKEN_OPERATION = "CreateTemporaryAccessKeyByToken"
DURATION_SECONDS = 6 * 3600  # the SDK's


def temporary_keys_by_token(transport: Transport, iam_endpoint: str, token: str, issuer: str,
                            duration: int = DURATION_SECONDS) -> Triple:
    identity = {"methods": ["token"], "token": {"id": token, "duration_seconds": duration}}
    body = {"auth": {"identity": identity}}
    reply = transport.send(BY_TOKEN_OPERATION, "POST", iam_endpoint, "/v3.0/OS-CREDENTIAL/securitytokens",
                           auth=None, body=json.dumps(body).encode())
    return parse_credential(reply.data, issuer)


class WorkloadIdentitySource:
    name = "IAM (workload identity)"

    def __init__(self, transport: Transport, iam_endpoint: str, idp_id: str, id_token_file: Path) -> None:
        self._transport = transport
        self._iam = iam_endpoint
        self._idp_id = idp_id
        self._id_token_file = id_token_file

    def fetch(self) -> Triple:
        id_token = read_secret_file(self._id_token_file, "id token")
        body = {"auth": {"id_token": {"id": id_token.reveal()}}}
        reply = self._transport.send(ID_TOKEN_OPERATION, "POST", self._iam, "/v3.0/OS-AUTH/id-token/tokens",
                                     auth=HeaderAuth({"X-Idp-Id": self._idp_id}),
                                     body=json.dumps(body).encode())
        token = header_value(reply.headers, "X-Subject-Token")
        if not token or not token.isascii() or not token.isprintable():
            raise CredentialError(f"{ID_TOKEN_OPERATION} answered without a usable X-Subject-Token")
        return temporary_keys_by_token(self._transport, self._iam, token, self.name)
