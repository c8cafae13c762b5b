"""exporter.config.durations: Prometheus' duration grammar, in float seconds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.config.durations import format_duration, parse_duration

UNIT_SECONDS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30.0), ("5m", 300.0), ("1h30m", 5400.0), ("500ms", 0.5), ("1d", 86400.0), ("2w", 1209600.0),
    ("1y", 31536000.0), ("1m500ms", 60.5), ("0", 0.0), ("0s", 0.0), ("90m", 5400.0),
])
def test_prometheus_durations_parse_to_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", [
    "", "5 minutes", "5", "1.5s", "-1s", "1m1h", "1s1s", "1M", " 5m", "5m ", "1hm", "ms", "1e3s",
])
def test_non_prometheus_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (0.5, "500ms"), (5400, "1h30m"), (300, "5m"), (86400 * 7, "1w"), (3661.001, "1h1m1s1ms"),
])
def test_durations_format_as_the_shortest_prometheus_string(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@given(st.integers(min_value=0, max_value=10**13))
def test_formatted_durations_parse_back_to_the_same_milliseconds(millis: int) -> None:
    assert round(parse_duration(format_duration(millis / 1000)) * 1000) == millis


@given(st.dictionaries(st.sampled_from(list(UNIT_SECONDS)), st.integers(min_value=0, max_value=10**5),
                       min_size=1))
def test_any_descending_combination_of_units_sums_its_parts(parts: dict[str, int]) -> None:
    ordered = [unit for unit in UNIT_SECONDS if unit in parts]
    text = "".join(f"{parts[unit]}{unit}" for unit in ordered)
    expected_millis = sum(parts[unit] * round(UNIT_SECONDS[unit] * 1000) for unit in ordered)
    assert round(parse_duration(text) * 1000) == expected_millis
