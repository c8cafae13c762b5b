"""The config file format of DESIGN.md section 2: every mistake reported with its YAML path."""

from __future__ import annotations

import re
import secrets
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.collectors import registry, tags
from exporter.config.loader import (
    DEFAULT_TARGET_NAME,
    Collectors,
    ConfigError,
    OrganizationFilter,
    Polling,
    RepositoryRef,
    Shard,
    TLSConfig,
    default_endpoint,
    default_iam_endpoint,
    load_config,
    parse_config,
)
from exporter.config.secret import Secret

FIXTURES = Path(__file__).parent / "fixtures"
FILES = FIXTURES / "files"
PROJECT = "0123456789abcdef0123456789abcdef"


def load_valid(name: str, environ: dict[str, str] | None = None, host: str = "swr-exporter-2"):
    return load_config(
        FIXTURES / "valid" / name, environ={} if environ is None else environ, hostname=lambda: host
    )


def problems_of(name: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(FIXTURES / "invalid" / f"{name}.yaml", environ={}, hostname=lambda: "exporter")
    return caught.value.problems


def parse(data: object, environ: dict[str, str] | None = None, host: str = "swr-exporter-0"):
    return parse_config(data, base_dir=FILES, environ=environ or {}, hostname=lambda: host)


def aksk_env() -> dict[str, str]:
    return {
        "HUAWEICLOUD_SDK_AK": secrets.token_hex(10),
        "HUAWEICLOUD_SDK_SK": secrets.token_hex(20),
        "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
    }


# --- one fixture per kind of mistake -----------------------------------------------------------------

INVALID = {
    "unknown-key": "colectors: unknown key (did you mean 'collectors'?)",
    "unknown-nested-key": "collectors.tag: unknown key (did you mean 'tags'?)",
    "wrong-type": "max_concurrency: must be an integer, got str",
    "bad-duration": 'poll_interval: invalid duration "5 minutes"',
    "duration-without-unit": 'request_timeout: invalid duration 30 (give a unit, e.g. "30s")',
    "bad-regex": 'organizations.include[0]: invalid regular expression "^team-(": '
    "missing ), unterminated subpattern at position 6",
    "missing-region": "region: required (the Huawei Cloud region, e.g. cn-north-4)",
    "unknown-region": "region: unknown region \"cn-nort-4\" (did you mean 'cn-north-4'?); "
    "give endpoint to use a region this exporter does not know",
    "missing-credentials": "auth.secret_key: missing: give secret_key_file or secret_key "
    "or environment variable HUAWEICLOUD_SDK_SK",
    "both-key-and-file": "auth.secret_key_file: give either secret_key or secret_key_file, not both",
    "file-does-not-exist": "auth.secret_key_file: file does not exist",
    "empty-secret-file": "auth.secret_key_file: file is empty",
    "key-of-another-auth-type": 'auth.username: not used with auth.type "aksk"',
    "unknown-auth-type": 'auth.type: must be one of aksk, password, token, metadata, workload_identity, '
    'oidc_agency, pod_identity, got "oauth"',
    "token-without-token-file": 'auth.token_file: required for auth.type "token"',
    "workload-identity-without-idp-id": 'auth.idp_id: required for auth.type "workload_identity" '
    "(the IAM identity provider's id)",
    "id-token-file-does-not-exist": "auth.id_token_file: file does not exist",
    "oidc-duration-too-long": "auth.duration: must be at most 12h, got 13h",
    "assume-agency-without-agency-name": "auth.assume_agency.agency_name: required "
    "(the agency created in that account)",
    "assume-agency-duration-too-short": "auth.assume_agency.duration: must be at least 15m, got 5m",
    "pod-identity-without-environment": 'auth.type: auth.type "pod_identity" needs environment variable '
    "HC_CONTAINER_CREDENTIALS_FULL_URI and HC_CONTAINER_AUTHORIZATION_TOKEN_FILE "
    "(set by CCE for a pod with a pod identity association)",
    "metadata-endpoint-not-a-url": "auth.metadata_endpoint: must be an http:// or https:// URL "
    "with a host name",
    "key-of-another-credential-type": 'auth.idp_id: not used with auth.type "metadata"',
    "bad-sts-endpoint": "sts_endpoint: must be an http:// or https:// URL with a host name",
    "out-of-range": "max_concurrency: must be between 1 and 64, got 100",
    "rate-limit-zero": "rate_limit: must be a number greater than 0, got 0",
    "poll-interval-too-short": "poll_interval: must be at least 1s, got 500ms",
    "staleness-below-interval": "max_staleness: must not be shorter than poll_interval (10m), got 5m",
    "bad-endpoint": "endpoint: must be an http:// or https:// URL with a host name",
    "shard-auto-without-ordinal": 'shard.index: "auto" needs a host name that ends in a number '
    '(a StatefulSet pod such as "swr-exporter-3"), '
    'but the host name is "exporter"',
    "shard-index-out-of-range": "shard.index: must be less than total (3), got 3",
    "ca-file-does-not-exist": "tls.ca_file: file does not exist",
    "repository-without-name": "repositories[0].name: required",
    "duplicate-repository": "repositories[1]: duplicate of repositories[0]",
    "duplicate-target-names": 'targets[1].name: duplicate name "prod"',
    "invalid-target-name": 'targets[0].name: invalid name "prod north": '
    'use letters, digits, "_", "." and "-", starting with a letter or digit',
    "auth-beside-targets": "auth: not allowed beside targets (give it in each target)",
    "empty-targets": "targets: must be a non-empty list of targets",
    "not-a-mapping": "(top level): must be a mapping, got list",
    "duplicate-key": "line 7, column 1: invalid YAML: mapping key 'auth' already defined at line 3",
    # The parser's own words: libyaml's when PyYAML has it (as PyPI's wheels do), else PyYAML's.
    "yaml-syntax-error": "line 6, column 2: invalid YAML: " + (
        "did not find expected key" if yaml.__with_libyaml__
        else "expected <block end>, but found '<block mapping start>'"),
}


def test_every_invalid_fixture_has_an_expectation() -> None:
    on_disk = {path.stem for path in (FIXTURES / "invalid").glob("*.yaml")}
    assert on_disk - {"several-mistakes"} == set(INVALID)


@pytest.mark.parametrize(("name", "problem"), sorted(INVALID.items()))
def test_invalid_fixture_reports_exactly_its_mistake_with_its_path(name: str, problem: str) -> None:
    assert problems_of(name) == [problem]


def test_several_mistakes_are_all_reported_at_once() -> None:
    assert problems_of("several-mistakes") == [
        "regoin: unknown key (did you mean 'region'?)",
        "targets_: unknown key (did you mean 'targets'?)",
        'poll_interval: invalid duration "5 minutes"',
        "max_concurrency: must be an integer, got str",
        "retries: must be between 0 and 10, got 11",
        'organizations.include[0]: invalid regular expression "[": unterminated character set at position 0',
        "collectors.shares: must be true or false, got str",
        "region: required (the Huawei Cloud region, e.g. cn-north-4)",
        "auth.secret_key_file: file does not exist",
    ]


def test_config_error_renders_one_readable_block_naming_the_file() -> None:
    path = FIXTURES / "invalid" / "several-mistakes.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    lines = str(caught.value).splitlines()
    assert lines[0] == f"invalid configuration file {path}:"
    assert lines[1:] == [f"  - {problem}" for problem in caught.value.problems]


def test_unreadable_config_file_is_one_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "missing.yaml", environ={})
    assert caught.value.problems == ["cannot read file (No such file or directory)"]


def test_empty_file_reports_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "empty.yaml", environ={})
    assert caught.value.problems[0] == "region: required (the Huawei Cloud region, e.g. cn-north-4)"
    assert any(problem.startswith("auth.access_key: missing") for problem in caught.value.problems)


def test_top_level_mistake_inherited_by_targets_is_reported_per_target_once_each() -> None:
    target = {
        "region": "cn-north-4",
        "project_id": PROJECT,
        "auth": {"access_key_file": "ak", "secret_key_file": "sk"},
    }
    data = {
        "max_staleness": "5m",
        "targets": [
            {"name": "a", **target, "poll_interval": "10m"},
            {"name": "b", **target, "poll_interval": "10m"},
        ],
    }
    with pytest.raises(ConfigError) as caught:
        parse(data)
    assert caught.value.problems == [
        "max_staleness: must not be shorter than targets[0].poll_interval (10m), got 5m",
        "max_staleness: must not be shorter than targets[1].poll_interval (10m), got 5m",
    ]


def test_target_entries_check_their_own_keys_and_types() -> None:
    target = {
        "name": "a",
        "region": "cn-north-4",
        "auth": {"type": "token", "token_file": "token"},
        "project_id": PROJECT,
        "retries": -1,
        "colectors": {},
    }
    data = {"targets": [target, "b"]}
    with pytest.raises(ConfigError) as caught:
        parse(data)
    assert caught.value.problems == [
        "targets[0].colectors: unknown key (did you mean 'collectors'?)",
        "targets[0].retries: must be between 0 and 10, got -1",
        "targets[1]: must be a mapping, got str",
    ]


# --- valid files -------------------------------------------------------------------------------------


def test_minimal_file_takes_aksk_credentials_and_project_from_environment() -> None:
    env = aksk_env()
    config = load_valid("minimal-aksk-env.yaml", env)
    assert not config.multi_target
    (target,) = config.targets
    assert target.name == DEFAULT_TARGET_NAME
    assert target.endpoint == "https://swr-api.cn-north-4.myhuaweicloud.com"
    assert target.iam_endpoint == "https://iam.cn-north-4.myhuaweicloud.com"
    assert target.project_id == PROJECT
    assert target.auth.type == "aksk"
    assert target.auth.access_key == Secret(env["HUAWEICLOUD_SDK_AK"])
    assert target.auth.secret_key == Secret(env["HUAWEICLOUD_SDK_SK"])
    assert target.auth.security_token is None
    assert target.polling == Polling()
    assert target.polling.max_staleness == 900.0


def test_password_auth_reads_password_file_and_needs_no_project_id() -> None:
    (target,) = load_valid("password.yaml").targets
    auth = target.auth
    assert (auth.type, auth.username, auth.domain) == ("password", "monitoring", "acme")
    assert auth.password == Secret("fake-password-for-tests")
    assert target.project_id is None
    assert target.iam_endpoint == "https://iam.ap-southeast-1.myhuaweicloud.com"


def test_token_auth_keeps_the_token_file_path_for_rereading() -> None:
    (target,) = load_valid("token.yaml").targets
    assert target.auth.type == "token"
    assert target.auth.token_file.samefile(FILES / "token")
    assert target.endpoint == "https://swr-api.eu-west-101.myhuaweicloud.eu"


def test_full_example_of_the_design_loads_every_key() -> None:
    (target,) = load_valid("full-example.yaml").targets
    # A triple in files is kept as paths: the credentials re-read all three together.
    assert target.auth.access_key_file.samefile(FILES / "ak")
    assert target.auth.secret_key_file.samefile(FILES / "sk")
    assert target.auth.security_token_file.samefile(FILES / "security-token")
    assert (target.auth.access_key, target.auth.secret_key, target.auth.security_token) == (None, None, None)
    polling = target.polling
    assert (polling.poll_interval, polling.request_timeout, polling.max_staleness) == (300.0, 10.0, 900.0)
    assert (polling.max_concurrency, polling.rate_limit, polling.retries) == (4, 10.0, 3)
    assert [p.pattern for p in polling.organizations.include] == ["team-.*"]
    assert polling.organizations.exclude == ()
    assert registry.enabled(polling) == ("organizations", "repositories", "shared", "quotas", "overview")
    assert (polling.max_series, polling.shard, polling.tls) == (1_000_000, Shard(0, 1), TLSConfig())


def test_targets_merge_top_level_polling_defaults_with_their_overrides() -> None:
    config = load_valid("targets.yaml", host="swr-exporter-2")
    assert config.multi_target
    north, southeast, simulator = config.targets
    assert north.polling.poll_interval == 60.0
    assert north.polling.max_staleness == 180.0
    assert north.polling.max_concurrency == 8
    assert registry.enabled(north.polling) == (
        "organizations", "repositories", "shared", "shares", "quotas", "overview"
    )
    assert north.polling.organizations.matches("team-a")
    # Its switches merge with the top level's; as shard 2 of 4 it leaves the account-wide ones to shard 0.
    assert dict(southeast.polling.collectors.switches) == {"shares": True, "tags": True}
    assert registry.enabled(southeast.polling) == ("organizations", "repositories", "shares", "tags")
    assert southeast.polling.poll_interval == 600.0
    assert southeast.polling.max_staleness == 1800.0
    assert southeast.polling.max_concurrency == 8
    # organizations is replaced as a whole: this target dropped the include of the top level.
    assert southeast.polling.organizations.matches("other")
    assert not southeast.polling.organizations.matches("team-sandbox")
    assert southeast.polling.shard == Shard(index=2, total=4)
    assert southeast.polling.tls.ca_file.samefile(FILES / "ca.pem")
    assert simulator.endpoint == "http://127.0.0.1:8080"
    assert simulator.iam_endpoint == "http://127.0.0.1:8080"
    assert simulator.region == "local-1"


def test_relative_config_path_resolves_secret_files_next_to_the_config(monkeypatch) -> None:
    monkeypatch.chdir(FIXTURES)
    (target,) = load_config(Path("valid") / "token.yaml", environ={}).targets
    # Not resolve()d: a Kubernetes secret is a symlink that must be followed anew on each re-read.
    assert target.auth.token_file.samefile(FILES / "token")
    assert target.auth.token_file.is_absolute()


def test_absolute_secret_paths_are_used_as_given(tmp_path: Path) -> None:
    key = secrets.token_hex(16)
    (tmp_path / "sk").write_text(key + "\n")
    data = {
        "region": "cn-north-4",
        "project_id": PROJECT,
        "auth": {"access_key": "fake-ak-for-tests", "secret_key_file": str(tmp_path / "sk")},
    }
    assert parse(data).targets[0].auth.secret_key_file == tmp_path / "sk"


def test_custom_region_is_accepted_with_an_endpoint_and_trailing_slash_is_dropped() -> None:
    data = {"region": "my-private-1", "endpoint": "https://swr.example.com:8443/api/", **_aksk_keys()}
    (target,) = parse(data).targets
    assert target.endpoint == "https://swr.example.com:8443/api"
    assert target.iam_endpoint == "https://iam.myhuaweicloud.com"


def test_endpoint_with_credentials_is_refused_without_echoing_it() -> None:
    password = secrets.token_hex(8)
    url = f"https://user:{password}@iam.example.com"
    with pytest.raises(ConfigError) as caught:
        parse({"region": "cn-north-4", "iam_endpoint": url, **_aksk_keys()})
    assert caught.value.problems == [
        "iam_endpoint: must be a plain URL: no user name, password, query or fragment"
    ]
    assert password not in str(caught.value)


def _aksk_keys() -> dict[str, object]:
    auth = {"access_key": "fake-ak-for-tests", "secret_key": "fake-sk-for-tests"}
    return {"project_id": PROJECT, "auth": auth}


@pytest.mark.parametrize(
    ("project_id", "problem"),
    [
        (123456, "project_id: must be a string, got int (put it in quotes)"),
        ("abc/def", "project_id: must contain only letters, digits, '-' and '_'"),
    ],
)
def test_project_id_must_be_a_quoted_path_safe_string(project_id: object, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse({"region": "cn-north-4", **_aksk_keys(), "project_id": project_id})
    assert caught.value.problems == [problem]


def test_shard_auto_takes_the_trailing_ordinal_of_the_host_name() -> None:
    data = {"region": "cn-north-4", **_aksk_keys(), "shard": {"index": "auto", "total": 16}}
    assert parse(data, host="swr-exporter-11").targets[0].polling.shard == Shard(index=11, total=16)


def test_shard_auto_ordinal_beyond_total_is_an_error() -> None:
    data = {"region": "cn-north-4", **_aksk_keys(), "shard": {"index": "auto", "total": 2}}
    with pytest.raises(ConfigError) as caught:
        parse(data, host="swr-exporter-2")
    assert caught.value.problems == ["shard.index: must be less than total (2), got 2"]


def test_repositories_list_keeps_names_with_slashes() -> None:
    repos = [{"organization": "group", "name": "tools/busybox"}, {"organization": "group", "name": "nginx"}]
    (target,) = parse({"region": "cn-north-4", **_aksk_keys(), "repositories": repos}).targets
    assert target.polling.repositories == (
        RepositoryRef("group", "tools/busybox"),
        RepositoryRef("group", "nginx"),
    )


# --- environment -------------------------------------------------------------------------------------


def test_keys_in_the_file_take_precedence_over_environment_variables() -> None:
    env = aksk_env() | {"HUAWEICLOUD_SDK_PROJECT_ID": "fromenvironment"}
    data = {
        "region": "cn-north-4",
        "project_id": PROJECT,
        "auth": {"access_key_file": "ak", "secret_key": "fake-sk-for-tests"},
    }
    (target,) = parse(data, env).targets
    assert target.auth.access_key_file.samefile(FILES / "ak")
    assert target.auth.access_key is None
    assert target.auth.secret_key == Secret("fake-sk-for-tests")
    assert target.project_id == PROJECT


def test_environment_fills_only_what_the_file_leaves_out() -> None:
    env = aksk_env() | {"HUAWEICLOUD_SDK_SECURITY_TOKEN": "fake-security-token"}
    data = {"region": "cn-north-4", "auth": {"access_key_file": "ak"}}
    (target,) = parse(data, env).targets
    assert target.auth.access_key_file.samefile(FILES / "ak")
    assert target.auth.secret_key == Secret(env["HUAWEICLOUD_SDK_SK"])
    assert target.auth.security_token == Secret("fake-security-token")
    assert target.project_id == PROJECT


def test_password_comes_from_environment_for_the_single_target() -> None:
    data = {"region": "cn-north-4", "auth": {"type": "password", "username": "alice", "domain": "acme"}}
    (target,) = parse(data, {"SWR_EXPORTER_PASSWORD": "fake-password"}).targets
    assert target.auth.password == Secret("fake-password")


def test_environment_does_not_apply_to_entries_of_targets() -> None:
    data = {"targets": [{"name": "a", "region": "cn-north-4", "auth": {"type": "aksk"}}]}
    with pytest.raises(ConfigError) as caught:
        parse(data, aksk_env())
    assert caught.value.problems == [
        "targets[0].auth.access_key: missing: give access_key_file or access_key",
        "targets[0].auth.secret_key: missing: give secret_key_file or secret_key",
    ]


# --- the objects themselves --------------------------------------------------------------------------


def test_polling_resolves_max_staleness_to_three_poll_intervals() -> None:
    assert Polling(poll_interval=60.0).max_staleness == 180.0
    assert Polling(poll_interval=60.0, max_staleness=90.0).max_staleness == 90.0


def test_organization_filter_uses_search_and_exclude_wins() -> None:
    orgs = OrganizationFilter(
        include=(re.compile("team-.*"), re.compile("ops")), exclude=(re.compile(".*-old"),)
    )
    names = ("team-a", "ops", "devops", "team-a-old", "other")
    assert [orgs.matches(name) for name in names] == [True, True, False, False, False]
    assert orgs.narrows
    assert OrganizationFilter().matches("anything") and not OrganizationFilter().narrows
    # Fully anchored, as in Prometheus relabelling: "in" is not found inside "billing".
    assert not OrganizationFilter(include=(re.compile("in"),)).matches("billing")


def test_enabled_collectors_are_the_registry_defaults_overridden_by_the_switches_in_registry_order() -> None:
    assert registry.enabled(Polling()) == ("organizations", "repositories", "shared", "quotas", "overview")
    switched = Polling(collectors=Collectors((("repositories", False), ("tags", True), ("overview", False))))
    assert registry.enabled(switched) == ("organizations", "shared", "tags", "quotas")
    # Account-wide collectors belong to shard 0 alone; discovery runs on every shard.
    other_shard = Polling(shard=Shard(index=1, total=2))
    assert registry.enabled(other_shard) == ("organizations", "repositories")


def test_shard_ownership_is_pinned_so_replicas_and_releases_agree() -> None:
    # Changing the hash would move organizations between running replicas: this pins it.
    owners = {name: [i for i in range(4) if Shard(i, 4).owns(name)] for name in ("team-a", "team-b", "zz")}
    assert owners == {"team-a": [0], "team-b": [2], "zz": [1]}
    assert not Shard().narrows and Shard(0, 2).narrows


@given(st.text(min_size=1, max_size=40), st.integers(min_value=1, max_value=16))
def test_every_organization_belongs_to_exactly_one_shard(name: str, total: int) -> None:
    assert sum(Shard(index, total).owns(name) for index in range(total)) == 1


# --- secrets never leak ------------------------------------------------------------------------------

# The markers keep a generated secret from being, by chance, a word that a repr contains anyway.
secret_text = st.text(alphabet=string.ascii_letters + string.digits + "+/=_-", min_size=8, max_size=60).map(
    lambda core: f"<{core}!>"
)


@settings(max_examples=60)
@given(secret=secret_text, field=st.sampled_from(["access_key", "secret_key", "security_token"]))
def test_secret_values_never_appear_in_errors_or_reprs(secret: str, field: str) -> None:
    auth = {"access_key": "fake-ak-for-tests", "secret_key": "fake-sk-for-tests", field: secret}
    valid = {"region": "cn-north-4", "project_id": PROJECT, "auth": auth}
    config = parse(valid)
    assert secret not in repr(config) and secret not in str(config)
    broken = valid | {"auth": auth | {f"{field}_file": "ak", "username": secret[:3]}, "retries": secret}
    with pytest.raises(ConfigError) as caught:
        parse(broken)
    assert secret not in str(caught.value) and secret not in repr(caught.value)


@settings(max_examples=30)
@given(secret=secret_text)
def test_password_of_wrong_type_or_in_a_broken_line_is_not_echoed(secret: str, tmp_path_factory) -> None:
    path = tmp_path_factory.mktemp("cfg") / "config.yaml"
    path.write_text(f'region: cn-north-4\nauth:\n  type: password\n  password: "{secret}": oops\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert caught.value.problems[0].startswith("line 4, column")
    assert secret not in str(caught.value)


def test_secret_files_are_kept_as_paths_and_inline_secrets_masked_in_repr(tmp_path: Path) -> None:
    key, inline = secrets.token_hex(20), secrets.token_hex(10)
    (tmp_path / "sk").write_text(f"\n  {key}  \n")
    data = {
        "region": "cn-north-4",
        "project_id": PROJECT,
        "auth": {"access_key": inline, "secret_key_file": "sk"},
    }
    config = parse_config(data, base_dir=tmp_path, environ={}, hostname=lambda: "h")
    assert config.targets[0].auth.secret_key_file == tmp_path / "sk"
    assert config.targets[0].auth.access_key == Secret(inline)
    assert key not in repr(config) and inline not in repr(config)


# --- default endpoints -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "swr", "iam"),
    [
        (
            "cn-north-4",
            "https://swr-api.cn-north-4.myhuaweicloud.com",
            "https://iam.cn-north-4.myhuaweicloud.com",
        ),
        (
            "eu-west-101",
            "https://swr-api.eu-west-101.myhuaweicloud.eu",
            "https://iam.eu-west-101.myhuaweicloud.eu",
        ),
        ("cn-north-11", "https://swr-api.cn-north-11.myhuaweicloud.com", "https://iam.myhuaweicloud.com"),
    ],
)
def test_default_endpoints_follow_the_sdk_region_tables(region: str, swr: str, iam: str) -> None:
    assert (default_endpoint(region), default_iam_endpoint(region)) == (swr, iam)


def test_collector_intervals_merge_per_target_and_never_undercut_the_poll_interval() -> None:
    config = parse(
        {
            "poll_interval": "1m",
            "collector_intervals": {"tags": "2h", "quotas": "10s"},
            "targets": [
                {
                    "name": "a",
                    "region": "cn-north-4",
                    "project_id": "p",
                    "auth": {"access_key": "fake-ak", "secret_key": "fake-sk"},
                    "collector_intervals": {"tags": "3h"},
                },
            ],
        }
    )
    polling = config.targets[0].polling
    interval = {spec.name: spec.interval(polling) for spec in registry.REGISTRY}
    assert interval["tags"] == 3 * 3600
    assert interval["quotas"] == 60  # asked for 10 s, but a poll comes once a minute
    assert interval["shares"] == 900  # the registry's default
    assert interval["repositories"] == 60
    assert tags.SPEC.staleness(polling) == polling.max_staleness + 3 * 3600 - 60


def test_collector_intervals_name_unknown_collectors_and_bad_durations() -> None:
    with pytest.raises(ConfigError) as raised:
        parse(
            {
                "region": "cn-north-4",
                "project_id": "p",
                "auth": {"access_key": "a", "secret_key": "b"},
                "collector_intervals": {"tag": "1h", "quotas": "soon"},
            }
        )
    text = str(raised.value)
    assert "collector_intervals.tag: unknown key (did you mean 'tags'?)" in text
    assert 'collector_intervals.quotas: invalid duration "soon"' in text
