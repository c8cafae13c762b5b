"""URL-valued keys (endpoints): http or https, a host, nothing that could carry a credential."""

from __future__ import annotations

from urllib.parse import urlsplit

from exporter.config.fields import Node


def url(node: Node, key: str, *, value: str | None = None) -> str | None:
    """An http(s) URL without its trailing slash. Not echoed in messages: it might carry user:password@.

    ``value``: check this text (read from elsewhere, e.g. the environment) instead of ``node[key]``;
    its problems are still reported under ``key``.
    """
    text = node.string(key) if value is None else value
    if text is None:
        return None
    where = key
    try:
        parts = urlsplit(text)
        _ = parts.port  # ValueError when the port is not a number or out of range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        node.add(where, "must be an http:// or https:// URL with a host name")
    elif parts.username is not None or parts.query or parts.fragment:
        node.add(where, "must be a plain URL: no user name, password, query or fragment")
    else:
        return text.rstrip("/")
    return None
