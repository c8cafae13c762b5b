"""The typed errors of SWR and IAM calls, and how SWR, API Gateway and IAM error responses are read.

Kept apart from ``transport.py`` so that collectors can raise and catch them without importing HTTP code.
"""

from __future__ import annotations

import json

REASONS = ("throttled", "unauthorized", "forbidden", "not_found", "client_error", "server_error",
           "timeout", "network", "invalid_response")
RETRYABLE = frozenset({"throttled", "server_error", "timeout", "network"})

_STATUS_REASONS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 429: "throttled"}
# API Gateway's 429, and SWR's own 403 "too many requests" and 409 "system busy".
THROTTLING_CODES = frozenset({"APIGW.0308", "SVCSTG.SWR.4031032", "SVCSTG.SWR.4090023"})
# Huawei SDK order first; SWR's old errorCode+errorMessage last, the SDK does not know it.
_ERROR_KEYS = (("error_code", "error_msg"), ("errorCode", "errorMsg"), ("code", "message"),
               ("errorCode", "errorMessage"))
_MAX_MESSAGE = 200


class ApiError(Exception):
    """A failed SWR or IAM call. Its text names the operation, never headers or credentials.

    ``str()``: ``ListReposDetails failed: HTTP 404 SVCSTG.SWR.4040002 Repository not found (request id ..)``
    """

    def __init__(self, operation: str, reason: str, *, status: int | None = None,
                 error_code: str | None = None, error_msg: str | None = None,
                 request_id: str | None = None, detail: str | None = None,
                 retry_after: float | None = None) -> None:
        self.operation = operation
        self.reason = reason
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.retry_after = retry_after
        parts = [f"{operation} failed:", f"HTTP {status}" if status is not None else None,
                 error_code, error_msg, detail]
        text = " ".join(part for part in parts if part)
        super().__init__(f"{text} (request id {request_id})" if request_id else text)


def log_fields(error: BaseException | None) -> dict[str, object]:
    """The structured log fields of a failed call (``extra=``): operation, reason, status, code and
    request_id, those that are known; nothing for another kind of error. The error's text says the same
    for a person; these let a log pipeline filter on them."""
    if not isinstance(error, ApiError):
        return {}
    fields = {"operation": error.operation, "reason": error.reason, "status": error.status,
              "code": error.error_code, "request_id": error.request_id}
    return {key: value for key, value in fields.items() if value is not None}


class InvalidResponse(ApiError):
    """An answer of the wrong shape: not JSON, not the documented structure, a field of the wrong type.

    Raised by the client's own checks and by the collectors' parsers alike, so each malformed answer is
    one error of one type, counted once (``Transport.decode``).

    ``str()``: ``ListReposDetails failed: HTTP 200 invalid response: item 3 field 'size': expected an
    integer, got str '12' (request id ..)``
    """

    def __init__(self, operation: str, detail: str, *, status: int | None = None,
                 request_id: str | None = None) -> None:
        super().__init__(operation, "invalid_response", status=status, request_id=request_id,
                         detail=f"invalid response: {detail}")
        self.detail = detail


def status_reason(status: int, error_code: str | None = None) -> str:
    """The ``reason`` of an error status (400 and above), and of SWR's own throttling codes, which come
    as 403 and 409 rather than API Gateway's 429 (swr-api.md 12)."""
    if error_code in THROTTLING_CODES:
        return "throttled"
    if status in _STATUS_REASONS:
        return _STATUS_REASONS[status]
    return "server_error" if status >= 500 else "client_error"


def parse_error(text: str) -> tuple[str | None, str | None, str | None]:
    """(error code, message, request id from the body) of an error response, read like the SDK does.

    Without a recognised code, the message is the body itself, shortened: an HTML page from a proxy.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the interpreter's stack
        return None, _shorten(text), None
    found = _find_error(data)
    code, message = found if found else (None, _shorten(text))
    body_request_id = data.get("request_id") if isinstance(data, dict) else None
    return code, message, body_request_id if isinstance(body_request_id, str) else None


def _find_error(data: object) -> tuple[str | None, str | None] | None:
    if isinstance(data, list):
        # SWR's error-code pages document a bare array: [{"errorCode": ..., "errorMessage": ...}].
        first = next((item for item in data if isinstance(item, dict)), None)
        return _find_error(first) if first is not None else None
    if not isinstance(data, dict):
        return None
    for code_key, message_key in _ERROR_KEYS:
        if code_key in data and message_key in data:
            return _text(data[code_key]), _shorten(_text(data[message_key]))
    errors = data.get("errors")
    candidates = [errors[0]] if isinstance(errors, list) and errors else []
    candidates += [value for value in data.values() if isinstance(value, dict)]
    for candidate in candidates:
        found = _find_error(candidate)
        if found:
            return found
    return None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _shorten(text: str | None) -> str | None:
    flat = " ".join((text or "").split())
    return (flat[: _MAX_MESSAGE - 3] + "...") if len(flat) > _MAX_MESSAGE else (flat or None)
