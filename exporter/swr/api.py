"""What the rest of the exporter may rely on from ``swr/``: the client's calls and the observer it reports to.

Collectors are written against :class:`SwrApi`, so tests hand them a fake with these methods and nothing
else; the telemetry implements :class:`RequestObserver`, so the client knows nothing of Prometheus.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

from exporter.swr.errors import ApiError

T = TypeVar("T")
R = TypeVar("R")


class RequestObserver(Protocol):
    """Told about every HTTP attempt, from many threads at once; must not block."""

    def request(self, operation: str, code: str, seconds: float) -> None: ...

    def error(self, operation: str, reason: str) -> None: ...

    def retry(self, operation: str) -> None: ...


class SwrApi(Protocol):
    """The SWR calls collectors may make. Every call raises :class:`ApiError` (or its subclass
    ``InvalidResponse``) on failure, already counted by the observer."""

    @property
    def project_id(self) -> str | None:
        """The configured project, else the one the IAM token was scoped to; None until that is known."""
        ...

    def list_namespaces(self) -> list[dict[str, Any]]: ...

    def list_repos(self, namespace: str | None = None) -> list[dict[str, Any]]: ...

    def list_repos_pages(self, namespace: str | None = None) -> Iterator[list[dict[str, Any]]]:
        """The pages of ``list_repos`` in order, each as soon as it has arrived."""
        ...

    def show_repository(self, namespace: str, repository: str) -> dict[str, Any]: ...

    def list_shared_repos(self, center: str) -> list[dict[str, Any]]: ...

    def list_quotas(self, project_id: str) -> list[dict[str, Any]]: ...

    def list_repo_domains(self, namespace: str, repository: str) -> list[dict[str, Any]]: ...

    def list_repository_tags(self, namespace: str, repository: str) -> list[dict[str, Any]]: ...

    def show_domain_overview(self) -> dict[str, Any]: ...

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R | ApiError]:
        """``fn`` over ``items`` in parallel, results in input order; an ApiError takes its item's slot."""
        ...

    def decode(self, operation: str, parse: Callable[[], T]) -> T:
        """``parse()``; an :class:`InvalidResponse` it raises is counted for ``operation`` and re-raised."""
        ...
