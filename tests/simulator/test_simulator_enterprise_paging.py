"""The simulator's Enterprise paging faces clients: any limit, offset or marker gets a page within the
real limits or a 400 in the Enterprise error form, never anything else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.simulator import Account, routes
from exporter.simulator.enterprise import EnterpriseApi
from exporter.simulator.enterprise_data import EnterpriseDataset
from exporter.simulator.replies import ApiError

ACCOUNT = Account.generate()
API = EnterpriseApi(EnterpriseDataset.generate(seed=1, instances=2, repositories=250), ACCOUNT, lambda: 0.0)
VALUES = st.one_of(st.integers(-5, 400).map(str), st.text(max_size=6),
                   st.sampled_from(["m100", "m0", "m", "mx"]))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["limit", "offset", "marker"]), VALUES, max_size=3))
def test_any_paging_query_gets_a_valid_page_or_an_enterprise_400(query):
    for call in (lambda: API.ee_list_instances(query, ACCOUNT.project_id),
                 lambda: API.ee_all_repositories(query, ACCOUNT.project_id)):
        try:
            reply = call()
        except ApiError as error:
            assert error.reply.status == 400
            assert set(error.reply.payload) == {"error_code", "error_msg"}
            continue
        assert reply.status == 200
        items = reply.payload.get("instances", reply.payload.get("repositories"))
        assert len(items) <= 100


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["v2", "instances", "x", "%252F", "%2F", "", "repositories", "*"]),
                max_size=10))
def test_any_path_routes_or_not_without_error(segments):
    route = routes.match("GET", "/" + "/".join(segments))
    assert route is None or route.operation
