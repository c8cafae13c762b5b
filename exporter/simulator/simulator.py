"""The simulator: routes a request, applies faults, checks credentials, answers and records it."""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from exporter.simulator import routes
from exporter.simulator.account import Account
from exporter.simulator.behaviour import DOCUMENTED, Behaviour
from exporter.simulator.data import Dataset
from exporter.simulator.enterprise import EnterpriseApi
from exporter.simulator.enterprise_data import EnterpriseDataset
from exporter.simulator.faults import BODY_KINDS, Decision, FaultSet, corrupt, status_reply
from exporter.simulator.iam import IamApi
from exporter.simulator.issuers import Issuers
from exporter.simulator.listing import parse_filter
from exporter.simulator.replies import ApiError, Reply, gateway_error, in_error_form
from exporter.simulator.server import HttpServer, Outcome
from exporter.simulator.swr import SwrApi
from exporter.simulator.verify import Incoming, TokenStore, Verifier

log = logging.getLogger(__name__)
request_log = logging.getLogger(__name__.rpartition(".")[0] + ".requests")
JSON = "application/json;charset=UTF-8"


@dataclass(frozen=True)
class RequestRecord:
    """One request as received. ``query`` is the parsed query string (last value of a repeated name),
    ``query_string`` the raw one; ``params``, ``limit`` and ``offset`` read them as SWR does."""

    operation: str | None
    method: str
    path: str  # raw, still percent-encoded
    query: dict[str, str]
    status: int | None  # None when the connection was dropped without an answer
    auth: str | None  # "aksk", "token" or None
    request_id: str
    fault: str | None = None
    query_string: str = ""

    @property
    def params(self) -> dict[str, str]:
        """The query as SWR reads it: ``filter=k::v|...``, when present, replaces the other parameters."""
        if "filter" not in self.query:
            return dict(self.query)
        try:
            return parse_filter(self.query["filter"])
        except ApiError:
            return {}

    @property
    def limit(self) -> int | None:
        return _integer(self.params.get("limit"))

    @property
    def offset(self) -> int | None:
        return _integer(self.params.get("offset"))


def _integer(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


class Simulator:
    def __init__(self, dataset: Dataset | None = None, account: Account | None = None,
                 clock: Callable[[], float] = time.time, evolve: bool = False, latency: float = 0.0,
                 token_lifetime: float = 86_400.0, *, max_skew: float | None = 900.0,
                 rng: random.Random | None = None, tls: ssl.SSLContext | None = None,
                 behaviour: Behaviour = DOCUMENTED, credential_lifetime: float = 3600.0,
                 enterprise: EnterpriseDataset | None = None, request_log: bool = False) -> None:
        """``tls``: serve HTTPS with this server context (tests of the exporter's certificate checks).
        ``behaviour``: which of the documented SWR behaviours to show; the default is what Huawei
        documents (see :class:`Behaviour`). ``credential_lifetime``: how long the temporary triples of the
        credential issuers (``issuers``) stay valid. ``request_log``: one info line per request answered
        (or dropped), on logger ``exporter.simulator.requests``; off, nothing is logged per request."""
        self._request_log = request_log
        self.dataset = dataset if dataset is not None else Dataset.generate()
        self.account = account if account is not None else Account.generate()
        self._behaviour = behaviour
        self.latency = latency
        self._clock = clock
        self._stopping = threading.Event()
        self.faults = FaultSet(rng)
        self.tokens = TokenStore()
        self.issuers = Issuers(self.account, self.tokens, self.now, credential_lifetime)
        self._verifier = Verifier(self.account, self.tokens, self.now, max_skew, self.issuers.lookup)
        self._swr = SwrApi(self.dataset, self.account, self.now, evolve, behaviour)
        self.enterprise = enterprise if enterprise is not None else EnterpriseDataset.generate(
            start=self.dataset.start)
        self._ee = EnterpriseApi(self.enterprise, self.account, self.now, evolve)
        self._iam = IamApi(self.account, self.tokens, self.now, token_lifetime, lambda: self.base_url)
        self._http = HttpServer(self.process, tls)
        self._scheme = "http" if tls is None else "https"
        self._records: list[RequestRecord] = []
        self._records_lock = threading.Lock()
        self._port: int | None = None
        self._host = "127.0.0.1"

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._stopping.clear()
        self._host = host
        self._port = self._http.start(host, port)
        log.info("SWR simulator listening on %s", self.base_url)
        return self.base_url

    def stop(self) -> None:
        self._stopping.set()
        self._http.stop()

    def __enter__(self) -> Simulator:
        if self._port is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the simulator has not been started")
        return self._port

    @property
    def base_url(self) -> str:
        if self._port is None:
            return ""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{self._scheme}://{host}:{self._port}"

    @property
    def behaviour(self) -> Behaviour:
        return self._behaviour

    # --- controls ------------------------------------------------------------------------------

    def now(self) -> float:
        return self._clock()

    def set_clock(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def revoke_tokens(self) -> None:
        self.tokens.revoke_all()

    def expire_tokens(self) -> None:
        self.tokens.expire_all()

    def issued_tokens(self) -> list[str]:
        """Every token the simulated IAM handed out: secrets a test checks the exporter never shows."""
        return self.tokens.values()

    def issued_secrets(self) -> list[str]:
        """Every token, secret key, security token and id token handed out: none may ever show."""
        return [*self.tokens.values(), *self.issuers.secrets()]

    @property
    def requests(self) -> list[RequestRecord]:
        with self._records_lock:
            return list(self._records)

    def clear_requests(self) -> None:
        with self._records_lock:
            self._records.clear()

    # --- one request ---------------------------------------------------------------------------

    def process(self, request: Incoming) -> Outcome:
        request_id = uuid.uuid4().hex
        route = routes.match(request.method, request.path)
        operation = route.operation if route else None
        decision = self.faults.decide(operation)
        self._pause(self.latency + decision.extra_latency)
        for action in decision.actions:
            action()
        rule = decision.rule
        fault = rule.kind if rule else None
        auth: str | None = None
        if rule is not None and rule.kind in ("timeout", "reset"):
            if rule.kind == "timeout":
                self._pause(rule.seconds)
            self._record(request, operation, None, None, request_id, fault)
            return Outcome(drop="close" if rule.kind == "timeout" else "reset")
        if rule is not None and rule.kind == "status":
            reply = status_reply(rule)
        else:
            auth, reply = self._answer(request, route)
        reply = self._finish(reply, request_id, decision)
        self._record(request, operation, reply.status, auth, request_id, fault)
        return Outcome(reply=reply)

    def _answer(self, request: Incoming, route: routes.Route | None) -> tuple[str | None, Reply]:
        auth = None
        try:
            if route is None:
                raise gateway_error(404, "APIGW.0101", "The API does not exist or has not been published "
                                    "in the environment")
            if route.issuer:
                return self._issue(request, route)
            if route.auth != "none" or "authorization" in request.headers:
                auth = self._verifier.authenticate(request, project_scoped=route.auth == "project")
            query = dict(parse_qsl(request.query, keep_blank_values=True))
            if route.iam:
                return auth, getattr(self._iam, route.handler)(query, request.body)
            handlers = self._ee if route.handler.startswith("ee_") else self._swr
            return auth, getattr(handlers, route.handler)(query, *route.args)
        except ApiError as error:
            return auth, error.reply

    def _issue(self, request: Incoming, route: routes.Route) -> tuple[str | None, Reply]:
        """Only assume_role is made as a caller; pod identity's Authorization is its own token."""
        caller = None
        headers = request.headers
        if route.handler == "security_tokens" and ("authorization" in headers or "x-auth-token" in headers):
            caller = self._verifier.authenticate(request, project_scoped=False)
        return caller, getattr(self.issuers, route.handler)(request, caller)

    def _finish(self, reply: Reply, request_id: str, decision: Decision) -> Reply:
        reply = in_error_form(reply, self._behaviour.error_body)
        payload: Any = reply.payload
        if isinstance(payload, dict) and "request_id" in payload and payload["request_id"] is None:
            payload = {**payload, "request_id": request_id}
        headers = {"Content-Type": JSON, **reply.headers, "X-Request-Id": request_id}
        finished = Reply(reply.status, payload, headers, reply.raw, reply.swr_error)
        if decision.rule is not None and decision.rule.kind in BODY_KINDS:
            finished.raw = corrupt(decision.rule.kind, finished)
        return finished

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _record(self, request: Incoming, operation: str | None, status: int | None, auth: str | None,
                request_id: str, fault: str | None) -> None:
        query = dict(parse_qsl(request.query, keep_blank_values=True))
        record = RequestRecord(operation, request.method, request.path, query, status, auth, request_id,
                               fault, request.query)
        with self._records_lock:
            self._records.append(record)
        if self._request_log:
            request_log.info("request", extra={
                "method": request.method, "path": request.path, "status": status or "dropped",
                "operation": operation, "fault": fault, "request_id": request_id})
