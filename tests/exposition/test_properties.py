"""Properties over generated input: the config loader, the API response parsers, the signer and the
exposition renderer either do their job or fail the documented way, whatever they are given."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from exporter.collectors import fields, organizations, quotas, repositories, shared
from exporter.config.errors import ConfigError
from exporter.config.loader import Config, parse_config
from exporter.config.secret import Secret
from exporter.exposition.cache import render_snapshot
from exporter.logs import LogfmtFormatter
from exporter.simulator.account import Account
from exporter.simulator.replies import ApiError as SimulatorRefusal
from exporter.simulator.verify import Incoming, TokenStore, Verifier
from exporter.swr.credentials import AkSkAuth
from exporter.swr.errors import InvalidResponse
from exporter.swr.signing import canonical_query, canonical_uri
from tests.fakes.snapshots import repo, snapshot

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=20,
)
FIELD_NAMES = ["name", "namespace", "category", "size", "num_images", "num_download", "is_public",
               "created_at", "updated_at", "created", "updated", "domain_name", "status", "auth",
               "quota_key", "quota_limit", "used"]
# Objects that look like API items: the right key names with values of any type.
ITEMS = st.lists(st.one_of(JSON, st.dictionaries(st.sampled_from(FIELD_NAMES), JSON, max_size=10)),
                 max_size=5)
LABEL = st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s)


@given(ITEMS)
def test_list_parsers_return_objects_or_raise_invalid_response(items):
    parsers = [
        lambda: organizations.parse_organizations("ListNamespaces", items),
        lambda: repositories.parse_repository_list("ListReposDetails", items),
        lambda: shared.parse_shared_list("ListSharedReposDetails", "thirdparty", items),
        lambda: quotas.parse_quotas("ListQuotas", items),
    ]
    for parse in parsers:
        try:
            parsed = parse()
        except InvalidResponse as error:
            assert error.operation in str(error)
        else:
            assert len(parsed) == len(items)


@given(st.one_of(JSON, st.dictionaries(st.sampled_from(FIELD_NAMES), JSON)))
def test_the_brief_parser_returns_a_repository_or_raises_response_error(obj):
    try:
        parsed = repositories.parse_repository_brief("ShowRepository", "group", obj)
    except InvalidResponse:
        return
    assert parsed.organization == "group" and parsed.name


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
       st.integers(min_value=0, max_value=999_999))
def test_timestamps_keep_their_fraction_of_a_second(when, micros):
    when = when.replace(microsecond=micros, tzinfo=UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{micros:06d}Z"
    assert abs(fields.parse_timestamp(text) - when.timestamp()) < 1e-5


def _outcome(parse, text):
    try:
        return parse(text)
    except ValueError:
        return "ValueError"


# One field of a valid time replaced by a value just past its limit, or by a form SWR does not send.
EDGES = {0: ["0000", "1969", "9999", "12345", "٢٠٢٤"], 1: ["00", "13", "1"],
         2: ["00", "29", "30", "31", "32"], 3: ["t", "_", "  "], 4: ["24", "99", "0"], 5: ["60", "6"],
         6: ["60", "61", "5"],
         7: ["", ".", ".1234567890", ".Z", ".٣"], 8: ["ZZ", "+00:00", "-05:30", "+0800", " ", "\n", "z"]}


@st.composite
def timestamp_texts(draw: st.DrawFn) -> str:
    when = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
    fraction = draw(st.sampled_from(["", ".5"]) | st.text("0123456789", min_size=1, max_size=9).map(
        lambda digits: "." + digits))
    fields_ = [f"{when.year:04d}", f"{when.month:02d}", f"{when.day:02d}", "T", f"{when.hour:02d}",
               f"{when.minute:02d}", f"{when.second:02d}", fraction, draw(st.sampled_from(["", "Z"]))]
    if draw(st.booleans()):
        index = draw(st.sampled_from(sorted(EDGES)))
        fields_[index] = draw(st.sampled_from(EDGES[index]))
    year, month, day, sep, hour, minute, second, fraction, zone = fields_
    return f"{year}-{month}-{day}{sep}{hour}:{minute}:{second}{fraction}{zone}"


TIMESTAMP_TEXTS = timestamp_texts() | st.text(max_size=32) | st.text("0123456789-T:.Z+ ٣", max_size=32)


@settings(max_examples=1000)
@given(TIMESTAMP_TEXTS)
def test_the_fast_timestamp_path_answers_exactly_as_the_full_parser(text):
    assert _outcome(fields.parse_timestamp, text) == _outcome(fields.parse_timestamp_fully, text)


SECRET = secrets.token_hex(12)
POLLING_VALUES = {
    "poll_interval": st.one_of(st.sampled_from(["30s", "5m", "1h", "0", "5 minutes", "-1s"]), JSON),
    "request_timeout": st.one_of(st.sampled_from(["10s", "500ms"]), JSON),
    "retries": st.one_of(st.integers(-3, 20), JSON),
    "max_concurrency": st.one_of(st.integers(-1, 64), JSON),
    "rate_limit": st.one_of(st.floats(allow_nan=True), JSON),
    "max_staleness": st.one_of(st.sampled_from(["15m", "1s"]), JSON),
    "organizations": st.one_of(st.fixed_dictionaries({"include": st.lists(st.sampled_from(
        ["^team-", "(", "[a-z]+", ".*"]), max_size=3)}), JSON),
    "collectors": st.one_of(st.dictionaries(st.sampled_from(["repositories", "shared", "quotas", "tagz"]),
                                            st.one_of(st.booleans(), JSON)), JSON),
    "shard": st.one_of(st.fixed_dictionaries({"index": st.one_of(st.integers(-1, 4), st.just("auto")),
                                              "total": st.integers(-1, 4)}), JSON),
    "tls": st.one_of(st.fixed_dictionaries({"insecure_skip_verify": st.one_of(st.booleans(), JSON)}), JSON),
    "region": st.one_of(st.sampled_from(["cn-north-4", "mars-1"]), JSON),
    "endpoint": st.one_of(st.sampled_from(["http://127.0.0.1:1", "ftp://x", "https://u:p@h"]), JSON),
    "auth": st.one_of(st.fixed_dictionaries({"access_key": st.just("ak"), "secret_key": st.just(SECRET)}),
                      JSON),
    "project_id": st.one_of(st.sampled_from(["p", "a/b"]), JSON),
    "unknown_key": JSON,
}


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional=POLLING_VALUES))
def test_the_config_loader_returns_a_config_or_lists_problems_never_crashes(data):
    try:
        config = parse_config(data, base_dir=Path("/nonexistent"), environ={}, hostname=lambda: "host-0")
    except ConfigError as error:
        assert error.problems and all(":" in problem for problem in error.problems)
        assert SECRET not in str(error)
    else:
        assert isinstance(config, Config) and config.targets


QUERY_PAIRS = st.lists(st.tuples(st.text(min_size=1, max_size=10), st.text(max_size=10)), max_size=5)
PATH = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4).map(
    lambda parts: "/" + "/".join(quote(part, safe="") for part in parts))


@given(QUERY_PAIRS, st.randoms())
def test_the_canonical_query_does_not_depend_on_pair_order(pairs, rng):
    shuffled = list(pairs)
    rng.shuffle(shuffled)
    assert canonical_query(shuffled) == canonical_query(pairs)


@given(PATH)
def test_the_canonical_uri_is_stable_and_ends_with_a_slash(path):
    once = canonical_uri(path)
    assert once.endswith("/") and canonical_uri(once) == once


ACCOUNT = Account.generate()


@settings(max_examples=100)
@given(PATH, QUERY_PAIRS, st.binary(max_size=64), st.sampled_from(["GET", "POST", "DELETE"]))
def test_any_request_we_sign_passes_the_gateway_check_and_a_wrong_key_fails_it(path, pairs, body, method):
    now = 1_700_000_000.0
    verifier = Verifier(ACCOUNT, TokenStore(), lambda: now)
    query = canonical_query(pairs)
    for secret_key, accepted in ((ACCOUNT.sk, True), (secrets.token_hex(20), False)):
        auth = AkSkAuth(Secret(ACCOUNT.ak), Secret(secret_key), ACCOUNT.project_id, clock=lambda: now)
        headers = auth.headers(method, "swr.example", path, query, body or None,
                               {"Content-Type": "application/json"})
        incoming = Incoming(method, path, query, {k.lower(): v for k, v in headers.items()}, body)
        try:
            verifier.authenticate(incoming, project_scoped=True)
            ok = True
        except SimulatorRefusal:
            ok = False
        assert ok is accepted


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(LABEL, LABEL, LABEL)
def test_any_label_value_survives_a_round_trip_through_both_parsers(organization, name, category):
    snap = snapshot(repositories=(repo(org=organization, name=name, category=category),))
    for openmetrics, parse in ((False, parse_text), (True, parse_openmetrics)):
        text = render_snapshot(snap, openmetrics).decode("utf-8") + ("# EOF\n" if openmetrics else "")
        infos = [s for family in parse(text) for s in family.samples if s.name == "swr_repository_info"]
        assert [s.labels for s in infos] == [
            {"organization": organization, "repository": name, "category": category}]


@given(st.text(max_size=60))
def test_a_logfmt_line_stays_one_printable_line_whatever_the_message(message):
    record = logging.LogRecord("exporter.test", logging.WARNING, __file__, 1, "got %s", (message,), None)
    line = LogfmtFormatter().format(record)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert line.startswith("ts=") and " level=warn " in line
