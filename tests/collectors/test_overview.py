"""The overview collector: the account's totals from GET /v2/manage/overview."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from exporter.collectors import overview
from exporter.collectors.overview import Overview, parse_overview
from exporter.collectors.spec import FetchContext
from exporter.exposition.families import SnapshotCollector
from exporter.swr.errors import InvalidResponse
from tests.fakes.snapshots import snapshot
from tests.fakes.swr import FakeClient, target

# The shape of swr-api.md section 2.5, with the API's own misspelling of namspace_num.
ANSWER = {"domain_id": "d0", "domain_name": "acme", "namspace_num": 3, "repo_num": 12, "image_num": 40,
          "store_space": 52428800.0, "downflow_size": 1048576.5}


def test_the_overview_answer_becomes_the_account_totals():
    client = FakeClient(overview=ANSWER)
    result = overview.fetch(FetchContext(client, target().polling))
    assert result == Overview(3, 12, 40, 52428800.0, 1048576.5)
    assert client.calls == [("ShowDomainOverview",)]


def test_the_totals_are_exported_without_labels_and_unknown_ones_are_omitted():
    registry = CollectorRegistry(auto_describe=False)
    snap = snapshot(extra={overview.SPEC: Overview(3, 12, None, 52428800.0, 0.0)})
    registry.register(SnapshotCollector(lambda: snap))
    value = registry.get_sample_value
    assert value("swr_account_organizations") == 3
    assert value("swr_account_repositories") == 12
    assert value("swr_account_images") is None
    assert value("swr_account_storage_bytes") == 52428800.0
    assert value("swr_account_download_traffic_bytes") == 0.0


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({**ANSWER, "repo_num": "12"}, "field 'repo_num': expected an integer"),
        ({**ANSWER, "store_space": "50M"}, "field 'store_space': expected a number"),
        ({**ANSWER, "store_space": True}, "field 'store_space': expected a number"),
        ({**ANSWER, "downflow_size": 10**400}, "field 'downflow_size': expected a number a float can hold"),
        ([ANSWER], "response: expected an object, got list"),
    ],
)
def test_a_malformed_overview_is_an_invalid_response_naming_the_field(answer, message):
    with pytest.raises(InvalidResponse, match=message):
        parse_overview("ShowDomainOverview", answer)


def test_an_integer_size_is_read_as_a_number():
    assert parse_overview("ShowDomainOverview", {**ANSWER, "store_space": 7}).storage_bytes == 7.0
