"""Reading a YAML file the way Prometheus components do: a key given twice is an error.

PyYAML keeps the last of two equal keys without a word; Go's yaml.v3, which Prometheus and the
exporter-toolkit use, refuses the file. A second ``auth:`` silently replacing the first is exactly the
mistake a user cannot see, so this loader refuses it too.

A file that cannot be read or parsed is one ConfigError with one problem, located by line and column
since it has no YAML paths to give. The problem never quotes the file's text, which may hold a secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from exporter.config.errors import CONFIG_FILE, ConfigError


def strict_loader(base: Any) -> Any:
    """``base`` (a safe loader class: no arbitrary objects) that refuses a key given twice."""

    class StrictLoader(base):  # base is chosen at run time (Any), so no type to check against
        def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # keys brought in by "<<" may be overridden: that is what merging is for
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:
                    continue  # an unhashable key: SafeLoader reports it
                if first is not None:
                    raise ConstructorError(None, None, f"mapping key {key!r} already defined at line {first}",
                                           key_node.start_mark)
                seen[key] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


# libyaml's parser when PyYAML has it: a config listing 200,000 repositories loads in seconds instead
# of the pure-Python parser's half minute. The constructor, and so the duplicate-key check, is shared.
_StrictLoader = strict_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_yaml(path: Path, *, kind: str = CONFIG_FILE) -> object:
    """The file's data; ``kind`` names the file in the ConfigError raised when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(str(path), ["file is not UTF-8 text"], kind=kind) from None
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read file ({exc.strerror})"], kind=kind) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), [_problem(exc)], kind=kind) from None


def _problem(exc: yaml.YAMLError) -> str:
    # Only the mark and the parser's own words: str(exc) quotes the offending line, which may hold a secret.
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "not valid YAML"
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(file)"
    return f"{where}: invalid YAML: {problem}"
