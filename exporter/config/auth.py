"""The ``auth`` section: credentials from the file, from files it names, or from the environment.

Environment variables are the Huawei SDK's own names, so a pod already set up for the SDK works as is.
They apply only to the single top-level target (``environ`` None otherwise) and give way to keys in the
file: an explicit configuration beats whatever the process happens to inherit. CCE pod identity's two
variables are the exception: the platform sets them, and they are the only way to that endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from exporter.config.auth_temporary import (
    parse_assume_agency,
    parse_metadata,
    parse_oidc_agency,
    parse_pod_identity,
    parse_workload_identity,
)
from exporter.config.fields import Node
from exporter.config.model import AuthConfig
from exporter.config.secret import Secret

log = logging.getLogger(__name__)

ENV_ACCESS_KEY = "HUAWEICLOUD_SDK_AK"
ENV_SECRET_KEY = "HUAWEICLOUD_SDK_SK"
ENV_SECURITY_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
ENV_PROJECT_ID = "HUAWEICLOUD_SDK_PROJECT_ID"
ENV_PASSWORD = "SWR_EXPORTER_PASSWORD"

KEYS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "aksk": ("access_key", "access_key_file", "secret_key", "secret_key_file",
             "security_token", "security_token_file"),
    "password": ("username", "domain", "password", "password_file"),
    "token": ("token_file",),
    "metadata": ("metadata_endpoint",),
    "workload_identity": ("idp_id", "id_token_file"),
    "oidc_agency": ("provider_urn", "agency_urn", "id_token_file", "duration", "session_name"),
    "pod_identity": (),
}
AUTH_TYPES = tuple(KEYS_BY_TYPE)
COMMON_KEYS = ("type", "assume_agency")
_ALL_KEYS = (*COMMON_KEYS, *dict.fromkeys(key for keys in KEYS_BY_TYPE.values() for key in keys))


def parse_auth(node: Node, environ: Mapping[str, str] | None,
               process_environ: Mapping[str, str] | None = None) -> AuthConfig | None:
    """The AuthConfig of one target; None when ``type`` itself is wrong (nothing else then makes sense)."""
    auth_type = node.string("type") if node.has("type") else "aksk"
    if auth_type is not None and auth_type not in KEYS_BY_TYPE:
        node.add("type", f'must be one of {", ".join(AUTH_TYPES)}, got "{auth_type}"')
        auth_type = None
    if auth_type is None:
        node.check_keys(_ALL_KEYS)
        return None
    own = (*COMMON_KEYS, *KEYS_BY_TYPE[auth_type])
    misplaced = f'not used with auth.type "{auth_type}"'
    node.check_keys(own, {key: misplaced for key in _ALL_KEYS if key not in own})
    agency = parse_assume_agency(node)
    if auth_type == "aksk":
        cfg = _aksk(node, environ)
    elif auth_type == "password":
        cfg = _password(node, environ)
    elif auth_type == "token":
        cfg = _token(node)
    elif auth_type == "metadata":
        cfg = parse_metadata(node)
    elif auth_type == "workload_identity":
        cfg = parse_workload_identity(node)
    elif auth_type == "oidc_agency":
        cfg = parse_oidc_agency(node)
    else:
        cfg = parse_pod_identity(node, process_environ or {})
    return cfg if agency is None else replace(cfg, assume_agency=agency)


def project_id_from_env(environ: Mapping[str, str] | None) -> str | None:
    return _env(environ, ENV_PROJECT_ID)


def _aksk(node: Node, environ: Mapping[str, str] | None) -> AuthConfig:
    """Each part from its key, its file or the environment. Files are only checked here: the
    credentials re-read them together whenever one changes (a rotated temporary triple)."""
    access_key, access_key_file = _part(node, "access_key", environ, ENV_ACCESS_KEY, required=True)
    secret_key, secret_key_file = _part(node, "secret_key", environ, ENV_SECRET_KEY, required=True)
    token, token_file = _part(node, "security_token", environ, ENV_SECURITY_TOKEN)
    return AuthConfig(type="aksk", access_key=access_key, secret_key=secret_key, security_token=token,
                      access_key_file=access_key_file, secret_key_file=secret_key_file,
                      security_token_file=token_file)


def _part(node: Node, key: str, environ: Mapping[str, str] | None, env_var: str, *,
          required: bool = False) -> tuple[Secret | None, Path | None]:
    file_key = f"{key}_file"
    if node.has(file_key) and not node.has(key):
        if _env(environ, env_var):
            log.info("auth.%s is set in the configuration file; ignoring %s", file_key, env_var)
        return None, node.readable_file(file_key)
    return _secret(node, key, environ, env_var, required=required), None


def _password(node: Node, environ: Mapping[str, str] | None) -> AuthConfig:
    return AuthConfig(
        type="password",
        username=node.string("username", required='required for auth.type "password"'),
        domain=node.string("domain", required='required for auth.type "password" (the account name)'),
        password=_secret(node, "password", environ, ENV_PASSWORD, required=True),
    )


def _token(node: Node) -> AuthConfig:
    if not node.has("token_file"):
        node.add("token_file", 'required for auth.type "token"')
        return AuthConfig(type="token")
    return AuthConfig(type="token", token_file=node.readable_file("token_file"))


def _secret(node: Node, key: str, environ: Mapping[str, str] | None, env_var: str, *,
            required: bool = False) -> Secret | None:
    """From exactly one of ``key`` / ``key_file``, else from ``env_var``; problems recorded on ``node``."""
    file_key = f"{key}_file"
    if node.has(key) and node.has(file_key):
        node.add(file_key, f"give either {key} or {file_key}, not both")
        return None
    if node.has(key) or node.has(file_key):
        if _env(environ, env_var):
            log.info("auth.%s is set in the configuration file; ignoring %s", key, env_var)
        value = node.string(key) if node.has(key) else node.file_text(file_key)
        return Secret(value) if value is not None else None
    value = _env(environ, env_var)
    if value is None and required:
        env = f" or environment variable {env_var}" if environ is not None else ""
        node.add(key, f"missing: give {file_key} or {key}{env}")
    return Secret(value) if value is not None else None


def _env(environ: Mapping[str, str] | None, name: str) -> str | None:
    value = (environ or {}).get(name, "").strip()
    return value or None
