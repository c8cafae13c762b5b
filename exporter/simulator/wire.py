"""JSON shapes exactly as SWR sends them (key names and JSON types of swr-api.md section 2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from exporter.simulator.data import Organization, Repository, Share, Tag
from exporter.simulator.evolve import RepoState

INTERNAL_REGISTRY = "100.125.0.198:20202"


def utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def registry(region: str) -> str:
    return f"swr.{region}.myhuaweicloud.com"


def namespace(org: Organization) -> dict[str, Any]:
    return {"id": org.id, "name": org.name, "creator_name": org.creator_name, "auth": org.auth}


def repo_list_item(repo: Repository, state: RepoState, domain_name: str, region: str) -> dict[str, Any]:
    """A ShowReposResp without ``status`` and ``total_range``, which depend on the request."""
    return {
        "name": repo.name,
        "category": repo.category,
        "description": repo.description,
        "size": state.size,
        "is_public": repo.is_public,
        "num_images": state.num_images,
        "num_download": state.num_download,
        "created_at": utc(repo.created),
        "updated_at": utc(state.updated),
        "logo": "",
        "url": "",
        "path": f"{registry(region)}/{repo.namespace}/{repo.name}",
        "internal_path": f"{INTERNAL_REGISTRY}/{repo.namespace}/{repo.name}",
        "domain_name": domain_name,
        "namespace": repo.namespace,
        "tags": state.tag_names(repo),
    }


def repo_detail(repo: Repository, state: RepoState, domain_id: str, region: str) -> dict[str, Any]:
    return {
        "id": repo.id,
        "ns_id": repo.ns_id,
        "name": repo.name,
        "category": repo.category,
        "description": repo.description,
        "creator_id": repo.creator_id,
        "creator_name": repo.creator_name,
        "size": state.size,
        "is_public": repo.is_public,
        "num_images": state.num_images,
        "num_download": state.num_download,
        "url": "",
        "path": f"{registry(region)}/{repo.namespace}/{repo.name}",
        "internal_path": f"{INTERNAL_REGISTRY}/{repo.namespace}/{repo.name}",
        "created": utc(repo.created),
        "updated": utc(state.updated),
        "domain_id": domain_id,
        "priority": repo.priority,
    }


def tag_item(repo: Repository, tag: Tag, domain_id: str, region: str) -> dict[str, Any]:
    return {
        "id": tag.id,
        "repo_id": repo.id,
        "Tag": tag.name,
        "image_id": tag.image_id,
        "manifest": _manifest(tag),
        "digest": tag.digest,
        "schema": tag.schema,
        "path": f"{registry(region)}/{repo.namespace}/{repo.name}:{tag.name}",
        "internal_path": f"{INTERNAL_REGISTRY}/{repo.namespace}/{repo.name}:{tag.name}",
        "size": tag.size,
        "is_trusted": False,
        "created": utc(tag.created),
        "updated": utc(tag.updated),
        "deleted": None,
        "domain_id": domain_id,
        "scanned": False,
        "tag_type": tag.tag_type,
    }


def _manifest(tag: Tag) -> str:
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1472,
                   "digest": f"sha256:{tag.image_id}"},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": tag.size, "digest": tag.digest}],
    })


def share_item(repo: Repository, share: Share, now: float) -> dict[str, Any]:
    deadline = share.deadline if share.deadline == "forever" else utc(float(share.deadline))
    return {
        "namespace": repo.namespace,
        "repository": repo.name,
        "access_domain": share.access_domain,
        "permit": share.permit,
        "deadline": deadline,
        "description": share.description,
        "creator_id": share.creator_id,
        "creator_name": share.creator_name,
        "created": utc(share.created),
        "updated": utc(share.updated),
        "status": share.valid(now),
    }
