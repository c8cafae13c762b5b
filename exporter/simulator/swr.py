"""Handlers of the SWR management endpoints the exporter uses.

Without evolution, rendered list items and filtered, sorted views are cached until the dataset
changes, so paging through 50,000 repositories renders each one once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from exporter.simulator.account import Account
from exporter.simulator.behaviour import Behaviour
from exporter.simulator.data import Dataset, Repository
from exporter.simulator.evolve import evolved_updated, images_added, repo_state
from exporter.simulator.listing import Page, effective_params, ordering
from exporter.simulator.replies import Reply, bad_parameter, not_found
from exporter.simulator.wire import namespace, repo_detail, repo_list_item, share_item, tag_item

Query = Mapping[str, str]
_VIEW_CACHE_SIZE = 64


class SwrApi:
    def __init__(self, dataset: Dataset, account: Account, clock: Callable[[], float],
                 evolve: bool = False, behaviour: Behaviour | None = None) -> None:
        self.dataset = dataset
        self.account = account
        self.clock = clock
        self.evolve = evolve
        self.behaviour = behaviour if behaviour is not None else Behaviour()
        self._lock = threading.Lock()
        self._version = -1
        self._items: dict[int, dict[str, Any]] = {}
        self._views: dict[tuple[Any, ...], tuple[Repository, ...]] = {}

    def _now(self) -> float | None:
        return self.clock() if self.evolve else None

    # --- organizations -------------------------------------------------------------------------

    def list_namespaces(self, query: Query) -> Reply:
        params = dict(query)
        if "filter" in query:
            params.update(effective_params(query))
        wanted = params.get("namespace")
        visible = params.get("mode") == "visible"
        orgs = [org for org in self.dataset.organizations
                if (wanted is None or org.name == wanted) and (visible or not org.visible_only)]
        return Reply(200, {"namespaces": [namespace(org) for org in orgs]})

    def show_namespace(self, query: Query, name: str) -> Reply:
        org = self.dataset.organization(name)
        if org is None:
            raise not_found("namespace")
        return Reply(200, namespace(org))

    # --- repositories --------------------------------------------------------------------------

    def show_repository(self, query: Query, ns: str, name: str) -> Reply:
        repo = self._repository(ns, name)
        state = repo_state(repo, self.dataset.start, self._now())
        return Reply(200, repo_detail(repo, state, self.account.domain_id, self.account.region))

    def _repository(self, ns: str, name: str) -> Repository:
        # "$" stands for "/" in a repository name (the docs' rule); "%2F" arrives already decoded.
        repo = self.dataset.repository(ns, name.replace("$", "/"))
        if repo is None:
            raise not_found("repository")
        return repo

    def list_repos(self, query: Query) -> Reply:
        params = effective_params(query)
        page = self._page(params)
        wanted = params.get("namespace")
        fuzzy = wanted is not None and self.behaviour.fuzzy_namespace
        repos = self._view(self.dataset.repos_in(None if fuzzy else wanted), params, fuzzy_namespace=fuzzy)
        return page.reply(repos, lambda repo, total: self._list_item(repo, False, total))

    def _page(self, params: Query) -> Page:
        return Page.from_params(params, self.behaviour.page_size_cap)

    def list_shared(self, query: Query) -> Reply:
        params = effective_params(query)
        center = params.get("center") or query.get("center")
        if center not in ("self", "thirdparty"):
            raise bad_parameter("center must be self or thirdparty")
        page = self._page(params)
        ns = params.get("namespace")
        if center == "self":
            mine = [r for r in self.dataset.shared_by_me() if ns is None or r.namespace == ns]
            repos = self._view(mine, params, cache=False)
            return page.reply(repos, lambda repo, total: self._list_item(repo, False, total))
        shared = {s.repository.id: s for s in self.dataset.shared_with_me
                  if ns is None or s.repository.namespace == ns}
        repos = self._view(tuple(s.repository for s in shared.values()), params, cache=False)

        def render(repo: Repository, total: int) -> dict[str, Any]:
            item = repo_list_item(repo, repo_state(repo, self.dataset.start, None),
                                  shared[repo.id].owner_domain, self.account.region)
            return {**item, "status": shared[repo.id].valid, "total_range": total}

        return page.reply(repos, render)

    def _list_item(self, repo: Repository, status: bool, total: int) -> dict[str, Any]:
        now = self._now()
        if now is None:
            item = self._items.get(repo.id)
            if item is None:
                item = repo_list_item(repo, repo_state(repo, self.dataset.start, None),
                                      self.account.domain_name, self.account.region)
                self._items[repo.id] = item
        else:
            item = repo_list_item(repo, repo_state(repo, self.dataset.start, now),
                                  self.account.domain_name, self.account.region)
        return {**item, "status": status, "total_range": total}

    def _view(self, repos: Sequence[Repository], params: Query, cache: bool = True,
              fuzzy_namespace: bool = False) -> Sequence[Repository]:
        """Filter by name (fuzzy), category and, if asked, namespace (fuzzy), then order; cached while
        nothing moves (the behaviour is fixed, so the namespace asked for is key enough)."""
        order = ordering(params)
        key = (params.get("namespace"), params.get("name"), params.get("category"), order)
        cacheable = cache and not self.evolve
        self._sync_cache()
        if cacheable:
            cached = self._views.get(key)
            if cached is not None:
                return cached
        view = _select(repos, params, fuzzy_namespace)
        if order is not None:
            view = self._sorted(view, *order)
        result = tuple(view)
        if cacheable:
            with self._lock:
                if len(self._views) >= _VIEW_CACHE_SIZE:
                    self._views.clear()
                self._views[key] = result
        return result

    def _sorted(self, repos: Sequence[Repository], column: str, descending: bool) -> list[Repository]:
        start, now = self.dataset.start, self._now()
        keys: dict[str, Callable[[Repository], Any]] = {
            "name": lambda r: (r.namespace, r.name),
            "tag_count": lambda r: (r.num_images + images_added(r, start, now), r.id),
        }
        key = keys.get(column, lambda r: (evolved_updated(r, start, now), r.id))
        return sorted(repos, key=key, reverse=descending)

    def _sync_cache(self) -> None:
        with self._lock:
            if self._version != self.dataset.version:
                self._version = self.dataset.version
                self._items = {}
                self._views = {}

    # --- tags and shares -----------------------------------------------------------------------

    def list_tags(self, query: Query, ns: str, name: str) -> Reply:
        repo = self._repository(ns, name)
        params = effective_params(query)
        page = self._page(params)
        tags = repo_state(repo, self.dataset.start, self._now()).tags(repo, self.dataset.start)
        if params.get("tag"):
            tags = [tag for tag in tags if params["tag"] in tag.name]
        column, order_type = params.get("order_column"), params.get("order_type", "desc")
        if column is not None:
            if column not in ("updated_at", "tag") or order_type not in ("asc", "desc"):
                raise bad_parameter("order_column must be updated_at or tag, order_type asc or desc")
            by_name = column == "tag"
            tags.sort(key=lambda t: t.name if by_name else (t.updated, t.id), reverse=order_type == "desc")
        domain_id, region = self.account.domain_id, self.account.region
        return page.reply(tags, lambda tag, total: tag_item(repo, tag, domain_id, region))

    def list_repo_domains(self, query: Query, ns: str, name: str) -> Reply:
        """No paging: the first ``access_domains_cap`` shares, in the order they were added."""
        repo = self._repository(ns, name)
        now, cap = self.clock(), self.behaviour.access_domains_cap
        shares = repo.shares if cap is None else repo.shares[:cap]
        return Reply(200, [share_item(repo, share, now) for share in shares])

    # --- account -------------------------------------------------------------------------------

    def list_quotas(self, query: Query, project_id: str) -> Reply:
        if project_id != self.account.project_id:
            raise bad_parameter("project_id does not match the caller's project")
        orgs, repos = len(self.dataset.organizations), self.dataset.repos_in(None)
        images = sum(r.num_images + images_added(r, self.dataset.start, self._now()) for r in repos)
        quotas = [
            {"quota_limit": max(15, orgs), "quota_key": "namespace", "unit": "", "used": orgs},
            {"quota_limit": max(10_000, len(repos)), "quota_key": "repository", "unit": "",
             "used": len(repos)},
            {"quota_limit": max(1_000_000, images), "quota_key": "image", "unit": "", "used": images},
        ]
        return Reply(200, {"quotas": quotas})

    def show_overview(self, query: Query) -> Reply:
        now = self._now()
        states = [repo_state(r, self.dataset.start, now) for r in self.dataset.repos_in(None)]
        downflow = sum(s.num_download * (s.size / s.num_images) for s in states if s.num_images)
        return Reply(200, {
            "domain_id": self.account.domain_id,
            "domain_name": self.account.domain_name,
            "namspace_num": len(self.dataset.organizations),
            "repo_num": len(states),
            "image_num": sum(s.num_images for s in states),
            "store_space": float(sum(s.size for s in states)),
            "downflow_size": float(round(downflow, 1)),
        })


def _select(repos: Sequence[Repository], params: Query,
            fuzzy_namespace: bool = False) -> Sequence[Repository]:
    name, category = params.get("name"), params.get("category")
    ns = params.get("namespace") if fuzzy_namespace else None
    if not name and not category and ns is None:
        return repos
    return [r for r in repos if (not name or name in r.name) and (not category or r.category == category)
            and (ns is None or ns in r.namespace)]
