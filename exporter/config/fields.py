"""Typed reading of YAML mappings that records problems with their YAML paths instead of raising.

Every getter returns None when the key is absent, null or invalid; an invalid value has then already been
recorded. Messages name types and keys but never echo a value that could be a credential: callers echo
only values they know are harmless (durations, regions, names).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from exporter.config.durations import format_duration, parse_duration


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "mapping"
    return type(value).__name__


def suggestion(word: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass
class Context:
    """What every node of one file shares: the problem list, the file's directory, the host name."""

    base_dir: Path
    hostname: Callable[[], str]
    problems: list[str] = field(default_factory=list)
    _host: str | None = None

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path or '(top level)'}: {message}")

    def host(self) -> str:
        if self._host is None:
            self._host = self.hostname()
        return self._host


@dataclass(frozen=True)
class Node:
    data: Mapping[object, object]
    path: str
    ctx: Context

    def at(self, key: str | int) -> str:
        return join(self.path, key)

    def add(self, key: str | int, message: str) -> None:
        self.ctx.add(self.at(key), message)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def child(self, data: Mapping[object, object], key: str | int) -> Node:
        return Node(data, self.at(key), self.ctx)

    def check_keys(self, allowed: Collection[str], elsewhere: Mapping[str, str] | None = None) -> None:
        """Unknown keys are errors; ``elsewhere`` maps known-but-misplaced keys to their message."""
        for key in self.data:
            name = str(key)
            if key in allowed:
                continue
            if elsewhere and name in elsewhere:
                self.add(name, elsewhere[name])
            else:
                self.add(name, "unknown key" + suggestion(name, allowed))

    def string(self, key: str, *, required: str | None = None) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.add(key, required)
            return None
        if not isinstance(value, str):
            hint = " (put it in quotes)" if isinstance(value, int | float) else ""
            self.add(key, f"must be a string, got {type_name(value)}{hint}")
            return None
        if not value.strip():
            self.add(key, "must not be empty")
            return None
        return value

    def boolean(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return value
        self.add(key, f"must be true or false, got {type_name(value)}")
        return None

    def integer(self, key: str, low: int, high: int | None = None) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self.add(key, f"must be an integer, got {type_name(value)}")
            return None
        if high is not None and not low <= value <= high:
            self.add(key, f"must be between {low} and {high}, got {value}")
            return None
        if value < low:
            self.add(key, f"must be at least {low}, got {value}")
            return None
        return value

    def positive_number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.add(key, f"must be a number, got {type_name(value)}")
            return None
        if not math.isfinite(value) or value <= 0:
            self.add(key, f"must be a number greater than 0, got {value}")
            return None
        return float(value)

    def duration(self, key: str, minimum: float = 0.0) -> float | None:
        """A duration of at least ``minimum`` seconds (more than 0 when ``minimum`` is 0)."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.add(key, f'invalid duration {value} (give a unit, e.g. "{value}s")')
            return None
        if not isinstance(value, str):
            self.add(key, f"must be a duration like 30s, 5m or 1h, got {type_name(value)}")
            return None
        try:
            seconds = parse_duration(value)
        except ValueError:
            self.add(key, f'invalid duration "{value}"')
            return None
        if seconds < minimum or seconds == 0:
            bound = f"at least {format_duration(minimum)}" if minimum else "longer than 0s"
            self.add(key, f"must be {bound}, got {value}")
            return None
        return seconds

    def mapping(self, key: str) -> Node | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.add(key, f"must be a mapping, got {type_name(value)}")
            return None
        return self.child(value, key)

    def sequence(self, key: str) -> list[object] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            self.add(key, f"must be a list, got {type_name(value)}")
            return None
        return value

    def strings(self, key: str) -> tuple[str, ...] | None:
        """A list of non-empty strings; an item that is not one is reported with its index and left out."""
        items = self.sequence(key)
        if items is None:
            return None
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item:
                self.ctx.add(join(self.at(key), index), f"must be a non-empty string, got {type_name(item)}")
        return tuple(item for item in items if isinstance(item, str) and item)

    def file_path(self, key: str) -> Path | None:
        """A path to an existing file, relative to the configuration file's directory."""
        text = self.string(key)
        if text is None:
            return None
        path = self.ctx.base_dir / Path(text).expanduser()
        if not path.exists():
            self.add(key, "file does not exist")
        elif not path.is_file():
            self.add(key, "is not a regular file")
        else:
            return path
        return None

    def file_text(self, key: str) -> str | None:
        """The stripped contents of a readable, non-empty text file."""
        path = self.file_path(key)
        return None if path is None else self._read(key, path)

    def readable_file(self, key: str) -> Path | None:
        """A file that is readable and non-empty now; whoever uses it re-reads it when it changes."""
        path = self.file_path(key)
        return path if path is not None and self._read(key, path) is not None else None

    def _read(self, key: str, path: Path) -> str | None:
        try:
            text = path.read_text(encoding="utf-8").strip()
        except UnicodeDecodeError:
            self.add(key, "file is not UTF-8 text")
            return None
        except OSError as exc:
            self.add(key, f"cannot read file ({exc.strerror})")
            return None
        if not text:
            self.add(key, "file is empty")
            return None
        return text
