"""What a handler answers, and the error body shapes the real services use (SWR's two, APIG's, IAM's)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}


@dataclass
class Reply:
    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Set when the payload is already serialized (cached pages, corrupted bodies).
    raw: bytes | None = None
    # An error SWR itself raised: rendered in the simulator's error_body form (see in_error_form).
    swr_error: bool = False

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ApiError(Exception):
    """Raised by handlers; turned into a reply by the server."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def swr_error(status: int, code: str, message: str, authorization_message: str | None = None) -> ApiError:
    """The object form: the new (error_code/error_msg) and old (errors[].errorCode) formats at once.

    Its ``errors`` list is the array form by itself; :func:`in_error_form` picks one."""
    old: dict[str, Any] = {"errorCode": code, "errorMessage": message, "detail": ""}
    body: dict[str, Any] = {
        "errors": [old],
        "error_code": code,
        "error_msg": message,
        "details": [{"error_code": code, "error_msg": ""}],
    }
    if authorization_message is not None:
        old["encoded_authorization_message"] = authorization_message
        body["encoded_authorization_message"] = authorization_message
    return ApiError(Reply(status, body, swr_error=True))


def in_error_form(reply: Reply, form: str) -> Reply:
    """``reply`` as sent in ``form`` ("array" or "object"); only SWR's own errors change."""
    if not reply.swr_error or form != "array" or not isinstance(reply.payload, dict):
        return reply
    return Reply(reply.status, reply.payload["errors"], dict(reply.headers), reply.raw, swr_error=True)


def gateway_error(status: int, code: str, message: str) -> ApiError:
    """API gateway shape; the request id is filled in by the server."""
    return ApiError(Reply(status, {"error_code": code, "error_msg": message, "request_id": None}))


def iam_error(status: int, message: str) -> ApiError:
    title = _TITLES.get(status, "Error")
    return ApiError(Reply(status, {"error": {"code": status, "message": message, "title": title}}))


def bad_parameter(message: str) -> ApiError:
    return swr_error(400, "SVCSTG.SWR.4001025", f"Invalid query parameter: {message}")


def not_found(what: str) -> ApiError:
    codes = {"namespace": "SVCSTG.SWR.4040001", "repository": "SVCSTG.SWR.4040002",
             "project": "SVCSTG.SWR.4040003"}
    return swr_error(404, codes.get(what, "SVCSTG.SWR.4040000"), f"The {what} does not exist")


def unauthorized(detail: str) -> ApiError:
    return gateway_error(401, "APIGW.0301", f"Incorrect IAM authentication information: {detail}")
