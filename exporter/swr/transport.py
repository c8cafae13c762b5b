"""One HTTP call to SWR or IAM: rate limit, bounded concurrency, retries, typed errors, self-metrics.

The SWR client and the IAM calls of the credentials share one :class:`Transport`, so every request of a
target, token requests included, obeys the same limits and stops with the same ``close()``. Requests
look like the SDK's: the query goes on the wire exactly as ``signing.canonical_query`` builds it,
because that string is what is signed.
"""

from __future__ import annotations

import json
import logging
import random as _random
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import requests

from exporter import __version__
from exporter.swr.api import RequestObserver
from exporter.swr.credentials import RequestAuth
from exporter.swr.deadline import Attempt, Deadlines, new_session
from exporter.swr.errors import RETRYABLE, ApiError, InvalidResponse, log_fields, parse_error, status_reason
from exporter.swr.ratelimit import RateLimiter, backoff_delay, retry_after_seconds
from exporter.swr.signing import canonical_query

log = logging.getLogger(__name__)

T = TypeVar("T")
Pairs = Sequence[tuple[str, object]]


class _NoObserver:
    def request(self, operation: str, code: str, seconds: float) -> None:
        pass

    def error(self, operation: str, reason: str) -> None:
        pass

    def retry(self, operation: str) -> None:
        pass


@dataclass(frozen=True)
class _Call:
    operation: str
    method: str
    url: str
    host: str
    path: str
    query: str
    body: bytes | None


@dataclass(frozen=True)
class Reply:
    """A 2xx answer with its JSON body decoded; ``data`` is None for a ``null`` body."""

    operation: str
    status: int
    request_id: str | None
    headers: Mapping[str, str]
    data: object


class Transport:
    """Sends calls with the timeout, rate limit, bounded concurrency and retries of DESIGN.md 4."""

    def __init__(self, *, timeout: float = 10.0, retries: int = 3, max_concurrency: int = 4,
                 rate_limit: float = 10.0, observer: RequestObserver | None = None,
                 verify: bool | str = True, session: requests.Session | None = None,
                 sleep: Callable[[float], object] | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 random: Callable[[], float] = _random.random,
                 user_agent: str = f"swr-exporter/{__version__}",
                 backoff_base: float = 0.5, backoff_max: float = 30.0,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self._timeout = timeout
        self._retries = retries
        self._max_concurrency = max(1, max_concurrency)
        self._observer: RequestObserver = observer or _NoObserver()
        self._verify = verify
        self._session = session or new_session(self._max_concurrency)
        self._deadlines = Deadlines(timeout)
        self._closed = threading.Event()
        # Back-off waits end early when the transport is closed, so SIGTERM is not held up by a Retry-After.
        self._sleep = sleep or self._closed.wait
        self._monotonic = monotonic
        self._random = random
        self._wall_clock = wall_clock
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._base_headers = {"Content-Type": "application/json", "User-Agent": user_agent}
        self._semaphore = threading.BoundedSemaphore(self._max_concurrency)
        self._limiter = RateLimiter(rate_limit, monotonic=monotonic, sleep=self._sleep)

    @property
    def max_concurrency(self) -> int:
        return self._max_concurrency

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def send(self, operation: str, method: str, endpoint: str, path: str, pairs: Pairs = (), *,
             auth: RequestAuth | None, body: bytes | None = None, text: bool = False,
             retries: int | None = None) -> Reply:
        """One call to ``endpoint`` + ``path``, signed by ``auth`` (None: unsigned), retried as needed.

        ``text``: the answer is plain text (the metadata token), ``data`` is then a str. ``retries``:
        instead of the configured count (0 where an error status is itself the answer).
        Raises :class:`ApiError`; :class:`InvalidResponse` for a 1xx/3xx answer or one that is not JSON.
        """
        call = _call(operation, method, endpoint, path, pairs, body)
        response = self._send(call, auth, self._retries if retries is None else retries)
        return self.decode(operation, lambda: _reply(operation, response, text))

    def decode(self, operation: str, parse: Callable[[], T]) -> T:
        """``parse()``; an :class:`InvalidResponse` it raises is counted for ``operation`` and re-raised.

        The only place that counts ``invalid_response``: the transport's own JSON check, the client's
        shape checks and the collectors' parsers all end up here, so one bad answer counts once.
        """
        try:
            return parse()
        except InvalidResponse:
            self._observer.error(operation, "invalid_response")
            raise

    def close(self) -> None:
        """Fail every request from now on, at once: a poll in progress then ends in moments instead of
        holding the process at shutdown until its last page, tag list or back-off is done. Requests in
        flight end too: their sockets are shut down, which interrupts a read blocked on a silent server."""
        self._closed.set()
        self._deadlines.cancel()
        self._session.close()

    def _send(self, call: _Call, auth: RequestAuth | None, retries: int) -> requests.Response:
        retry = 0
        reauthorized = False
        while True:
            if self._closed.is_set():
                raise _closed_error(call)
            try:
                return self._attempt(call, auth)
            except ApiError as error:
                log.debug("attempt failed", extra={**log_fields(error), "err": str(error)})
                if error.reason == "unauthorized" and auth is not None and not reauthorized:
                    reauthorized = True  # one fresh credential, outside the retry budget
                    if not auth.on_unauthorized():
                        raise
                    delay = 0.0
                elif error.reason in RETRYABLE and retry < retries:
                    delay = self._delay(retry, error.retry_after)
                    retry += 1
                else:
                    raise
            self._observer.retry(call.operation)
            if delay > 0:
                self._sleep(delay)

    def _attempt(self, call: _Call, auth: RequestAuth | None) -> requests.Response:
        """The response unless its status is an error (400 and above); redirects are not followed."""
        # Headers first, outside the semaphore: a token source may make its own IAM call from here.
        headers = dict(self._base_headers)
        if auth is not None:
            headers = auth.headers(call.method, call.host, call.path, call.query, call.body, headers)
        with self._semaphore:
            self._limiter.wait()
            started = self._monotonic()
            # The deadline covers the whole attempt, body included: a socket timeout bounds each read.
            with self._deadlines.attempt() as attempt:
                try:
                    response = self._session.request(
                        call.method, call.url, headers=headers, data=call.body, timeout=self._timeout,
                        allow_redirects=False, verify=self._verify)
                except requests.RequestException as exc:
                    drop_frames(exc)
                    raise self._transport_error(call, exc, started, attempt) from exc
                if attempt.expired or attempt.cancelled:  # cut short, yet complete-looking
                    raise self._transport_error(call, None, started, attempt)
        self._observer.request(call.operation, str(response.status_code), self._monotonic() - started)
        if auth is not None and response.status_code != 401:
            auth.on_accepted()
        if response.status_code < 400:
            return response
        raise self._status_error(call, response)

    def _transport_error(self, call: _Call, exc: requests.RequestException | None, started: float,
                         attempt: Attempt) -> ApiError:
        if attempt.cancelled:
            return _closed_error(call)
        reason = "timeout" if attempt.expired or isinstance(exc, requests.Timeout) else "network"
        self._observer.request(call.operation, "error", self._monotonic() - started)
        self._observer.error(call.operation, reason)
        if attempt.expired:
            detail = f"no complete answer from {call.host} within {self._timeout:g}s"
        else:
            what = "timed out talking to" if reason == "timeout" else "network error talking to"
            detail = f"{what} {call.host} ({type(exc).__name__})"
        return ApiError(call.operation, reason, detail=detail)

    def _status_error(self, call: _Call, response: requests.Response) -> ApiError:
        code, message, body_request_id = parse_error(response.text)
        reason = status_reason(response.status_code, code)
        self._observer.error(call.operation, reason)
        retry_after = retry_after_seconds(response.headers.get("Retry-After"),
                                          date=response.headers.get("Date"), now=self._wall_clock)
        return ApiError(call.operation, reason, status=response.status_code, error_code=code,
                        error_msg=message, request_id=_request_id(response) or body_request_id,
                        retry_after=retry_after)

    def _delay(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self._backoff_max)
        return backoff_delay(retry, base=self._backoff_base, cap=self._backoff_max, random=self._random)


def _call(operation: str, method: str, endpoint: str, path: str, pairs: Pairs, body: bytes | None) -> _Call:
    base = urlsplit(endpoint.rstrip("/"))
    full_path = base.path + path
    query = canonical_query(pairs)
    url = f"{base.scheme}://{base.netloc}{full_path}" + (f"?{query}" if query else "")
    return _Call(operation, method, url, base.netloc, full_path, query, body)


def _reply(operation: str, response: requests.Response, text: bool = False) -> Reply:
    status, request_id = response.status_code, _request_id(response)
    if not 200 <= status < 300:
        raise InvalidResponse(operation, "neither success nor error (redirects are not followed)",
                              status=status, request_id=request_id)
    if text:
        return Reply(operation, status, request_id, response.headers, response.text)
    try:
        data = json.loads(response.content)
    except ValueError:
        raise InvalidResponse(operation, "not JSON", status=status, request_id=request_id) from None
    except RecursionError:  # arrays or objects nested deeper than the interpreter's stack
        raise InvalidResponse(operation, "JSON nested too deeply", status=status,
                              request_id=request_id) from None
    return Reply(operation, status, request_id, response.headers, data)


def _closed_error(call: _Call) -> ApiError:
    return ApiError(call.operation, "network", detail="client closed: the exporter is stopping")


def _request_id(response: requests.Response) -> str | None:
    """What to quote to Huawei support: SWR and the gateway send X-Request-Id, IAM X-IAM-Trace-Id."""
    return response.headers.get("X-Request-Id") or response.headers.get("X-IAM-Trace-Id")


def drop_frames(error: BaseException) -> None:
    """Clears the local variables of every frame in ``error``'s tracebacks, its causes' and contexts'.

    urllib3 keeps the exception it handles in a local of the frame that handled it
    (``connectionpool.urlopen``), which that exception's traceback references: a reference cycle, which
    through each frame's caller holds every frame of the poll's stack, the pages and records in their
    locals included, until a full garbage collection, which runs hourly here (``garbage.py``). Without
    the locals there is no cycle, and the error goes by reference counting. Only the exception texts are
    ever used."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)  # a frame still running is left as it is
        pending += [current.__cause__, current.__context__]
        pending += [arg for arg in current.args if isinstance(arg, BaseException)]
