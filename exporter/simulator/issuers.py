"""The credential issuers of a Huawei Cloud workload: the ECS metadata service, IAM's id-token and
securitytokens exchanges, STS assume-with-oidc and a CCE pod-identity endpoint.

Each issues temporary AK/SK/security-token triples that expire after ``lifetime`` seconds; the
signature check (``verify.py``) then refuses them with 401 APIGW.0301, as it refuses a revoked one.
Shapes are those huaweicloudsdkcore reads (swr-api.md 12.2); every value is a throw-away random one.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exporter.simulator.account import Account
from exporter.simulator.replies import Reply, iam_error
from exporter.simulator.verify import Incoming, TokenStore
from exporter.simulator.wire import utc

NO_AGENCY = "Please configure Cloud Service Agency first"
METADATA_TOKEN_MODES = ("optional", "required", "absent")


@dataclass
class IssuedTriple:
    secret_key: str
    security_token: str
    expires_at: float
    issuer: str
    revoked: bool = False


class Issuers:
    def __init__(self, account: Account, tokens: TokenStore, clock: Callable[[], float],
                 lifetime: float = 3600.0) -> None:
        self.account = account
        self.tokens = tokens
        self.clock = clock
        self.lifetime = lifetime
        self.idp_id = "sim-cce-idp"
        self.provider_urn = f"iam::{account.domain_id}:identity-provider:sim-cce"
        self.agency_urn = f"iam::{account.domain_id}:agency:swr-monitor"
        self.partner = ("partner-account", "swr-monitor")  # (domain_name, agency_name) one may assume
        self.pod_token = secrets.token_urlsafe(32)
        self.metadata_token_mode = "optional"
        self.agency_bound = True
        self._lock = threading.Lock()
        self._triples: dict[str, IssuedTriple] = {}
        self._id_tokens: set[str] = set()
        self._metadata_tokens: dict[str, float] = {}

    # --- controls ------------------------------------------------------------------------------

    def new_id_token(self) -> str:
        """A projected service-account token the simulated IAM and STS accept (until revoked)."""
        value = "eyJ" + secrets.token_urlsafe(48)
        with self._lock:
            self._id_tokens.add(value)
        return value

    def revoke_id_token(self, value: str) -> None:
        with self._lock:
            self._id_tokens.discard(value)

    def revoke_triples(self) -> None:
        with self._lock:
            for triple in self._triples.values():
                triple.revoked = True

    def revoke(self, access_key: str) -> None:
        with self._lock:
            if access_key in self._triples:
                self._triples[access_key].revoked = True

    def expire_metadata_tokens(self) -> None:
        with self._lock:
            self._metadata_tokens.clear()

    def issue(self, issuer: str, duration: float | None = None) -> dict[str, Any]:
        """A fresh triple, as the object under ``credential``; tests use it for a triple in files."""
        access = "SIM" + secrets.token_hex(8).upper()
        secret = secrets.token_hex(20)
        token = "gQ" + secrets.token_urlsafe(96)
        expires_at = self.clock() + min(self.lifetime, duration or self.lifetime)
        with self._lock:
            self._triples[access] = IssuedTriple(secret, token, expires_at, issuer)
        return {"access": access, "secret": secret, "securitytoken": token, "expires_at": utc(expires_at)}

    def lookup(self, access_key: str) -> IssuedTriple | None:
        with self._lock:
            return self._triples.get(access_key)

    def secrets(self) -> list[str]:
        """Every secret handed out: what a test checks the exporter never shows."""
        with self._lock:
            issued = [value for t in self._triples.values() for value in (t.secret_key, t.security_token)]
            return [*issued, *self._id_tokens, *self._metadata_tokens, self.pod_token]

    # --- handlers: (request, the authenticated caller or None) -> Reply --------------------------

    def metadata_token(self, request: Incoming, caller: str | None) -> Reply:
        if self.metadata_token_mode == "absent":
            return Reply(404, raw=b"404 page not found")
        value = secrets.token_urlsafe(32)
        ttl = _number(request.headers.get("x-metadata-token-ttl-seconds"), 21600)
        with self._lock:
            self._metadata_tokens[value] = self.clock() + ttl
        return Reply(200, headers={"Content-Type": "text/plain"}, raw=value.encode())

    def metadata_security_key(self, request: Incoming, caller: str | None) -> Reply:
        token = request.headers.get("x-metadata-token")
        with self._lock:
            valid = token is not None and self._metadata_tokens.get(token, 0.0) > self.clock()
        if (token is not None and not valid) or (self.metadata_token_mode == "required" and not valid):
            return Reply(401, headers={"Content-Type": "text/plain"}, raw=b"invalid metadata token")
        if not self.agency_bound:
            return Reply(401, headers={"Content-Type": "text/plain"}, raw=NO_AGENCY.encode())
        return Reply(200, {"credential": self.issue("metadata")})

    def id_token(self, request: Incoming, caller: str | None) -> Reply:
        if request.headers.get("x-idp-id") != self.idp_id:
            raise iam_error(400, "The identity provider does not exist.")
        id_token = ((_json(request.body).get("auth") or {}).get("id_token") or {}).get("id")
        if not self._valid_id_token(id_token):
            raise iam_error(401, "The id token is invalid or has expired.")
        now = self.clock()
        value = self.tokens.issue(None, now + 86_400.0)
        body = {"token": {"expires_at": utc(now + 86_400.0), "issued_at": utc(now), "methods": ["mapped"]}}
        return Reply(201, body, {"X-Subject-Token": value})

    def security_tokens(self, request: Incoming, caller: str | None) -> Reply:
        identity = (_json(request.body).get("auth") or {}).get("identity") or {}
        methods = identity.get("methods") or []
        if methods == ["token"]:
            token = identity.get("token") or {}
            issued = self.tokens.get(str(token.get("id")))
            if issued is None or issued.revoked or issued.expires_at <= self.clock():
                raise iam_error(401, "The token is invalid or has expired.")
            duration = _number(token.get("duration_seconds"), 900)
        elif methods == ["assume_role"]:
            if caller is None:
                raise iam_error(401, "The request you have made requires authentication.")
            role = identity.get("assume_role") or {}
            if (role.get("domain_name"), role.get("agency_name")) != self.partner:
                raise iam_error(403, "You are not authorized to assume this agency.")
            duration = _number(role.get("duration_seconds"), 900)
        else:
            raise iam_error(400, "The request body is invalid: identity.methods must be token or assume_role")
        if not 900 <= duration <= 86_400:
            raise iam_error(400, "duration_seconds must be between 900 and 86400")
        return Reply(201, {"credential": self.issue(methods[0], duration)})

    def assume_with_oidc(self, request: Incoming, caller: str | None) -> Reply:
        body = _json(request.body)
        if (body.get("provider_urn"), body.get("agency_urn")) != (self.provider_urn, self.agency_urn):
            return Reply(400, {"error_code": "STS.0002",
                               "error_msg": "The provider or the agency does not exist."})
        if not self._valid_id_token(body.get("id_token")):
            return Reply(401, {"error_code": "STS.0101", "error_msg": "The id token is invalid."})
        issued = self.issue("oidc", _number(body.get("duration_seconds"), 3600))
        return Reply(200, {"credentials": {"access_key_id": issued["access"],
                                           "secret_access_key": issued["secret"],
                                           "security_token": issued["securitytoken"],
                                           "expiration": issued["expires_at"]}})

    def pod_identity(self, request: Incoming, caller: str | None) -> Reply:
        if request.headers.get("authorization") != self.pod_token:
            return Reply(401, {"error_code": "CCE.01401", "error_msg": "invalid pod identity token"})
        issued = self.issue("pod_identity")
        return Reply(200, {"accessKeyId": issued["access"], "secretAccessKey": issued["secret"],
                           "securityToken": issued["securitytoken"], "expiration": issued["expires_at"]})

    def _valid_id_token(self, value: object) -> bool:
        with self._lock:
            return isinstance(value, str) and value in self._id_tokens


def _json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body or b"null")
    except ValueError:
        raise iam_error(400, "The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise iam_error(400, "The request body must be a JSON object.")
    return document


def _number(value: object, default: float) -> float:
    try:
        return float(value) if value is not None else default  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
