"""Prometheus-style durations ("30s", "5m", "1h30m", "500ms", "1d"), as float seconds.

The grammar is Prometheus' own (``model.ParseDuration``): whole numbers, units from largest to smallest,
each at most once, ``y`` = 365d and ``w`` = 7d, and a bare ``0``. Users paste values between Prometheus
and this exporter, so both must accept the same strings.
"""

from __future__ import annotations

import re

_MS_PER_UNIT = (
    ("y", 365 * 86_400_000),
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
)
_PATTERN = re.compile("".join(rf"(?:(\d+){unit})?" for unit, _ in _MS_PER_UNIT))


def parse_duration(text: str) -> float:
    """Seconds in ``text``; ValueError when it is not a Prometheus duration."""
    if text == "0":
        return 0.0
    match = _PATTERN.fullmatch(text) if isinstance(text, str) and text else None
    if match is None:
        raise ValueError(f"invalid duration {text!r}")
    counts = zip(match.groups(), _MS_PER_UNIT, strict=True)
    millis = sum(int(count) * per for count, (_, per) in counts if count)
    return millis / 1000


def format_duration(seconds: float) -> str:
    """The shortest Prometheus duration for ``seconds`` (to the millisecond): 5400 -> "1h30m"."""
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    millis = round(seconds * 1000)
    if millis == 0:
        return "0s"
    parts = []
    for unit, per in _MS_PER_UNIT:
        count, millis = divmod(millis, per)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
