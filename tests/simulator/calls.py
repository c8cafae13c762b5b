"""Plain ``requests`` calls to a running simulator with a token, for the behaviour tests."""

from __future__ import annotations

import weakref
from typing import Any

import requests

from exporter.simulator import Simulator

_TOKENS: weakref.WeakKeyDictionary[Simulator, dict[str, str]] = weakref.WeakKeyDictionary()


def login(sim: Simulator) -> dict[str, str]:
    account = sim.account
    user = {"domain": {"name": account.domain_name}, "name": account.username, "password": account.password}
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}},
                     "scope": {"project": {"id": account.project_id}}}}
    resp = requests.post(f"{sim.base_url}/v3/auth/tokens", json=body, timeout=5)
    return {"X-Auth-Token": resp.headers["X-Subject-Token"]}


def get(sim: Simulator, path: str, **params: Any) -> requests.Response:
    """A GET with a token obtained once per simulator: call it before adding fault rules that would
    otherwise hit the login too."""
    if sim not in _TOKENS:
        _TOKENS[sim] = login(sim)
    return requests.get(sim.base_url + path, params=params, headers=_TOKENS[sim], timeout=10)
