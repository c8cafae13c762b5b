"""The only module that speaks HTTP to SWR (and IAM): timeouts, paging, retries, typed errors.

Operations carry the Huawei SDK's operation names, which become the ``operation`` label of the
exporter's API metrics. Requests look like the SDK's: path parameters quoted with ``quote(v, safe='')``
and the query sent exactly as ``auth.canonical_query`` builds it, because that string is what is signed.
"""

from __future__ import annotations

import json
import logging
import random as _random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from exporter import __version__
from exporter.swr.auth import canonical_query
from exporter.swr.errors import REASONS, RETRYABLE, ApiError, parse_error, status_reason
from exporter.swr.ratelimit import RateLimiter, backoff_delay, retry_after_seconds

__all__ = ["REASONS", "ApiError", "RequestAuth", "RequestObserver", "SwrClient"]

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
Pairs = Sequence[tuple[str, object]]

_TOKEN_OPERATION = "KeystoneCreateUserTokenByPassword"


class RequestAuth(Protocol):
    def headers(self, method: str, host: str, path: str, query: str, body: bytes | None,
                base: Mapping[str, str]) -> dict[str, str]: ...

    def on_unauthorized(self) -> bool: ...


class RequestObserver(Protocol):
    def request(self, operation: str, code: str, seconds: float) -> None: ...

    def error(self, operation: str, reason: str) -> None: ...

    def retry(self, operation: str) -> None: ...


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
    signed: bool


@dataclass(frozen=True)
class _Reply:
    operation: str
    status: int
    request_id: str | None
    headers: Mapping[str, str]
    data: object


class SwrClient:
    """SWR management API calls with the rate limit, bounded concurrency and retries of DESIGN.md 4."""

    def __init__(self, *, endpoint: str, auth: RequestAuth, timeout: float = 10.0, retries: int = 3,
                 max_concurrency: int = 4, rate_limit: float = 10.0,
                 observer: RequestObserver | None = None, verify: bool | str = True,
                 session: requests.Session | None = None,
                 sleep: Callable[[float], object] | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 random: Callable[[], float] = _random.random,
                 user_agent: str = f"swr-exporter/{__version__}",
                 page_size: int = 1000, backoff_base: float = 0.5, backoff_max: float = 30.0,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self._endpoint = endpoint
        self._auth = auth
        self._timeout = timeout
        self._retries = retries
        self._max_concurrency = max(1, max_concurrency)
        self._observer: RequestObserver = observer or _NoObserver()
        self._verify = verify
        self._session = session or _new_session(self._max_concurrency)
        self._closed = threading.Event()
        # Back-off waits end early when the client is closed, so SIGTERM is not held up by a Retry-After.
        self._sleep = sleep or self._closed.wait
        self._monotonic = monotonic
        self._random = random
        self._wall_clock = wall_clock
        self._page_size = page_size
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._base_headers = {"Content-Type": "application/json", "User-Agent": user_agent}
        self._semaphore = threading.BoundedSemaphore(self._max_concurrency)
        self._limiter = RateLimiter(rate_limit, monotonic=monotonic, sleep=self._sleep)

    def list_namespaces(self) -> list[dict]:
        return self._member_list(self._get("ListNamespaces", "/v2/manage/namespaces"), "namespaces")

    def list_repos(self, namespace: str | None = None) -> list[dict]:
        pairs = [("namespace", namespace)] if namespace is not None else []
        return self._paged("ListReposDetails", "/v2/manage/repos", pairs)

    def show_repository(self, namespace: str, repository: str) -> dict:
        return self._object(self._get("ShowRepository", _repo_path(namespace, "repos", repository)))

    def list_shared_repos(self, center: str) -> list[dict]:
        return self._paged("ListSharedReposDetails", "/v2/manage/shared-repositories", [("center", center)])

    def list_repo_domains(self, namespace: str, repository: str) -> list[dict]:
        path = _repo_path(namespace, "repositories", repository) + "/access-domains"
        reply = self._get("ListRepoDomains", path)
        return self._list(reply, reply.data)

    def list_quotas(self, project_id: str) -> list[dict]:
        path = f"/v2/manage/projects/{quote(project_id, safe='')}/quotas"
        return self._member_list(self._get("ListQuotas", path), "quotas")

    def list_repository_tags(self, namespace: str, repository: str) -> list[dict]:
        return self._paged("ListRepositoryTags", _repo_path(namespace, "repos", repository) + "/tags", [])

    def create_token(self, iam_endpoint: str, body: dict) -> tuple[Mapping[str, str], object]:
        """POST /v3/auth/tokens, unsigned; the token is the X-Subject-Token response header."""
        call = self._call(_TOKEN_OPERATION, "POST", iam_endpoint, "/v3/auth/tokens",
                          [("nocatalog", "true")], body=json.dumps(body).encode(), signed=False)
        reply = self._fetch(call)
        return reply.headers, reply.data

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R | ApiError]:
        """fn over items in parallel, results in input order; an ApiError takes its item's slot.

        A fresh pool per call, so a fn that itself calls map() never waits for its own pool; the
        shared semaphore, not the pools, bounds the requests in flight.
        """
        work = list(items)
        if len(work) <= 1:
            return [_capture(fn, item) for item in work]
        pool = ThreadPoolExecutor(max_workers=min(self._max_concurrency, len(work)),
                                  thread_name_prefix="swr-client")
        try:
            return list(pool.map(lambda item: _capture(fn, item), work))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Fail every request from now on, at once: a poll in progress then ends in moments instead of
        holding the process at shutdown until its last page, tag list or back-off is done."""
        self._closed.set()
        self._session.close()

    def _paged(self, operation: str, path: str, pairs: Pairs) -> list[dict]:
        first, total = self._page(operation, path, pairs, 0)
        pages = [first, *self._more_pages(operation, path, pairs, len(first), total)]
        items = [item for page in pages for item in page]
        log.debug("%s: %d items in %d pages (total %s)", operation, len(items), len(pages), total)
        return items

    def _more_pages(self, operation: str, path: str, pairs: Pairs, first: int,
                    total: int | None) -> list[list[dict]]:
        """The pages after a first one of ``first`` items: in parallel when the total is known."""
        size = self._page_size
        pages: list[list[dict]] = []
        if total is not None and 0 < first < min(size, total):
            # Fewer items than asked for while the total says there are more: the server caps the
            # page size below our limit. Step by what it sends rather than lose the rest.
            size = first
        elif first < size:
            return pages
        if total is not None:
            for page in self.map(lambda offset: self._page(operation, path, pairs, offset)[0],
                                 range(size, total, size)):
                if isinstance(page, ApiError):
                    raise page
                pages.append(page)
            return pages
        while not pages or len(pages[-1]) == size:
            pages.append(self._page(operation, path, pairs, (len(pages) + 1) * size)[0])
        return pages

    def _page(self, operation: str, path: str, pairs: Pairs, offset: int) -> tuple[list[dict], int | None]:
        reply = self._get(operation, path, [*pairs, ("limit", self._page_size), ("offset", offset)])
        items = self._list(reply, reply.data)
        return items, _total(reply.headers.get("Content-Range"), items)

    def _list(self, reply: _Reply, data: object) -> list[dict]:
        if data is None:  # what the SDK makes of [], and what a null body means
            return []
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise self._invalid(reply.operation, reply.status, reply.request_id,
                                "expected a JSON array of objects")
        return data

    def _object(self, reply: _Reply) -> dict:
        if not isinstance(reply.data, dict):
            raise self._invalid(reply.operation, reply.status, reply.request_id, "expected a JSON object")
        return reply.data

    def _member_list(self, reply: _Reply, key: str) -> list[dict]:
        data = self._object(reply)
        if key not in data:
            raise self._invalid(reply.operation, reply.status, reply.request_id, f'no "{key}" member')
        return self._list(reply, data[key])

    def _invalid(self, operation: str, status: int, request_id: str | None, detail: str) -> ApiError:
        self._observer.error(operation, "invalid_response")
        return ApiError(operation, "invalid_response", status=status, request_id=request_id,
                        detail=f"invalid response: {detail}")

    def _get(self, operation: str, path: str, pairs: Pairs = ()) -> _Reply:
        return self._fetch(self._call(operation, "GET", self._endpoint, path, pairs))

    def _call(self, operation: str, method: str, endpoint: str, path: str, pairs: Pairs,
              body: bytes | None = None, signed: bool = True) -> _Call:
        base = urlsplit(endpoint.rstrip("/"))
        full_path = base.path + path
        query = canonical_query(pairs)
        url = f"{base.scheme}://{base.netloc}{full_path}" + (f"?{query}" if query else "")
        return _Call(operation, method, url, base.netloc, full_path, query, body, signed)

    def _fetch(self, call: _Call) -> _Reply:
        response = self._send(call)
        request_id = _request_id(response)
        try:
            data = json.loads(response.content)
        except ValueError:
            raise self._invalid(call.operation, response.status_code, request_id, "not JSON") from None
        return _Reply(call.operation, response.status_code, request_id, response.headers, data)

    def _send(self, call: _Call) -> requests.Response:
        retry = 0
        reauthorized = False
        while True:
            if self._closed.is_set():
                raise ApiError(call.operation, "network", detail="client closed: the exporter is stopping")
            try:
                return self._attempt(call)
            except ApiError as error:
                log.debug("%s attempt failed: %s", call.operation, error)
                if error.reason == "unauthorized" and call.signed and not reauthorized:
                    reauthorized = True  # one fresh credential, outside the retry budget
                    if not self._auth.on_unauthorized():
                        raise
                    delay = 0.0
                elif error.reason in RETRYABLE and retry < self._retries:
                    delay = self._delay(retry, error.retry_after)
                    retry += 1
                else:
                    raise
            self._observer.retry(call.operation)
            if delay > 0:
                self._sleep(delay)

    def _attempt(self, call: _Call) -> requests.Response:
        # Headers first, outside the semaphore: a token source may call create_token() from here.
        headers = (self._auth.headers(call.method, call.host, call.path, call.query, call.body,
                                      dict(self._base_headers))
                   if call.signed else dict(self._base_headers))
        with self._semaphore:
            self._limiter.wait()
            started = self._monotonic()
            try:
                response = self._session.request(
                    call.method, call.url, headers=headers, data=call.body, timeout=self._timeout,
                    allow_redirects=False, verify=self._verify)
            except requests.RequestException as exc:
                raise self._transport_error(call, exc, started) from exc
        self._observer.request(call.operation, str(response.status_code), self._monotonic() - started)
        if 200 <= response.status_code < 300:
            return response
        raise self._status_error(call, response)

    def _transport_error(self, call: _Call, exc: requests.RequestException, started: float) -> ApiError:
        reason = "timeout" if isinstance(exc, requests.Timeout) else "network"
        self._observer.request(call.operation, "error", self._monotonic() - started)
        self._observer.error(call.operation, reason)
        what = "timed out talking to" if reason == "timeout" else "network error talking to"
        return ApiError(call.operation, reason, detail=f"{what} {call.host} ({type(exc).__name__})")

    def _status_error(self, call: _Call, response: requests.Response) -> ApiError:
        reason = status_reason(response.status_code)
        self._observer.error(call.operation, reason)
        code, message, body_request_id = parse_error(response.text)
        retry_after = retry_after_seconds(response.headers.get("Retry-After"),
                                          date=response.headers.get("Date"), now=self._wall_clock)
        return ApiError(call.operation, reason, status=response.status_code, error_code=code,
                        error_msg=message, request_id=_request_id(response) or body_request_id,
                        retry_after=retry_after)

    def _delay(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self._backoff_max)
        return backoff_delay(retry, base=self._backoff_base, cap=self._backoff_max, random=self._random)


def _new_session(pool_size: int) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _capture(fn: Callable[[T], R], item: T) -> R | ApiError:
    try:
        return fn(item)
    except ApiError as error:
        return error


def _repo_path(namespace: str, kind: str, repository: str) -> str:
    # SWR wants "$" for the "/" inside repository names (docs); quoting then sends it as %24.
    return (f"/v2/manage/namespaces/{quote(namespace, safe='')}/{kind}/"
            f"{quote(repository.replace('/', '$'), safe='')}")


def _request_id(response: requests.Response) -> str | None:
    """What to quote to Huawei support: SWR and the gateway send X-Request-Id, IAM X-IAM-Trace-Id."""
    return response.headers.get("X-Request-Id") or response.headers.get("X-IAM-Trace-Id")


def _total(content_range: str | None, items: list[dict]) -> int | None:
    """Total from "offset-count/total", else the elements' total_range; the middle number is ignored."""
    if content_range and "/" in content_range:
        tail = content_range.rsplit("/", 1)[1].strip()
        if tail.isdigit():
            return int(tail)
    value = items[0].get("total_range") if items else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
