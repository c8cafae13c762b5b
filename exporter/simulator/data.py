"""The simulator's data: organizations, repositories, tags, shares, and how they grow with time.

A :class:`Dataset` is mutable (tests add and delete things while the simulator runs), guarded by one
lock; readers get immutable tuples that are rebuilt only after a change, so a list request over 50,000
repositories does not copy anything.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_START = 1_700_000_000.0
CATEGORIES = ("app_server", "linux", "framework_app", "database", "lang", "other", "windows", "arm")
AUTH_LEVELS = (7, 3, 1)

_ORG_NAME = re.compile(r"^[a-z](?:[a-z0-9]|[._-](?=[a-z0-9])|__(?=[a-z0-9]))*$")


def valid_organization_name(name: str) -> bool:
    """SWR's rule: lowercase letter first, then ``a-z0-9._-``, ending alphanumeric, 1-64 chars,
    at most two ``_`` in a row and no other separators next to each other."""
    return 1 <= len(name) <= 64 and bool(_ORG_NAME.match(name)) and "___" not in name


@dataclass
class Organization:
    name: str
    id: int
    creator_name: str = "admin"
    auth: int = 7
    # Listed only with filter mode::visible (repository permission without organization permission).
    visible_only: bool = False


@dataclass
class Tag:
    name: str
    id: int
    size: int
    digest: str
    image_id: str
    created: float
    updated: float
    schema: int = 2
    tag_type: int = 0


@dataclass
class Share:
    access_domain: str
    deadline: str | float = "forever"
    permit: str = "read"
    description: str = ""
    creator_id: str = ""
    creator_name: str = "admin"
    created: float = DEFAULT_START
    updated: float = DEFAULT_START

    def valid(self, now: float) -> bool:
        return self.deadline == "forever" or float(self.deadline) > now


@dataclass
class Repository:
    namespace: str
    name: str
    id: int
    ns_id: int
    category: str = "other"
    description: str = ""
    size: int = 0
    is_public: bool = False
    num_images: int = 0
    num_download: int = 0
    created: float = DEFAULT_START
    updated: float = DEFAULT_START
    tags: list[Tag] = field(default_factory=list)
    creator_id: str = ""
    creator_name: str = "admin"
    priority: int = 0
    shares: list[Share] = field(default_factory=list)
    # Evolution: downloads per second, seconds between new images (None: no new images), their size.
    download_rate: float = 0.0
    image_interval: float | None = None
    image_size: int = 0

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags]


@dataclass
class SharedRepository:
    """A repository of another account shared with ours (the ``thirdparty`` view)."""

    owner_domain: str
    repository: Repository
    valid: bool = True


class Dataset:
    """Everything one simulated account holds, plus the repositories other accounts share with it."""

    def __init__(self, start: float = DEFAULT_START) -> None:
        self.start = start
        self._lock = threading.RLock()
        self._orgs: dict[str, Organization] = {}
        self._repos: dict[str, dict[str, Repository]] = {}
        self._shared_with_me: list[SharedRepository] = []
        self._ids = itertools.count(1001)
        self.version = 0
        self._views: dict[str | None, tuple[Repository, ...]] = {}

    @classmethod
    def empty(cls, start: float = DEFAULT_START) -> Dataset:
        return cls(start=start)

    @classmethod
    def generate(cls, seed: int = 0, organizations: int = 5, repositories: int = 60,
                 tags_per_repository: int = 3, shared_with_me: int = 4,
                 start: float = DEFAULT_START) -> Dataset:
        """Seeded data; with three or more organizations the last is visible only (listed only with
        ``filter=mode::visible``) and holds three of the repositories."""
        from exporter.simulator.generate import populate

        dataset = cls(start=start)
        populate(dataset, seed, organizations, repositories, tags_per_repository, shared_with_me)
        return dataset

    def next_id(self) -> int:
        return next(self._ids)

    # --- reading -------------------------------------------------------------------------------

    @property
    def organizations(self) -> list[Organization]:
        with self._lock:
            return list(self._orgs.values())

    @property
    def repositories(self) -> list[Repository]:
        return list(self.repos_in(None))

    @property
    def shared_with_me(self) -> list[SharedRepository]:
        with self._lock:
            return list(self._shared_with_me)

    def organization(self, name: str) -> Organization | None:
        with self._lock:
            return self._orgs.get(name)

    def repository(self, namespace: str, name: str) -> Repository | None:
        with self._lock:
            return self._repos.get(namespace, {}).get(name)

    def repos_in(self, namespace: str | None) -> tuple[Repository, ...]:
        """Repositories of one organization, or all (``None``), in a stable order."""
        with self._lock:
            view = self._views.get(namespace)
            if view is None:
                if namespace is None:
                    view = tuple(r for repos in self._repos.values() for r in repos.values())
                elif namespace in self._repos:
                    view = tuple(self._repos[namespace].values())
                else:
                    return ()
                self._views[namespace] = view
            return view

    def shared_by_me(self) -> tuple[Repository, ...]:
        return tuple(r for r in self.repos_in(None) if r.shares)

    # --- changing ------------------------------------------------------------------------------

    def _changed(self) -> None:
        self.version += 1
        self._views = {}

    def add_organization(self, name: str, auth: int = 7, creator_name: str = "admin",
                         visible_only: bool = False) -> Organization:
        if not valid_organization_name(name):
            raise ValueError(f"invalid organization name: {name!r}")
        if auth not in AUTH_LEVELS:
            raise ValueError(f"auth must be one of {AUTH_LEVELS}")
        with self._lock:
            if name in self._orgs:
                raise ValueError(f"organization exists: {name}")
            org = Organization(name, self.next_id(), creator_name, auth, visible_only)
            self._orgs[name] = org
            self._repos[name] = {}
            self._changed()
            return org

    def add_repository(self, namespace: str, name: str, **fields: Any) -> Repository:
        """Add a repository; ``tags`` may be names or :class:`Tag` objects (default ``["latest"]``);
        ``num_images`` defaults to the tag count and ``size`` to the sum of tag sizes."""
        with self._lock:
            org = self._orgs.get(namespace)
            if org is None:
                raise ValueError(f"no such organization: {namespace}")
            if name in self._repos[namespace]:
                raise ValueError(f"repository exists: {namespace}/{name}")
            created = float(fields.pop("created", self.start - 86_400.0))
            updated = float(fields.pop("updated", created))
            tags = self._make_tags(fields.pop("tags", ["latest"]), created, updated)
            fields.setdefault("num_images", len(tags))
            fields.setdefault("size", sum(t.size for t in tags))
            repo = Repository(namespace=namespace, name=name, id=self.next_id(), ns_id=org.id,
                              created=created, updated=updated, tags=tags, **fields)
            self._repos[namespace][name] = repo
            self._changed()
            return repo

    def _make_tags(self, tags: Iterable[str | Tag], created: float, updated: float) -> list[Tag]:
        made = []
        for tag in tags:
            if isinstance(tag, Tag):
                made.append(tag)
                continue
            tag_id = self.next_id()
            digest = "sha256:" + f"{tag_id:064x}"
            made.append(Tag(tag, tag_id, 10_000_000, digest, digest[7:], created, updated))
        return made

    def update_repository(self, namespace: str, name: str, **fields: Any) -> Repository:
        """Change fields of a repository; the simulator's caches notice (direct edits need touch())."""
        with self._lock:
            repo = self._repos[namespace][name]
            for key, value in fields.items():
                if not hasattr(repo, key) or key in ("namespace", "name", "id", "ns_id"):
                    raise ValueError(f"cannot update field {key!r}")
                setattr(repo, key, value)
            self._changed()
            return repo

    def touch(self) -> None:
        """Declare that objects were edited in place, so cached answers are rebuilt."""
        with self._lock:
            self._changed()

    def delete_organization(self, name: str) -> None:
        with self._lock:
            self._orgs.pop(name)
            self._repos.pop(name, None)
            self._changed()

    def delete_repository(self, namespace: str, name: str) -> None:
        with self._lock:
            del self._repos[namespace][name]
            self._changed()

    def add_share(self, namespace: str, repo: str, access_domain: str,
                  deadline: str | float = "forever", permit: str = "read", **fields: Any) -> Share:
        return self.add_shares(namespace, repo, [access_domain], deadline, permit, **fields)[0]

    def add_shares(self, namespace: str, repo: str, access_domains: Iterable[str],
                   deadline: str | float = "forever", permit: str = "read", **fields: Any) -> list[Share]:
        """Share one repository with many accounts at once (one change for the caches), in that order:
        ``add_shares("group", "app", (f"partner-{n:03d}" for n in range(150)))``."""
        with self._lock:
            repository = self._repos[namespace][repo]
            fields.setdefault("created", self.start)
            fields.setdefault("updated", fields["created"])
            shares = [Share(domain, deadline, permit, **fields) for domain in access_domains]
            repository.shares.extend(shares)
            self._changed()
            return shares

    def add_shared_with_me(self, owner_domain: str, namespace: str, name: str, valid: bool = True,
                           **fields: Any) -> SharedRepository:
        with self._lock:
            created = float(fields.pop("created", self.start - 86_400.0))
            updated = float(fields.pop("updated", created))
            tags = self._make_tags(fields.pop("tags", ["latest"]), created, updated)
            fields.setdefault("num_images", len(tags))
            fields.setdefault("size", sum(t.size for t in tags))
            repo = Repository(namespace=namespace, name=name, id=self.next_id(), ns_id=self.next_id(),
                              created=created, updated=updated, tags=tags, **fields)
            shared = SharedRepository(owner_domain, repo, valid)
            self._shared_with_me.append(shared)
            self._changed()
            return shared
