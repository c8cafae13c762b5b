"""Typed field access on SWR's JSON objects, shared by every collector's parser.

A missing or ``null`` field is unknown (its series is omitted, never exported as 0); a field of the wrong
type means the API answered something we do not understand: ``InvalidResponse`` naming the operation,
the item and the field, raised inside ``client.decode`` so it is counted once as ``invalid_response``.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime

from exporter.swr.errors import InvalidResponse

_LARGEST_FLOAT_INT = int(sys.float_info.max)
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_timestamp(text: str) -> float:
    """RFC 3339 UTC time to epoch seconds, keeping the fraction (SWR sends up to nanoseconds)."""
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise ValueError(f"not a timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    parsed = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    seconds = parsed.timestamp()
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    if fraction:
        seconds += int(fraction) / 10 ** len(fraction)
    return seconds


class Item:
    """One JSON object of an answer, read field by field with errors that say where."""

    def __init__(self, operation: str, where: str, obj: object) -> None:
        if not isinstance(obj, dict):
            raise InvalidResponse(operation, f"{where}: expected an object, got {type(obj).__name__}")
        self.operation, self.where, self.obj = operation, where, obj

    def _fail(self, key: str, expected: str, value: object) -> InvalidResponse:
        return InvalidResponse(
            self.operation,
            f"{self.where} field {key!r}: expected {expected}, got {type(value).__name__} {value!r:.40}",
        )

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.obj.get(key)
        if value is None:
            if required:
                raise InvalidResponse(self.operation, f"{self.where}: field {key!r} is missing")
            return None
        if not isinstance(value, str):
            raise self._fail(key, "a string", value)
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: JSON allows it, no exposition can carry it
                raise self._fail(key, "text UTF-8 can encode", value) from None
        return value

    def name(self, key: str) -> str:
        value = self.text(key, required=True)
        if not value:
            raise InvalidResponse(self.operation, f"{self.where}: field {key!r} is empty")
        return value

    def integer(self, key: str) -> int | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, "an integer", value)
        if not -_LARGEST_FLOAT_INT <= value <= _LARGEST_FLOAT_INT:  # every sample value is a float
            raise self._fail(key, "an integer a float can hold", value)
        return value

    def count(self, key: str) -> int | None:
        """An integer of 0 or more: what a counter may hold (OpenMetrics refuses a negative one)."""
        value = self.integer(key)
        if value is not None and value < 0:
            raise self._fail(key, "a count of 0 or more", value)
        return value

    def number(self, key: str) -> float | None:
        """An integer or a float: SWR sends sizes as either."""
        value = self.obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(key, "a number", value)
        try:
            return float(value)
        except OverflowError:  # an integer beyond any float: the API's mistake, not a crash of ours
            raise self._fail(key, "a number a float can hold", value) from None

    def boolean(self, key: str) -> bool | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self._fail(key, "a boolean", value)
        return value

    def sequence(self, key: str) -> list[object]:
        """A JSON array; missing or ``null`` is an empty one."""
        value = self.obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._fail(key, "an array", value)
        return value

    def timestamp(self, key: str) -> float | None:
        value = self.text(key)
        if not value:
            return None
        try:
            return parse_timestamp(value)
        except ValueError:
            raise self._fail(key, "an RFC 3339 time", value) from None


def series(values: tuple[float | None, ...]) -> int:
    """Series one record produces: its info series plus each known value."""
    return 1 + sum(value is not None for value in values)
