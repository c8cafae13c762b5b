"""The ``auth`` section: credentials from the file, from files it names, or from the environment.

Environment variables are the Huawei SDK's own names, so a pod already set up for the SDK works as is.
They apply only to the single top-level target (``environ`` None otherwise) and give way to keys in the
file: an explicit configuration beats whatever the process happens to inherit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

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
}
AUTH_TYPES = tuple(KEYS_BY_TYPE)
NEEDS_PROJECT_ID = ("aksk", "token")
_ALL_KEYS = ("type", *(key for keys in KEYS_BY_TYPE.values() for key in keys))


def parse_auth(node: Node, environ: Mapping[str, str] | None) -> AuthConfig | None:
    """The AuthConfig of one target; None when ``type`` itself is wrong (nothing else then makes sense)."""
    auth_type = node.string("type") if node.has("type") else "aksk"
    if auth_type is not None and auth_type not in KEYS_BY_TYPE:
        node.add("type", f'must be one of {", ".join(AUTH_TYPES)}, got "{auth_type}"')
        auth_type = None
    if auth_type is None:
        node.check_keys(_ALL_KEYS)
        return None
    own = ("type", *KEYS_BY_TYPE[auth_type])
    misplaced = f'not used with auth.type "{auth_type}"'
    node.check_keys(own, {key: misplaced for key in _ALL_KEYS if key not in own})
    readers = {"aksk": _aksk, "password": _password, "token": _token}
    return readers[auth_type](node, environ)


def project_id_from_env(environ: Mapping[str, str] | None) -> str | None:
    return _env(environ, ENV_PROJECT_ID)


def _aksk(node: Node, environ: Mapping[str, str] | None) -> AuthConfig:
    access_key = _secret(node, "access_key", environ, ENV_ACCESS_KEY, required=True)
    secret_key = _secret(node, "secret_key", environ, ENV_SECRET_KEY, required=True)
    token_file, token = None, None
    if node.has("security_token_file") and not node.has("security_token"):
        # Temporary credentials rotate: auth re-reads this file, so only the path is kept.
        token_file = node.readable_file("security_token_file")
    else:
        token = _secret(node, "security_token", environ, ENV_SECURITY_TOKEN)
    return AuthConfig(type="aksk", access_key=access_key, secret_key=secret_key,
                      security_token=token, security_token_file=token_file)


def _password(node: Node, environ: Mapping[str, str] | None) -> AuthConfig:
    return AuthConfig(
        type="password",
        username=node.string("username", required='required for auth.type "password"'),
        domain=node.string("domain", required='required for auth.type "password" (the account name)'),
        password=_secret(node, "password", environ, ENV_PASSWORD, required=True),
    )


def _token(node: Node, environ: Mapping[str, str] | None) -> AuthConfig:
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
