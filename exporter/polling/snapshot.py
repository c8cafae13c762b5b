"""API objects and the Snapshot, parsed strictly from the SWR API's JSON.

A missing or ``null`` field is unknown (its series is omitted, never exported as 0); a field of the wrong
type means the API answered something we do not understand, which fails the collector with an error
naming the operation, the item and the field. Key names follow swr-api.md section 2 exactly: list
endpoints say ``created_at``/``updated_at``, the brief-info endpoint says ``created``/``updated``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ACCESS_BY_AUTH = {7: "manage", 3: "write", 1: "read"}


class ResponseError(ValueError):
    """An API answer of the wrong shape; the message names operation, item and field."""

    def __init__(self, operation: str, message: str) -> None:
        super().__init__(f"{operation}: {message}")
        self.operation = operation


@dataclass(frozen=True, slots=True)
class Organization:
    name: str
    access: str


@dataclass(frozen=True, slots=True)
class Repository:
    organization: str
    name: str
    category: str
    size_bytes: int | None
    images: int | None
    downloads: int | None
    public: bool | None
    created: float | None
    updated: float | None


@dataclass(frozen=True, slots=True)
class SharedRepository:
    direction: str  # "self": shared by this account; "thirdparty": shared with it
    owner_account: str
    organization: str
    name: str
    category: str
    size_bytes: int | None
    images: int | None
    valid: bool | None  # only meaningful for thirdparty


@dataclass(frozen=True, slots=True)
class Share:
    """One account a repository of ours is shared with (access-domains)."""

    shared_with: str
    permit: str
    valid: bool | None
    expiry: float | None  # None: shared forever, or unknown


@dataclass(frozen=True, slots=True)
class RepositoryShares:
    organization: str
    repository: str
    shares: tuple[Share, ...]


@dataclass(frozen=True, slots=True)
class Image:
    """One tag of a repository (tags collector)."""

    organization: str
    repository: str
    tag: str
    size_bytes: int | None
    updated: float | None


@dataclass(frozen=True, slots=True)
class Quota:
    key: str
    limit: int | None
    used: int | None


@dataclass(frozen=True, slots=True)
class CollectorStatus:
    name: str
    success: bool
    duration_seconds: float
    error: str | None = None
    last_success: float | None = None  # epoch seconds of the data being served
    stale: bool = False  # serving an earlier poll's data after a failure


@dataclass(frozen=True)
class Snapshot:
    """Everything one poll of one target produced; immutable, swapped in with one assignment."""

    target: str
    started_at: float
    # None while the first poll still runs: an interim snapshot has no finished poll to describe.
    duration_seconds: float | None
    collectors: tuple[CollectorStatus, ...]
    data: Mapping[str, Any] = field(default_factory=dict)
    polls_total: int = 0
    poll_failures_total: int = 0
    last_success: float | None = None
    filtered_series: int = 0
    max_series: int = 200_000
    # Collectors of the first poll that have not finished yet (an interim snapshot serves the rest).
    pending: tuple[str, ...] = ()

    @property
    def up(self) -> bool | None:
        """Whether every collector succeeded; None while some have never run, which is no answer."""
        if self.pending:
            return None
        return all(status.success for status in self.collectors)

    @property
    def organizations(self) -> Sequence[Organization]:
        return self.data.get("organizations", ())

    @property
    def repositories(self) -> Sequence[Repository]:
        return self.data.get("repositories", ())

    @property
    def shared(self) -> Sequence[SharedRepository]:
        return self.data.get("shared", ())

    @property
    def quotas(self) -> Sequence[Quota]:
        return self.data.get("quotas", ())

    @property
    def shares(self) -> Sequence[RepositoryShares]:
        return self.data.get("shares", ())

    @property
    def images(self) -> Sequence[Image]:
        return self.data.get("tags", ())

    def status(self, collector: str) -> CollectorStatus | None:
        return next((s for s in self.collectors if s.name == collector), None)


_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_timestamp(text: str) -> float:
    """RFC 3339 UTC time to epoch seconds, keeping the fraction (SWR sends up to nanoseconds)."""
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise ValueError(f"not a timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    parsed = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    seconds = parsed.timestamp()
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    if fraction:
        seconds += int(fraction) / 10 ** len(fraction)
    return seconds


class _Item:
    """Typed field access on one JSON object, with errors that say where."""

    def __init__(self, operation: str, where: str, obj: object) -> None:
        if not isinstance(obj, dict):
            raise ResponseError(operation, f"{where}: expected an object, got {type(obj).__name__}")
        self.operation, self.where, self.obj = operation, where, obj

    def _fail(self, key: str, expected: str, value: object) -> ResponseError:
        return ResponseError(
            self.operation,
            f"{self.where} field {key!r}: expected {expected}, got {type(value).__name__} {value!r:.40}",
        )

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.obj.get(key)
        if value is None:
            if required:
                raise ResponseError(self.operation, f"{self.where}: field {key!r} is missing")
            return None
        if not isinstance(value, str):
            raise self._fail(key, "a string", value)
        return value

    def name(self, key: str) -> str:
        value = self.text(key, required=True)
        if not value:
            raise ResponseError(self.operation, f"{self.where}: field {key!r} is empty")
        return value

    def integer(self, key: str) -> int | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, "an integer", value)
        return value

    def boolean(self, key: str) -> bool | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self._fail(key, "a boolean", value)
        return value

    def timestamp(self, key: str) -> float | None:
        value = self.text(key)
        if not value:
            return None
        try:
            return parse_timestamp(value)
        except ValueError:
            raise self._fail(key, "an RFC 3339 time", value) from None


def parse_organizations(operation: str, items: Sequence[object]) -> list[Organization]:
    result = []
    for index, obj in enumerate(items):
        item = _Item(operation, f"namespaces[{index}]", obj)
        auth = item.integer("auth")
        result.append(Organization(item.name("name"), ACCESS_BY_AUTH.get(auth, "unknown")))
    return result


def _repository(item: _Item, organization: str, created_key: str, updated_key: str) -> Repository:
    return Repository(
        organization=organization,
        name=item.name("name"),
        category=item.text("category") or "",
        size_bytes=item.integer("size"),
        images=item.integer("num_images"),
        downloads=item.integer("num_download"),
        public=item.boolean("is_public"),
        created=item.timestamp(created_key),
        updated=item.timestamp(updated_key),
    )


def parse_repository_list(operation: str, items: Sequence[object]) -> list[Repository]:
    """Elements of ``GET /v2/manage/repos`` (ShowReposResp)."""
    result = []
    for index, obj in enumerate(items):
        item = _Item(operation, f"item {index}", obj)
        result.append(_repository(item, item.name("namespace"), "created_at", "updated_at"))
    return result


def parse_repository_brief(operation: str, organization: str, obj: object) -> Repository:
    """The brief-info object of ``GET /v2/manage/namespaces/{ns}/repos/{repo}`` (seed 000), which says
    ``created``/``updated`` where the lists say ``created_at``/``updated_at``."""
    return _repository(_Item(operation, "response", obj), organization, "created", "updated")


def parse_shared_list(operation: str, direction: str, items: Sequence[object]) -> list[SharedRepository]:
    """Elements of ``GET /v2/manage/shared-repositories`` (seed 002); ``status`` only means validity
    in the thirdparty view."""
    result = []
    for index, obj in enumerate(items):
        item = _Item(operation, f"item {index}", obj)
        valid = item.boolean("status")
        result.append(
            SharedRepository(
                direction=direction,
                owner_account=item.text("domain_name") or "",
                organization=item.name("namespace"),
                name=item.name("name"),
                category=item.text("category") or "",
                size_bytes=item.integer("size"),
                images=item.integer("num_images"),
                valid=valid if direction == "thirdparty" else None,
            )
        )
    return result


def parse_quotas(operation: str, items: Sequence[object]) -> list[Quota]:
    result = []
    for index, obj in enumerate(items):
        item = _Item(operation, f"quotas[{index}]", obj)
        result.append(Quota(item.name("quota_key"), item.integer("quota_limit"), item.integer("used")))
    return result


def parse_access_domains(
    operation: str, organization: str, repository: str, items: Sequence[object]
) -> RepositoryShares:
    """``GET .../repositories/{repo}/access-domains``; ``deadline`` is a UTC time or ``forever``."""
    shares = []
    for index, obj in enumerate(items):
        item = _Item(operation, f"item {index}", obj)
        deadline = item.text("deadline")
        expiry = None if deadline in (None, "", "forever") else item.timestamp("deadline")
        shares.append(
            Share(item.name("access_domain"), item.text("permit") or "", item.boolean("status"), expiry)
        )
    shares.sort(key=lambda share: share.shared_with)
    return RepositoryShares(organization, repository, tuple(shares))


def parse_tags(operation: str, organization: str, repository: str, items: Sequence[object]) -> list[Image]:
    """``GET .../repos/{repo}/tags``: the v2 list names the tag ``Tag``, with a capital T."""
    images = []
    for index, obj in enumerate(items):
        item = _Item(operation, f"item {index}", obj)
        images.append(
            Image(organization, repository, item.name("Tag"), item.integer("size"), item.timestamp("updated"))
        )
    return images
