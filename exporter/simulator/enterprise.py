"""Handlers of the SWR Enterprise Edition endpoints (swr-api.md 12.1) with their real paging limits:
``limit`` 1..100 and ``offset`` a multiple of it, ``total`` in the body, or ``page_info.next_marker``.
Errors come in the Enterprise form ``{error_code, error_msg}``. Path names arrive decoded once by the
router; Harbor's ``%2F`` inside a segment is decoded here."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from exporter.simulator.account import Account
from exporter.simulator.enterprise_data import (
    EXECUTION_SECONDS,
    HARBOR_ZERO_TIME,
    REGISTRY_ACCESS_KEY,
    REGISTRY_SECRET,
    WEBHOOK_AUTH_HEADER,
    EeInstance,
    EeRepository,
    EnterpriseDataset,
)
from exporter.simulator.replies import ApiError, Reply

Query = Mapping[str, str]
MAX_LIMIT = 100


def ee_error(status: int, code: str, message: str) -> ApiError:
    return ApiError(Reply(status, {"error_code": code, "error_msg": message}))


def _time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int(query: Query, name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError:
        raise ee_error(400, "SWR.EE.4000001", f"{name} must be an integer") from None


def _offset_page(query: Query, key: str, items: Sequence[Any], render: Callable[[Any], dict[str, Any]],
                 default_limit: int = 10) -> Reply:
    limit, offset = _int(query, "limit", default_limit), _int(query, "offset", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise ee_error(400, "SWR.EE.4000002", f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0 or offset % limit:
        raise ee_error(400, "SWR.EE.4000003", "offset must be 0 or a multiple of limit")
    return Reply(200, {key: [render(item) for item in items[offset:offset + limit]], "total": len(items)})


def _marker_page(query: Query, key: str, items: Sequence[Any],
                 render: Callable[[Any], dict[str, Any]]) -> Reply:
    limit = _int(query, "limit", MAX_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        raise ee_error(400, "SWR.EE.4000002", f"limit must be between 1 and {MAX_LIMIT}")
    marker = query.get("marker")
    start = 0
    if marker:
        if not marker.startswith("m") or not marker[1:].isdigit():
            raise ee_error(400, "SWR.EE.4000004", "invalid marker")
        start = int(marker[1:])
    body: dict[str, Any] = {key: [render(item) for item in items[start:start + limit]]}
    if start + limit < len(items):
        body["page_info"] = {"next_marker": f"m{start + limit}"}
    return Reply(200, body)


class EnterpriseApi:
    def __init__(self, dataset: EnterpriseDataset, account: Account, clock: Callable[[], float],
                 evolve: bool = False) -> None:
        self.dataset, self.account, self.clock, self.evolve = dataset, account, clock, evolve

    def _elapsed(self) -> float:
        return max(0.0, self.clock() - self.dataset.start) if self.evolve else 0.0

    def _project(self, project_id: str) -> None:
        if project_id != self.account.project_id:
            raise ee_error(403, "SWR.EE.4030001", "the project in the path is not the caller's project")

    def _instance(self, project_id: str, instance_id: str, running: bool = True) -> EeInstance:
        self._project(project_id)
        instance = self.dataset.instance(instance_id)
        if instance is None:
            raise ee_error(404, "SWR.EE.4040001", "instance not found")
        if running and instance.status != "Running":
            raise ee_error(409, "SWR.EE.4090001", f"instance is {instance.status}")
        return instance

    def _repository(self, instance: EeInstance, namespace: str, name: str) -> EeRepository:
        name = unquote(name)  # Harbor's %2F, already decoded once from %252F
        for repo in instance.repositories:
            if (repo.namespace, repo.name) == (unquote(namespace), name):
                return repo
        raise ee_error(404, "SWR.EE.4040002", "repository not found")

    # --- instances -----------------------------------------------------------------------------

    def ee_list_instances(self, query: Query, project_id: str) -> Reply:
        self._project(project_id)
        return _offset_page(query, "instances", self.dataset.instances, self._instance_item, 100)

    def _instance_item(self, i: EeInstance) -> dict[str, Any]:
        return {"id": i.id, "name": i.name, "description": "", "spec": "swr.ee.professional",
                "version": "v2.10.3", "charge_mode": "postPaid", "status": i.status,
                "access_address": f"https://{i.name}.swr.example",
                "created_at": _time(self.dataset.start - 3e7),
                "updated_at": _time(self.dataset.start), "expires_at": _time(i.expires),
                "project_id": self.account.project_id, "enterprise_project_id": "0", "user_def_obs": False,
                "vpc_id": "vpc-1", "subnet_id": "subnet-1", "obs_bucket_name": f"obs-{i.id}"}

    def ee_statistics(self, query: Query, project_id: str, instance_id: str) -> Reply:
        i = self._instance(project_id, instance_id)
        counts = {"total_namespace_count": len(i.namespaces), "namespace_quota": 15,
                  "total_image_count": len(i.repositories), "image_repo_quota": 5000,
                  "replica_policy_count": len(i.replications), "replica_policy_quota": 10,
                  "retention_policy_count": len(i.retentions), "retention_policy_quota": 10,
                  "notify_policy_count": len(i.webhooks), "notify_policy_quota": 10,
                  "replica_registry_count": len(i.registries), "replica_registry_quota": 10,
                  "sign_policy_count": 0, "sign_policy_quota": 10, "intranet_endpoint_count": 1,
                  "intranet_endpoint_quota": 5, "long_term_quota": 20}
        return Reply(200, {"storage_used": i.storage_used, **counts})

    def ee_namespaces(self, query: Query, project_id: str, instance_id: str) -> Reply:
        i = self._instance(project_id, instance_id)
        names = sorted(i.namespaces)

        def render(name: str) -> dict[str, Any]:
            count = sum(r.namespace == name for r in i.repositories)
            when = _time(self.dataset.start)
            return {"name": name, "namespace_id": names.index(name) + 1, "created_at": when,
                    "updated_at": when, "repo_count": count, "metadata": i.namespaces[name]}

        return _offset_page(query, "namespaces", names, render)

    def ee_all_repositories(self, query: Query, project_id: str) -> Reply:
        self._project(project_id)
        pairs = [(i, r) for i in self.dataset.instances for r in i.repositories]
        return _marker_page(query, "repositories", pairs, lambda pair: self._repo_item(*pair))

    def _repo_item(self, i: EeInstance, r: EeRepository) -> dict[str, Any]:
        return {"id": r.id, "name": r.name, "namespace_name": r.namespace, "namespace_id": 1,
                "tag_count": sum(len(a.tags) for a in r.artifacts), "artifact_count": len(r.artifacts),
                "pull_count": r.pulls + int(r.pull_rate * self._elapsed()), "description": "",
                "created_at": _time(r.created), "updated_at": _time(r.updated), "instance_id": i.id,
                "instance_name": i.name, "resource_urn": f"swr:ee:{i.id}:{r.id}"}

    # --- jobs ----------------------------------------------------------------------------------

    def ee_replication_policies(self, query: Query, project_id: str, instance_id: str) -> Reply:
        i = self._instance(project_id, instance_id)

        def render(p: dict) -> dict[str, Any]:
            return {"id": p["id"], "name": p["name"], "src_registry": {"id": 0}, "dest_registry": {"id": 1},
                    "dest_namespace": "", "filters": [], "override": True, "enabled": p["enabled"],
                    "trigger": {"type": p["trigger"], "trigger_settings": {"cron": ""}},
                    "created_at": _time(self.dataset.start), "updated_at": _time(self.dataset.start)}

        return _offset_page(query, "policies", i.replications, render)

    def ee_replication_executions(self, query: Query, project_id: str, instance_id: str) -> Reply:
        i = self._instance(project_id, instance_id)
        wanted = query.get("policy_id")
        executions = [(p, e) for p in i.replications for e in p["executions"]
                      if wanted is None or str(p["id"]) == wanted]
        return _offset_page(query, "executions", executions, lambda pe: self._execution(*pe))

    def _execution(self, policy: dict, e: dict) -> dict[str, Any]:
        status, succeed, in_progress = e["status"], e["succeed"], 0
        if status == "InProgress":
            if self._elapsed() >= EXECUTION_SECONDS:
                status, succeed = "Succeed", succeed + 2
            else:
                in_progress = 2
        return {"id": e["id"], "policy_id": policy["id"], "status": status, "status_text": "",
                "total": succeed + e["failed"] + in_progress, "failed": e["failed"], "succeed": succeed,
                "in_progress": in_progress, "stopped": 0, "trigger": policy["trigger"],
                "created_at": _time(e["created"]), "updated_at": _time(e["created"] + 60)}

    def ee_registries(self, query: Query, project_id: str, instance_id: str) -> Reply:
        i = self._instance(project_id, instance_id)

        def render(r: dict) -> dict[str, Any]:
            return {"id": r["id"], "name": r["name"], "description": "", "type": "huawei-SWR",
                    "url": f"https://{r['name']}.example", "region_id": "cn-north-4", "instance_id": i.id,
                    "status": r["status"], "insecure": False, "created_at": _time(self.dataset.start),
                    "updated_at": _time(self.dataset.start),
                    "credential": {"type": "basic", "access_key": REGISTRY_ACCESS_KEY,
                                   "access_secret": REGISTRY_SECRET}}

        return _offset_page(query, "registries", i.registries, render)

    def ee_retention_policies(self, query: Query, project_id: str, instance_id: str) -> Reply:
        i = self._instance(project_id, instance_id)
        return _offset_page(query, "retentions", i.retentions, lambda r: {
            "id": r["id"], "name": r["name"], "namespace_id": 1, "namespace_name": r["namespace"],
            "enabled": True, "algorithm": "or", "rules": [], "trigger": {"type": "scheduled"}})

    def ee_retention_executions(self, query: Query, project_id: str, instance_id: str, namespace: str,
                                policy_id: str) -> Reply:
        i = self._instance(project_id, instance_id)
        policy = next((r for r in i.retentions if str(r["id"]) == policy_id
                       and r["namespace"] == unquote(namespace)), None)
        if policy is None:
            raise ee_error(404, "SWR.EE.4040003", "retention policy not found")
        return _offset_page(query, "executions", policy["executions"], lambda e: {
            "id": e["id"], "policy_id": policy["id"], "dry_run": False, "status": e["status"],
            "trigger": "SCHEDULE", "start_time": _time(e["start"]), "end_time": _time(e["start"] + 30)})

    def ee_gc_tasks(self, query: Query, project_id: str, instance_id: str) -> Reply:
        i = self._instance(project_id, instance_id)
        tasks = sorted(i.gc_tasks, key=lambda t: -t["id"])
        return _marker_page(query, "tasks", tasks, lambda t: {
            "id": t["id"], "job_name": "GC", "job_kind": "SCHEDULE", "job_status": t["status"],
            "job_parameters": {"delete_untagged": True, "dry_run": False, "purged_blobs": 3,
                               "purged_manifests": 1, "freed_space": t["freed"]},
            "creation_time": _time(t["created"]), "update_time": _time(t["created"] + 120)})

    def ee_webhooks(self, query: Query, project_id: str, instance_id: str) -> Reply:
        i = self._instance(project_id, instance_id)
        return _offset_page(query, "policies", i.webhooks, lambda w: {
            "id": w["id"], "name": w["name"], "namespace_id": 1, "namespace_name": w["namespace"],
            "enabled": True, "event_types": ["PUSH_ARTIFACT"], "creator": "admin",
            "targets": [{"type": "http", "address": "https://ci.example/hook",
                         "auth_header": WEBHOOK_AUTH_HEADER, "skip_cert_verify": False}]})

    def ee_webhook_jobs(self, query: Query, project_id: str, instance_id: str, namespace: str,
                        policy_id: str) -> Reply:
        i = self._instance(project_id, instance_id)
        hook = next((w for w in i.webhooks if str(w["id"]) == policy_id), None)
        if hook is None:
            raise ee_error(404, "SWR.EE.4040004", "webhook policy not found")
        jobs = [{"id": n + 1, "policy_id": hook["id"], "event_type": "PUSH_ARTIFACT",
                 "notify_type": "http",
                 "status": "failed", "status_text": "", "created_at": _time(self.dataset.start),
                 "updated_at": _time(self.dataset.start)} for n in range(hook["failed"])]
        wanted = query.get("status")
        return _offset_page(query, "jobs", [j for j in jobs if wanted in (None, j["status"])], lambda j: j)

    def ee_lt_credentials(self, query: Query, project_id: str, instance_id: str) -> Reply:
        i = self._instance(project_id, instance_id)
        return _offset_page(query, "auth_tokens", i.credentials, lambda c: {
            "token_id": c["token_id"], "name": c["name"], "enable": True,
            "expire_date": _time(c["expires"]) if c["expires"] is not None else "-1",
            "created_at": _time(self.dataset.start), "user_id": "u1", "user_profile": "",
            "instance_id": i.id})

    # --- artifacts -----------------------------------------------------------------------------

    def ee_artifacts(self, query: Query, project_id: str, instance_id: str, namespace: str,
                     repository: str) -> Reply:
        i = self._instance(project_id, instance_id)
        repo = self._repository(i, namespace, repository)
        return _offset_page(query, "artifacts", repo.artifacts, lambda a: self._artifact(repo, a))

    def _artifact(self, repo: EeRepository, a: Any) -> dict[str, Any]:
        pulled = HARBOR_ZERO_TIME if a.pulled is None else _time(a.pulled)
        return {"digest": a.digest, "id": 1, "repository_id": repo.id, "repository_name": repo.name,
                "type": "IMAGE", "namespace_id": 1,
                "media_type": "application/vnd.oci.image.config.v1+json",
                "manifest_media_type": "application/vnd.oci.image.manifest.v1+json", "pull_time": pulled,
                "push_time": _time(a.pushed), "size": a.size,
                "tags": [{"id": n, "name": t, "push_time": _time(a.pushed), "pull_time": pulled}
                         for n, t in enumerate(a.tags)]}

    def ee_show_artifact(self, query: Query, project_id: str, instance_id: str, namespace: str,
                         repository: str, reference: str) -> Reply:
        i = self._instance(project_id, instance_id)
        repo = self._repository(i, namespace, repository)
        artifact = next((a for a in repo.artifacts if a.digest == unquote(reference)), None)
        if artifact is None:
            raise ee_error(404, "SWR.EE.4040005", "artifact not found")
        body = self._artifact(repo, artifact)
        if query.get("with_scan_overview") == "true" and artifact.scan is not None:
            body["scan_overview"] = {"application/vnd.security.vulnerability.report; version=1.1": {
                "report_id": "r1", "scan_status": "Success", "severity": "High", "duration": 5,
                "summary": {"total": sum(artifact.scan.values()), "fixable": 0,
                            "summary": dict(artifact.scan)},
                "start_time": _time(artifact.pushed), "end_time": _time(artifact.pushed + 5),
                "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "v0.50"}}}
        return Reply(200, body)
