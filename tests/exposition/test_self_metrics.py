"""swr_exporter_credentials_expiry_timestamp_seconds: the expiry of the credentials in use, or nothing."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from exporter.exposition.self_metrics import CredentialsCollector

NAME = "swr_exporter_credentials_expiry_timestamp_seconds"


def registry(expiry: list[float | None]) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(CredentialsCollector(lambda: expiry[0]))
    return reg


def test_the_expiry_in_use_is_exported_with_its_fraction_of_a_second() -> None:
    expiry: list[float | None] = [1_800_000_123.25]
    reg = registry(expiry)
    assert reg.get_sample_value(NAME) == 1_800_000_123.25
    expiry[0] = 1_800_003_600.5  # renewed: the next scrape shows the new one
    assert reg.get_sample_value(NAME) == 1_800_003_600.5


def test_a_permanent_key_exports_neither_sample_nor_family() -> None:
    assert NAME not in generate_latest(registry([None])).decode()
