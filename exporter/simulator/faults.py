"""Fault injection: rules that slow, refuse, cut or corrupt matching requests."""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

from exporter.simulator.replies import Reply, gateway_error, swr_error

KINDS = ("latency", "status", "timeout", "reset", "malformed", "truncated", "wrong_type", "action")
# Kinds that add to a request rather than replace its answer: any number of them apply.
_ADDITIVE = ("latency", "action")
BODY_KINDS = ("malformed", "truncated", "wrong_type")
_DEFAULT_SECONDS = {"latency": 1.0, "timeout": 30.0}


class FaultRule:
    """``FaultRule("status", operation="ListReposDetails", times=2, status=429, retry_after=1)``.

    ``operation=None`` matches every operation; ``times=N`` expires the rule after N applications.
    Parameters: latency/timeout ``seconds``; status ``status``, ``retry_after``, ``error_code``;
    action ``action``, a callable run before the request is answered normally (a test changes the
    dataset at an exact moment: "the organization is deleted between the list and the detail call").
    """

    def __init__(self, kind: str, operation: str | None = None, times: int | None = None,
                 probability: float = 1.0, **params: Any) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if kind == "status" and int(params.get("status", 0)) < 400:
            raise ValueError("a status fault needs status= an error code (429, 500, 502, 503, ...)")
        if kind == "action" and not callable(params.get("action")):
            raise ValueError("an action fault needs action= a callable")
        self.kind = kind
        self.operation = operation
        self.remaining = times
        self.probability = probability
        self.params = params

    @property
    def seconds(self) -> float:
        return float(self.params.get("seconds", _DEFAULT_SECONDS.get(self.kind, 0.0)))

    def __repr__(self) -> str:
        return (f"FaultRule({self.kind!r}, operation={self.operation!r}, remaining={self.remaining!r}, "
                f"probability={self.probability!r}, params={self.params!r})")


@dataclass(frozen=True)
class Decision:
    extra_latency: float = 0.0
    rule: FaultRule | None = None
    actions: tuple[Any, ...] = ()


class FaultSet:
    """The active rules; thread-safe. Latency rules add up, the first other matching rule applies."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def decide(self, operation: str | None) -> Decision:
        latency, chosen, actions = 0.0, None, []
        with self._lock:
            for rule in list(self._rules):
                if rule.operation not in (None, operation):
                    continue
                if rule.kind not in _ADDITIVE and chosen is not None:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                self._consume(rule)
                if rule.kind == "latency":
                    latency += rule.seconds
                elif rule.kind == "action":
                    actions.append(rule.params["action"])
                else:
                    chosen = rule
        return Decision(latency, chosen, tuple(actions))

    def _consume(self, rule: FaultRule) -> None:
        if rule.remaining is None:
            return
        rule.remaining -= 1
        if rule.remaining <= 0:
            self._rules.remove(rule)


# Documented messages of the codes a status fault is likely to name (swr-api.md sections 8 and 12).
_MESSAGES = {
    "APIGW.0308": "The throttling threshold has been reached: policy user over ratelimit,limit:100,"
                  "time:1 minute",
    "APIGW.0202": "Backend unavailable",
    "SVCSTG.SWR.4031032": "The number of requests exceeds the maximum number allowed",
    "SVCSTG.SWR.4090023": "The system is busy",
}
_GATEWAY_DEFAULTS = {429: "APIGW.0308", 502: "APIGW.0202", 504: "APIGW.0202"}
_THROTTLES = {"apigw": (429, "APIGW.0308"), "swr403": (403, "SVCSTG.SWR.4031032"),
              "swr409": (409, "SVCSTG.SWR.4090023")}


def status_reply(rule: FaultRule) -> Reply:
    """The error a status rule answers: an ``APIGW.*`` code in the gateway's object form, any other in
    SWR's form (array or object, as the simulator's behaviour says). Without ``error_code``: 429 is
    APIG's throttling, 502/504 its backend failure, anything else ``SVCSTG.SWR.<status>0001``."""
    status = int(rule.params["status"])
    code = rule.params.get("error_code") or _GATEWAY_DEFAULTS.get(status) or f"SVCSTG.SWR.{status}0001"
    message = _MESSAGES.get(code) or _phrase(status)
    if code.startswith("APIGW."):
        error = gateway_error(status, code, message)
    else:
        error = swr_error(status, code, message)
    retry_after = rule.params.get("retry_after")
    if retry_after is not None:
        seconds = float(retry_after)
        error.reply.headers["Retry-After"] = str(int(seconds)) if seconds.is_integer() else str(seconds)
    return error.reply


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def throttle_rule(kind: Literal["apigw", "swr403", "swr409"], **rule_kwargs: Any) -> FaultRule:
    """A status rule for one of the three documented ways of being throttled:

    * "apigw": 429 ``APIGW.0308`` from the API gateway (object body);
    * "swr403": 403 ``SVCSTG.SWR.4031032`` "The number of requests exceeds the maximum number allowed";
    * "swr409": 409 ``SVCSTG.SWR.4090023`` "The system is busy" (both SWR errors, in its error form).

    ``rule_kwargs`` go to :class:`FaultRule`: ``operation``, ``times``, ``probability``, ``retry_after``.
    """
    if kind not in _THROTTLES:
        raise ValueError(f"unknown throttle kind {kind!r}; one of {', '.join(_THROTTLES)}")
    status, code = _THROTTLES[kind]
    return FaultRule("status", status=status, error_code=code, **rule_kwargs)


def corrupt(kind: str, reply: Reply) -> bytes:
    """The body a corrupting rule sends instead of ``reply``'s."""
    body = reply.body()
    if kind == "truncated":
        return body[: len(body) // 2]
    if kind == "malformed":
        # A JSON text can never start with "{[" or "{{", whatever the real body was.
        return b"{" + body
    return json.dumps(_wrong_types(reply.payload)).encode("utf-8")


def _wrong_types(value: Any) -> Any:
    """An array becomes an object; inside objects numbers and booleans become strings."""
    if isinstance(value, list):
        return {"items": [_stringify(item) for item in value]}
    return _stringify(value)


def _stringify(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return {key: _stringify(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_stringify(item) for item in value]
    return value


def mixed_faults(rate: float = 0.1, timeout_seconds: float = 0.3) -> list[FaultRule]:
    """One rule of every failing kind, each hitting any request with probability ``rate``: the weather
    of a bad day, for soak and load runs. Retry-After is 0 so that retries cost no waiting."""
    rules = [FaultRule("status", probability=rate, status=code, retry_after=0) for code in (429, 500, 503)]
    rules += [FaultRule(kind, probability=rate) for kind in ("reset", *BODY_KINDS)]
    rules.append(FaultRule("timeout", probability=rate / 4, seconds=timeout_seconds))
    return rules
