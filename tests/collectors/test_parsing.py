import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.collectors.fields import parse_timestamp
from exporter.collectors.organizations import parse_organizations
from exporter.collectors.quotas import parse_quotas
from exporter.collectors.repositories import (
    Repository,
    parse_repository_brief,
    parse_repository_list,
    unique_sorted,
)
from exporter.collectors.shared import parse_shared_list
from exporter.swr.errors import InvalidResponse

SEED_000_RESPONSE = """
{
    "id": 865151,
    "ns_id": 1334795,
    "name": "busybox",
    "category": "other",
    "description": "containerops",
    "creator_id": "050b12577f00269a1fcfc01f65239697",
    "creator_name": "admin",
    "size": 2099575,
    "is_public": false,
    "num_images": 1,
    "num_download": 0,
    "url": "",
    "path": "{Repository address}/group/busybox",
    "internal_path": "{Repository address}/group/busybox",
    "created": "2021-06-02T09:59:25.51307Z",
    "updated": "2021-06-02T17:59:25.538056Z",
    "domain_id": "da44776c316c4a99b3683bb174f8821b",
    "priority": 0
}
"""

SEED_002_RESPONSE = """
[
    {
        "name": "busybox", "category": "other", "description": "", "size": 115645792,
        "is_public": false, "num_images": 1, "num_download": 0,
        "created_at": "2021-06-02T09:23:01.751202Z", "updated_at": "2021-06-10T07:24:35.204517Z",
        "logo": "", "url": "", "path": "{Repository address}/group/busybox",
        "internal_path": "{Repository address}/group/busybox", "domain_name": "domain",
        "namespace": "namespace", "tags": ["v1", "v2"], "status": true, "total_range": 1
    }
]
"""


def test_seed_000_brief_info_gives_the_documented_values():
    repo = parse_repository_brief("ShowRepository", "group", json.loads(SEED_000_RESPONSE))
    assert (repo.organization, repo.name, repo.category) == ("group", "busybox", "other")
    assert repo.size_bytes == 2099575
    assert repo.images == 1
    assert repo.downloads == 0
    assert repo.public is False
    # 2021-06-02T00:00:00Z is 1622592000; 09:59:25 adds 35965 s, 17:59:25 adds 64765 s.
    assert repo.created == pytest.approx(1622627965.51307, abs=1e-6)
    assert repo.updated == pytest.approx(1622656765.538056, abs=1e-6)


def test_seed_002_shared_list_thirdparty_keeps_validity_and_owner():
    [shared] = parse_shared_list("ListSharedReposDetails", "thirdparty", json.loads(SEED_002_RESPONSE))
    assert (shared.owner_account, shared.organization, shared.name) == ("domain", "namespace", "busybox")
    assert shared.size_bytes == 115645792
    assert shared.images == 1
    assert shared.valid is True


def test_shared_status_is_ignored_for_repositories_shared_by_self():
    [shared] = parse_shared_list("ListSharedReposDetails", "self", json.loads(SEED_002_RESPONSE))
    assert shared.valid is None


def test_timestamps_keep_nanosecond_fractions_and_offsets():
    assert parse_timestamp("2017-09-11T03:00:02.542841141Z") == pytest.approx(1505098802.542841141)
    assert parse_timestamp("2017-01-01T00:00:00Z") == 1483228800.0
    assert parse_timestamp("2017-01-01T08:00:00+08:00") == 1483228800.0


def test_missing_and_null_values_are_unknown_not_zero():
    [repo] = parse_repository_list(
        "ListReposDetails", [{"namespace": "a", "name": "b", "size": None, "created_at": ""}]
    )
    assert repo.size_bytes is None
    assert repo.images is None
    assert repo.created is None


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"namespace": "a", "name": "b", "size": "12"}, "item 0 field 'size': expected an integer, got str"),
        ({"namespace": "a", "name": "b", "is_public": "false"}, "field 'is_public': expected a boolean"),
        ({"namespace": "a", "name": "b", "num_images": True}, "field 'num_images': expected an integer"),
        ({"namespace": "a", "name": "b", "updated_at": "yesterday"}, "expected an RFC 3339 time"),
        ({"namespace": "a"}, "item 0: field 'name' is missing"),
        ({"namespace": "", "name": "b"}, "item 0: field 'namespace' is empty"),
    ],
)
def test_wrongly_typed_fields_are_named_in_the_error(item, message):
    with pytest.raises(InvalidResponse) as raised:
        parse_repository_list("ListReposDetails", [item])
    assert str(raised.value).startswith("ListReposDetails failed: invalid response: ")
    assert raised.value.reason == "invalid_response"
    assert message in str(raised.value)


def test_an_item_that_is_not_an_object_is_an_error():
    with pytest.raises(InvalidResponse, match=r"item 1: expected an object, got list"):
        parse_repository_list("ListReposDetails", [{"namespace": "a", "name": "b"}, []])


def test_organization_access_levels_map_to_words():
    orgs = parse_organizations(
        "ListNamespaces",
        [{"name": "a", "auth": 7}, {"name": "b", "auth": 3}, {"name": "c", "auth": 1}, {"name": "d"}],
    )
    assert [o.access for o in orgs] == ["manage", "write", "read", "unknown"]


def test_quotas_parse_limit_and_used():
    [quota] = parse_quotas(
        "ListQuotas", [{"quota_limit": 15, "quota_key": "namespace", "unit": "", "used": 1}]
    )
    assert (quota.key, quota.limit, quota.used) == ("namespace", 15, 1)


def test_seed_pages_hold_the_examples_used_here():
    """The example responses above are copied from the seed pages (a copy of the two API pages the
    project started from lives in tests/collectors/seeds); fail if they say otherwise."""
    seeds = Path(__file__).resolve().parent / "seeds"
    text = " ".join(p.read_text() for p in seeds.glob("*.txt"))
    for value in ('"size": 2099575', '"created": "2021-06-02T09:59:25.51307Z"', '"size": 115645792'):
        assert value in text


def test_access_domains_give_validity_and_expiry_with_forever_as_no_expiry():
    from exporter.collectors.shares import parse_access_domains

    items = [
        {"namespace": "group", "repository": "busybox", "access_domain": "partner-b", "permit": "read",
         "deadline": "forever", "status": True},
        {"namespace": "group", "repository": "busybox", "access_domain": "partner-a", "permit": "read",
         "deadline": "2017-01-01T00:00:00Z", "status": False},
    ]
    entry = parse_access_domains("ListRepoDomains", "group", "busybox", items)
    assert [(s.shared_with, s.valid, s.expiry) for s in entry.shares] == [
        ("partner-a", False, 1483228800.0),
        ("partner-b", True, None),
    ]
    assert not entry.truncated


@pytest.mark.parametrize(("count", "truncated"), [(99, False), (100, True)])
def test_an_access_domains_list_of_swr_s_cap_of_100_may_have_been_cut(count, truncated):
    from exporter.collectors.shares import parse_access_domains

    items = [{"access_domain": f"partner-{i:03d}", "permit": "read", "deadline": "forever", "status": True}
             for i in range(count)]
    entry = parse_access_domains("ListRepoDomains", "group", "busybox", items)
    assert (len(entry.shares), entry.truncated) == (count, truncated)


def test_tags_are_read_from_the_capital_tag_key():
    from exporter.collectors.tags import parse_tags

    [image] = parse_tags("ListRepositoryTags", "group", "busybox",
                         [{"Tag": "v1", "size": 5, "updated": "2017-01-01T00:00:00Z"}])
    assert (image.tag, image.size_bytes, image.updated) == ("v1", 5, 1483228800.0)
    with pytest.raises(InvalidResponse, match="field 'Tag' is missing"):
        parse_tags("ListRepositoryTags", "group", "busybox", [{"tag": "v1"}])


@given(st.lists(st.tuples(st.sampled_from(["a", "a-b", "b", "ab", "é"]),
                          st.text(alphabet="ab-_.Z", min_size=1, max_size=4),
                          st.integers(0, 3))))
def test_repositories_are_kept_once_each_the_first_seen_sorted_by_organization_then_name(keys):
    repos = [Repository(organization, name, "other", size, None, None, None, None, None)
             for organization, name, size in keys]
    first: dict[tuple[str, str], Repository] = {}
    for repo in repos:
        first.setdefault((repo.organization, repo.name), repo)
    assert unique_sorted(repos) == tuple(first[key] for key in sorted(first))
