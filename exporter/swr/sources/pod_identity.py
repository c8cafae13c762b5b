"""CCE pod identity (``pod_identity``), as the SDK's ``PodIdentityAccessor``: ``POST`` to
``$HC_CONTAINER_CREDENTIALS_FULL_URI`` with the content of ``$HC_CONTAINER_AUTHORIZATION_TOKEN_FILE`` as
``Authorization`` (read at every exchange: CCE rotates it) and the body ``{}``."""

from __future__ import annotations

from pathlib import Path

from exporter.swr.auths import HeaderAuth
from exporter.swr.sources.files import read_secret_file
from exporter.swr.temporary import Triple, parse_credential
from exporter.swr.transport import Transport

OPERATION = "GetPodIdentityCredential"


class PodIdentitySource:
    name = "the CCE pod identity endpoint"

    def __init__(self, transport: Transport, uri: str, token_file: Path) -> None:
        self._transport = transport
        self._uri = uri
        self._token_file = token_file

    def fetch(self) -> Triple:
        token = read_secret_file(self._token_file, "pod identity token")
        reply = self._transport.send(OPERATION, "POST", self._uri, "",
                                     auth=HeaderAuth({"Authorization": token.reveal()}), body=b"{}")
        return parse_credential(reply.data, self.name)
