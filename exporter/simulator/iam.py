"""The two IAM calls a client of SWR may make: password login and the project lookup."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from exporter.simulator.account import Account
from exporter.simulator.replies import Reply, iam_error
from exporter.simulator.verify import TokenStore
from exporter.simulator.wire import utc


class IamApi:
    def __init__(self, account: Account, tokens: TokenStore, clock: Callable[[], float],
                 token_lifetime: float = 86_400.0, base_url: Callable[[], str] = lambda: "") -> None:
        self.account = account
        self.tokens = tokens
        self.clock = clock
        self.token_lifetime = token_lifetime
        self._base_url = base_url

    def create_token(self, query: Mapping[str, str], body: bytes) -> Reply:
        auth = _auth_body(body)
        identity = auth.get("identity") or {}
        if "password" not in (identity.get("methods") or []):
            raise iam_error(400, "The request body is invalid: identity.methods must contain password")
        user = ((identity.get("password") or {}).get("user")) or {}
        if not self._user_matches(user):
            raise iam_error(401, "The username or password is wrong.")
        project = self._scope(auth.get("scope") or {})
        now = self.clock()
        expires_at = now + self.token_lifetime
        value = self.tokens.issue(self.account.project_id if project else None, expires_at)
        token = self._token_body(now, expires_at, project, with_catalog="nocatalog" not in query)
        return Reply(201, {"token": token}, {"X-Subject-Token": value})

    def _user_matches(self, user: Mapping[str, Any]) -> bool:
        domain = user.get("domain") or {}
        account = self.account
        domain_ok = domain.get("name") == account.domain_name or domain.get("id") == account.domain_id
        return (domain_ok and user.get("name") == self.account.username
                and user.get("password") == self.account.password)

    def _scope(self, scope: Mapping[str, Any]) -> bool:
        """True for a project-scoped token, False for a domain-scoped one."""
        project, domain = scope.get("project"), scope.get("domain")
        if isinstance(project, dict):
            if project.get("id") == self.account.project_id or project.get("name") == self.account.region:
                return True
            raise iam_error(400, "The project in the scope does not exist.")
        if isinstance(domain, dict) and (domain.get("name") == self.account.domain_name
                                         or domain.get("id") == self.account.domain_id):
            return False
        raise iam_error(400, "The request body is invalid: scope must name a project or the domain")

    def _token_body(self, now: float, expires_at: float, project: bool, with_catalog: bool) -> dict[str, Any]:
        account = self.account
        domain = {"id": account.domain_id, "name": account.domain_name}
        token: dict[str, Any] = {
            "expires_at": utc(expires_at),
            "issued_at": utc(now),
            "methods": ["password"],
            "roles": [{"id": "0" * 31 + "1", "name": "te_admin"}],
            "user": {"id": account.user_id, "name": account.username, "password_expires_at": "",
                     "domain": domain},
        }
        if project:
            token["project"] = {"id": account.project_id, "name": account.region, "domain": domain}
        else:
            token["domain"] = domain
        if with_catalog:
            endpoint = {"url": self._base_url(), "region": account.region, "region_id": account.region,
                        "interface": "public", "id": "1" * 32}
            token["catalog"] = [{"type": "swr", "id": "2" * 32, "name": "swr", "endpoints": [endpoint]}]
        return token

    def list_projects(self, query: Mapping[str, str], body: bytes) -> Reply:
        account = self.account
        project = {
            "id": account.project_id, "name": account.region, "domain_id": account.domain_id,
            "description": "", "enabled": True, "is_domain": False, "parent_id": account.domain_id,
            "links": {"self": f"{self._base_url()}/v3/projects/{account.project_id}"},
        }
        wanted = query.get("name")
        projects = [project] if wanted in (None, account.region) else []
        links = {"self": f"{self._base_url()}/v3/projects", "previous": None, "next": None}
        return Reply(200, {"projects": projects, "links": links})


def _auth_body(body: bytes) -> Mapping[str, Any]:
    try:
        document = json.loads(body or b"null")
    except ValueError:
        raise iam_error(400, "The request body is not valid JSON.") from None
    auth = document.get("auth") if isinstance(document, dict) else None
    if not isinstance(auth, dict):
        raise iam_error(400, "The request body is invalid: auth is required")
    return auth
