"""The configuration file (DESIGN.md section 2): YAML in, frozen dataclasses out.

The whole file is checked at start-up and every problem is reported at once, each with its YAML path,
in one ConfigError (``exporter.config.errors``), so that a user fixes a file in one round rather than one
error per restart.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Callable, Mapping
from pathlib import Path

from exporter.config.auth import parse_auth, project_id_from_env
from exporter.config.durations import parse_duration
from exporter.config.errors import ConfigError
from exporter.config.fields import Context, Node, join, suggestion, type_name
from exporter.config.model import (
    DEFAULT_TARGET_NAME,
    AuthConfig,
    Collectors,
    Config,
    OrganizationFilter,
    Polling,
    RepositoryRef,
    Shard,
    Target,
    TLSConfig,
)
from exporter.config.polling import POLLING_KEYS, Layer, build_polling, read_polling
from exporter.config.regions import (
    SWR_REGIONS,
    default_endpoint,
    default_iam_endpoint,
    default_sts_endpoint,
)
from exporter.config.urls import url as _url
from exporter.config.yaml_file import read_yaml

__all__ = [
    "DEFAULT_TARGET_NAME", "AuthConfig", "Collectors", "Config", "ConfigError", "OrganizationFilter",
    "Polling", "RepositoryRef", "Shard", "TLSConfig", "Target", "default_endpoint",
    "default_iam_endpoint", "default_sts_endpoint", "load_config", "parse_config", "parse_duration",
]

log = logging.getLogger(__name__)

TARGET_KEYS = ("region", "endpoint", "iam_endpoint", "sts_endpoint", "project_id", "auth")
_PROJECT_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_TARGET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_BESIDE_TARGETS = "not allowed beside targets (give it in each target)"


def load_config(path: str | Path, environ: Mapping[str, str] | None = None,
                hostname: Callable[[], str] = socket.gethostname) -> Config:
    path = Path(path)
    data = read_yaml(path)
    config = parse_config(data, base_dir=path.absolute().parent,
                          environ=os.environ if environ is None else environ,
                          hostname=hostname, source=str(path))
    log.debug("loaded %s: %d target(s)", path, len(config.targets))
    return config


def parse_config(data: object, *, base_dir: Path, environ: Mapping[str, str], hostname: Callable[[], str],
                 source: str = "<config>") -> Config:
    ctx = Context(base_dir=base_dir, hostname=hostname)
    if data is None:
        data = {}  # an empty file: report what is missing rather than "not a mapping"
    if not isinstance(data, Mapping):
        raise ConfigError(source, [f"(top level): must be a mapping, got {type_name(data)}"])
    root = Node(data, "", ctx)
    multi_target = "targets" in data
    if multi_target:
        root.check_keys(("targets", *POLLING_KEYS), dict.fromkeys(TARGET_KEYS, _BESIDE_TARGETS))
        targets = _targets(root, read_polling(root), environ)
    else:
        root.check_keys((*TARGET_KEYS, *POLLING_KEYS, "targets"))  # "targets": for "did you mean"
        target = _target(root, DEFAULT_TARGET_NAME, environ, Layer(), read_polling(root), environ)
        targets = [target] if target else []
    if ctx.problems:
        raise ConfigError(source, ctx.problems)
    return Config(targets=tuple(targets), multi_target=multi_target)


def _targets(root: Node, defaults: Layer, process_environ: Mapping[str, str]) -> list[Target]:
    items = root.sequence("targets")
    if items is None and root.has("targets"):
        return []  # not a list: reported
    if not items:
        root.add("targets", "must be a non-empty list of targets")
        return []
    targets: list[Target] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        path = join(root.at("targets"), index)
        if not isinstance(item, Mapping):
            root.ctx.add(path, f"must be a mapping, got {type_name(item)}")
            continue
        node = Node(item, path, root.ctx)
        node.check_keys(("name", *TARGET_KEYS, *POLLING_KEYS))
        name = _target_name(node, seen)
        target = _target(node, name or "", None, defaults, read_polling(node), process_environ)
        if target is not None:
            targets.append(target)
    return targets


def _target_name(node: Node, seen: set[str]) -> str | None:
    name = node.string("name", required="required")
    if name is None:
        return None
    if not _TARGET_NAME.match(name):
        node.add("name", f'invalid name "{name}": use letters, digits, "_", "." and "-", '
                         "starting with a letter or digit")
    elif name in seen:
        node.add("name", f'duplicate name "{name}"')
    seen.add(name)
    return name


def _target(node: Node, name: str, environ: Mapping[str, str] | None, defaults: Layer,
            own: Layer, process_environ: Mapping[str, str]) -> Target | None:
    """One target from ``node``; ``environ`` is None where the SDK's environment variables do not apply
    (CCE pod identity's, which only the platform sets, always do: ``process_environ``)."""
    region = _region(node, custom_endpoint=node.has("endpoint"))
    endpoint = _url(node, "endpoint")
    iam_endpoint = _url(node, "iam_endpoint")
    sts_endpoint = _url(node, "sts_endpoint")
    auth_node = node.mapping("auth") if node.has("auth") else node.child({}, "auth")
    auth = parse_auth(auth_node, environ, process_environ) if auth_node is not None else None
    project_id = _project_id(node, environ)
    polling = build_polling(node, defaults, own)
    if region is None or auth is None:
        return None
    return Target(name=name, region=region, endpoint=endpoint or default_endpoint(region),
                  iam_endpoint=iam_endpoint or default_iam_endpoint(region), project_id=project_id,
                  auth=auth, polling=polling, sts_endpoint=sts_endpoint or default_sts_endpoint(region))


def _project_id(node: Node, environ: Mapping[str, str] | None) -> str | None:
    """Optional for every auth type: without it the client looks it up once, as the SDK does."""
    if node.has("project_id"):
        project_id = node.string("project_id")
        if project_id is not None and not _PROJECT_ID.match(project_id):
            node.add("project_id", "must contain only letters, digits, '-' and '_'")  # it goes into paths
            return None
        return project_id
    return project_id_from_env(environ)


def _region(node: Node, *, custom_endpoint: bool) -> str | None:
    region = node.string("region", required="required (the Huawei Cloud region, e.g. cn-north-4)")
    if region is None or custom_endpoint or region in SWR_REGIONS:
        return region
    node.add("region", f'unknown region "{region}"{suggestion(region, SWR_REGIONS)}; '
                       "give endpoint to use a region this exporter does not know")
    return None
