"""SwrClient: what goes on the wire, response shapes, decode(), project_id, map()."""

from __future__ import annotations

import json

import pytest
from requests_mock import ANY

from exporter import __version__
from exporter.swr.errors import ApiError, InvalidResponse
from tests.fakes.http import ENDPOINT, HOST, FakeAuth, make_client


def test_get_is_signed_by_auth_with_base_headers_and_sent_with_its_headers(requests_mock):
    requests_mock.get(f"{ENDPOINT}/v2/manage/namespaces", json={"namespaces": [{"name": "group", "auth": 7}]})
    h = make_client(timeout=4.5, verify=False)

    assert h.client.list_namespaces() == [{"name": "group", "auth": 7}]

    call = h.auth.calls[0]
    # mode::visible: organizations seen only through a repository-level grant are listed too.
    assert (call.method, call.host, call.path, call.query, call.body) == (
        "GET", HOST, "/v2/manage/namespaces", "filter=mode%3A%3Avisible", None)
    assert call.base == {"Content-Type": "application/json", "User-Agent": f"swr-exporter/{__version__}"}
    sent = requests_mock.last_request
    assert sent.url == f"{ENDPOINT}/v2/manage/namespaces?filter=mode%3A%3Avisible"
    assert sent.headers["X-Auth-Token"] == h.auth.token
    assert sent.headers["Content-Type"] == "application/json"
    assert (sent.timeout, sent.verify) == (4.5, False)


def test_redirect_is_not_followed_but_reported(requests_mock):
    requests_mock.get(f"{ENDPOINT}/v2/manage/namespaces", status_code=302,
                      headers={"Location": "https://elsewhere.test.example/login"})
    requests_mock.get("https://elsewhere.test.example/login", json={"namespaces": []})
    h = make_client()

    with pytest.raises(InvalidResponse) as caught:
        h.client.list_namespaces()

    assert (caught.value.reason, caught.value.status) == ("invalid_response", 302)
    assert "redirects are not followed" in str(caught.value)
    assert requests_mock.call_count == 1
    assert h.observer.requests == [("ListNamespaces", "302")]
    assert h.observer.errors == [("ListNamespaces", "invalid_response")]
    assert h.observer.retries == []


@pytest.mark.parametrize(
    ("call", "wire"),
    [
        (lambda c: c.list_repos(), "/v2/manage/repos?limit=1000&offset=0"),
        (lambda c: c.list_repos("group"), "/v2/manage/repos?limit=1000&namespace=group&offset=0"),
        (lambda c: c.list_shared_repos("self"),
         "/v2/manage/shared-repositories?center=self&limit=1000&offset=0"),
        (lambda c: c.list_shared_repos("thirdparty"),
         "/v2/manage/shared-repositories?center=thirdparty&limit=1000&offset=0"),
        (lambda c: c.list_repository_tags("group", "busybox"),
         "/v2/manage/namespaces/group/repos/busybox/tags?limit=1000&offset=0"),
        (lambda c: c.list_repository_tags("group", "library/nginx"),
         "/v2/manage/namespaces/group/repos/library%24nginx/tags?limit=1000&offset=0"),
        (lambda c: c.list_repo_domains("group", "busybox"),
         "/v2/manage/namespaces/group/repositories/busybox/access-domains"),
    ],
)
def test_list_requests_use_the_sdk_path_and_canonical_query(requests_mock, call, wire):
    requests_mock.get(ANY, json=[])
    h = make_client()

    assert call(h.client) == []

    assert requests_mock.last_request.url == ENDPOINT + wire
    path, _, query = wire.partition("?")
    assert (h.auth.calls[0].path, h.auth.calls[0].query) == (path, query)


@pytest.mark.parametrize(
    ("repository", "path"),
    [
        ("busybox", "/v2/manage/namespaces/group/repos/busybox"),
        ("library/nginx", "/v2/manage/namespaces/group/repos/library%24nginx"),
        ("my repo", "/v2/manage/namespaces/group/repos/my%20repo"),
    ],
)
def test_show_repository_quotes_path_segments_and_sends_slash_as_dollar(requests_mock, repository, path):
    requests_mock.get(ANY, json={"name": repository, "num_images": 3})
    h = make_client()

    assert h.client.show_repository("group", repository) == {"name": repository, "num_images": 3}

    assert requests_mock.last_request.url == ENDPOINT + path
    assert h.auth.calls[0].path == path


def test_endpoint_with_trailing_slash_gives_the_same_url(requests_mock):
    requests_mock.get(ANY, json={"quotas": [{"quota_key": "namespace", "quota_limit": 15, "used": 1}]})
    h = make_client(endpoint=ENDPOINT + "/")

    quotas = h.client.list_quotas("0123456789abcdef0123456789abcdef")

    assert quotas == [{"quota_key": "namespace", "quota_limit": 15, "used": 1}]
    assert requests_mock.last_request.url == (
        f"{ENDPOINT}/v2/manage/projects/0123456789abcdef0123456789abcdef/quotas")


def test_the_overview_is_one_signed_get_of_an_object(requests_mock):
    requests_mock.get(ANY, json={"namspace_num": 1, "repo_num": 2})
    h = make_client()

    assert h.client.show_domain_overview() == {"namspace_num": 1, "repo_num": 2}
    assert requests_mock.last_request.url == f"{ENDPOINT}/v2/manage/overview"
    assert h.auth.calls[0].path == "/v2/manage/overview"


def test_null_body_of_a_list_endpoint_is_an_empty_list(requests_mock):
    requests_mock.get(ANY, text="null")
    h = make_client()

    assert h.client.list_repo_domains("group", "busybox") == []
    assert h.client.list_repos() == []
    assert h.observer.errors == []


def test_null_namespaces_member_is_an_empty_list(requests_mock):
    requests_mock.get(ANY, json={"namespaces": None})

    assert make_client().client.list_namespaces() == []


@pytest.mark.parametrize(
    ("operation", "call", "body"),
    [
        ("ListNamespaces", lambda c: c.list_namespaces(), "not json"),
        ("ListNamespaces", lambda c: c.list_namespaces(), "{}"),
        ("ListNamespaces", lambda c: c.list_namespaces(), '{"namespaces": {"name": "group"}}'),
        ("ListNamespaces", lambda c: c.list_namespaces(), "[]"),
        ("ListReposDetails", lambda c: c.list_repos(), '{"name": "busybox"}'),
        ("ListReposDetails", lambda c: c.list_repos(), "[1, 2]"),
        ("ListReposDetails", lambda c: c.list_repos(), '[{"name": "busy'),
        ("ShowRepository", lambda c: c.show_repository("group", "busybox"), '[{"name": "busybox"}]'),
        ("ListQuotas", lambda c: c.list_quotas("p"), '{"quotas": "none"}'),
        ("ShowDomainOverview", lambda c: c.show_domain_overview(), '[{"repo_num": 1}]'),
        ("ListRepoDomains", lambda c: c.list_repo_domains("group", "busybox"), '{"access_domain": "x"}'),
        ("ListRepositoryTags", lambda c: c.list_repository_tags("group", "busybox"), ""),
    ],
)
def test_wrong_shape_or_bad_json_is_an_invalid_response_without_retry(requests_mock, operation, call, body):
    requests_mock.get(ANY, text=body, headers={"X-Request-Id": "req-7"})
    h = make_client()

    with pytest.raises(InvalidResponse) as caught:
        call(h.client)

    error = caught.value
    assert (error.operation, error.reason, error.status, error.request_id) == (
        operation, "invalid_response", 200, "req-7")
    assert str(error).startswith(f"{operation} failed: HTTP 200 invalid response: ")
    assert requests_mock.call_count == 1
    assert h.observer.requests == [(operation, "200")]
    assert h.observer.errors == [(operation, "invalid_response")]
    assert h.observer.retries == []


def test_decode_returns_what_parse_returns_and_counts_nothing():
    h = make_client()

    assert h.client.decode("ListReposDetails", lambda: [1, 2]) == [1, 2]

    assert h.observer.errors == []


def test_decode_counts_one_invalid_response_for_a_malformed_answer_and_reraises_it(requests_mock):
    requests_mock.get(f"{ENDPOINT}/v2/manage/repos", json=[{"name": "busybox", "size": "12"}])
    h = make_client()
    bad = InvalidResponse("ListReposDetails", "item 0 field 'size': expected an integer, got str '12'",
                          status=200)

    def parse(items: list) -> list:
        if not isinstance(items[0]["size"], int):
            raise bad
        return items

    items = h.client.list_repos()
    with pytest.raises(InvalidResponse) as caught:
        h.client.decode("ListReposDetails", lambda: parse(items))

    assert caught.value is bad
    assert str(bad) == ("ListReposDetails failed: HTTP 200 invalid response: item 0 field 'size': "
                        "expected an integer, got str '12'")
    assert h.observer.requests == [("ListReposDetails", "200")]
    assert h.observer.errors == [("ListReposDetails", "invalid_response")]


def test_decode_counts_each_malformed_answer_once_under_the_operation_given():
    h = make_client()

    def malformed(operation: str) -> None:
        raise InvalidResponse(operation, "expected a JSON object")

    for operation in ("ListRepositoryTags", "ListRepositoryTags", "ListQuotas"):
        with pytest.raises(InvalidResponse):
            h.client.decode(operation, lambda op=operation: malformed(op))

    assert h.observer.errors == [("ListRepositoryTags", "invalid_response")] * 2 + [
        ("ListQuotas", "invalid_response")]


@pytest.mark.parametrize("error", [ApiError("ShowRepository", "not_found", status=404), KeyError("size")])
def test_decode_lets_other_failures_through_uncounted(error):
    h = make_client()

    def parse() -> None:
        raise error

    with pytest.raises(type(error)):
        h.client.decode("ShowRepository", parse)

    assert h.observer.errors == []


def test_project_id_is_the_configured_one_else_the_auths():
    assert make_client(auth=FakeAuth(project_id="from-iam")).client.project_id == "from-iam"
    assert make_client(auth=FakeAuth(project_id="from-iam"), project_id="configured").client.project_id == (
        "configured")
    assert make_client().client.project_id is None


def test_map_keeps_input_order_and_returns_api_errors_in_their_slots():
    h = make_client(max_concurrency=3)
    failure = ApiError("ShowRepository", "not_found", status=404)

    def work(n: int) -> int:
        if n == 2:
            raise failure
        return n * 10

    assert h.client.map(work, range(6)) == [0, 10, failure, 30, 40, 50]
    assert h.client.map(work, []) == []
    assert h.client.map(work, [2]) == [failure]


def test_map_lets_other_exceptions_propagate():
    h = make_client(max_concurrency=2)

    def work(n: int) -> int:
        if n == 3:
            raise KeyError(n)
        return n

    with pytest.raises(KeyError):
        h.client.map(work, range(5))


def test_close_closes_the_session():
    closed = []

    class Session:
        def close(self) -> None:
            closed.append(True)

    make_client(session=Session()).client.close()

    assert closed == [True]


def test_token_never_appears_in_errors_or_debug_logs(requests_mock, caplog):
    caplog.set_level("DEBUG", logger="exporter")
    auth = FakeAuth(refresh=False)
    requests_mock.get(f"{ENDPOINT}/v2/manage/namespaces", status_code=401,
                      json={"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication"})
    requests_mock.get(f"{ENDPOINT}/v2/manage/repos", status_code=500, text="<html>oops</html>")
    h = make_client(auth=auth, retries=1)

    errors = []
    for call in (h.client.list_namespaces, h.client.list_repos):
        with pytest.raises(ApiError) as caught:
            call()
        errors.append(caught.value)

    assert [e.reason for e in errors] == ["unauthorized", "server_error"]
    assert caplog.records, "failed attempts are logged at debug"
    for text in [caplog.text, *map(str, errors), *map(repr, errors), json.dumps(vars(errors[0]))]:
        assert auth.token not in text
