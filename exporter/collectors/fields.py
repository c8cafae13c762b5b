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
    """RFC 3339 UTC time to epoch seconds, keeping the fraction (SWR sends up to nanoseconds).

    The forms SWR sends (``2006-01-02T15:04:05[.fraction][Z]``, ASCII) take a fast path: the epoch of
    each day is computed once, the time of day with integer arithmetic. Everything else, and anything
    the fast path is unsure of, goes to the full parser, which gives the same answer or the same error.
    """
    epoch = _DAYS.get(text[:10])
    if epoch is None:
        epoch = _day_epoch(text[:10])
    if epoch is not None and len(text) >= 19 and text[10] in "T " and text[13] == ":" and text[16] == ":":
        clock = text[11:13] + text[14:16] + text[17:19]
        if clock.isdigit() and clock.isascii():
            hhmmss = int(clock)
            hours, minutes, seconds = hhmmss // 10000, hhmmss // 100 % 100, hhmmss % 100
            if hours < 24 and minutes < 60 and seconds < 60:
                rest = text[19:]
                whole = float(epoch + hours * 3600 + minutes * 60 + seconds)
                if rest == "Z" or rest == "":
                    return whole
                fraction = rest[1:-1] if rest[-1] == "Z" else rest[1:]
                if rest[0] == "." and 1 <= len(fraction) <= 9 and fraction.isdigit() and fraction.isascii():
                    return whole + int(fraction) / 10 ** len(fraction)
    return parse_timestamp_fully(text)


_DAYS: dict[str, int] = {}


def _day_epoch(day: str) -> int | None:
    """Epoch seconds of ``YYYY-MM-DD`` at midnight UTC, remembered (a bounded number of days); None
    for anything else."""
    if not (len(day) == 10 and day.isascii() and day[4] == "-" and day[7] == "-"
            and (day[:4] + day[5:7] + day[8:]).isdigit()):
        return None
    try:
        epoch = int(datetime(int(day[:4]), int(day[5:7]), int(day[8:]), tzinfo=UTC).timestamp())
    except ValueError:
        return None
    if len(_DAYS) < 100_000:
        _DAYS[day] = epoch
    return epoch


def parse_timestamp_fully(text: str) -> float:
    """``parse_timestamp`` for every form RFC 3339 allows, time zones included: the slow path."""
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
    return 1 + len(values) - values.count(None)
