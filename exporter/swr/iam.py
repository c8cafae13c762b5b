"""The IAM calls that credentials need, made over the SWR client's :class:`Transport`.

Sharing the transport means a token request waits for the same rate limit and concurrency bound, is
counted in the same self-metrics and fails at once after the same ``close()`` as every SWR call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from exporter.swr.temporary import CredentialError
from exporter.swr.transport import Transport

if TYPE_CHECKING:
    from exporter.swr.credentials import RequestAuth

TOKEN_OPERATION = "KeystoneCreateUserTokenByPassword"
PROJECTS_OPERATION = "KeystoneListProjects"
_PROJECT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # it goes into request paths and headers


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

    def list_projects(self, region: str, auth: RequestAuth) -> str:
        """GET /v3/projects?name=<region> with the target's credentials: the id of the one project named
        like the region, as huaweicloudsdkcore looks it up when no project id is given."""
        reply = self._transport.send(PROJECTS_OPERATION, "GET", self._endpoint, "/v3/projects",
                                     [("name", region)], auth=auth)
        projects = reply.data.get("projects") if isinstance(reply.data, dict) else None
        if not isinstance(projects, list):
            raise CredentialError(f"{PROJECTS_OPERATION} answered without a projects list")
        ids = [item.get("id") for item in projects if isinstance(item, dict)]
        if len(ids) != 1:
            raise CredentialError(f"{PROJECTS_OPERATION} found {len(ids)} projects named {region}, not one: "
                                  "give project_id")
        if not isinstance(ids[0], str) or not _PROJECT_ID.match(ids[0]):
            raise CredentialError(f"{PROJECTS_OPERATION} answered with an unusable project id")
        return ids[0]
