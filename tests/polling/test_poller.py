import threading

from exporter.collectors import organizations, quotas, repositories, shared, shares, tags
from exporter.polling.poller import Poller
from tests.fakes.swr import Clock, FakeClient, repo_item, target, throttled


def poller_for(client, clock=None, **settings) -> Poller:
    clock = clock or Clock()
    return Poller(target(**settings), client, clock=clock, monotonic=clock)


def test_a_full_poll_fills_every_collector_and_counts_it():
    client = FakeClient()
    snap = poller_for(client).poll_once()
    assert [s.name for s in snap.collectors] == [
        "organizations", "repositories", "shared", "quotas", "overview"
    ]
    assert snap.up
    assert [r.name for r in snap.get(repositories.SPEC)] == ["busybox"]
    assert snap.polls_total == 1 and snap.poll_failures_total == 0
    assert snap.last_success is not None


def test_repositories_are_listed_globally_when_nothing_narrows():
    client = FakeClient(namespaces=("a", "b"), repos=[repo_item("a", "x"), repo_item("b", "y")])
    poller_for(client).poll_once()
    assert ("ListReposDetails", None) in client.calls
    assert not [c for c in client.calls if c[0] == "ListReposDetails" and c[1] is not None]


def test_a_filter_lists_only_matching_organizations_and_counts_the_rest():
    client = FakeClient(
        namespaces=("team-a", "team-b", "other"), repos=[repo_item("team-a", "x"), repo_item("other", "y")]
    )
    snap = poller_for(client, organizations={"include": ["team-.*"]}).poll_once()
    listed = sorted(c[1] for c in client.calls if c[0] == "ListReposDetails")
    assert listed == ["team-a", "team-b"]
    assert [r.organization for r in snap.get(repositories.SPEC)] == ["team-a"]
    assert snap.get(organizations.SPEC).left_out == 1


def test_duplicates_from_shifting_pages_are_kept_once():
    client = FakeClient(repos=[repo_item("group", "a"), repo_item("group", "a"), repo_item("group", "b")])
    assert [r.name for r in poller_for(client).poll_once().get(repositories.SPEC)] == ["a", "b"]


def test_explicit_repositories_use_the_brief_info_endpoint():
    client = FakeClient(repos=[repo_item("group", "busybox"), repo_item("group", "library/nginx")])
    refs = [{"organization": "group", "name": "library/nginx"}]
    snap = poller_for(client, repositories=refs).poll_once()
    assert ("ShowRepository", "group", "library/nginx") in client.calls
    assert not [c for c in client.calls if c[0] == "ListReposDetails"]
    assert [r.name for r in snap.get(repositories.SPEC)] == ["library/nginx"]


def test_a_missing_configured_repository_fails_the_collector_but_not_the_others():
    client = FakeClient()
    refs = [{"organization": "group", "name": "busybox"}, {"organization": "group", "name": "gone"}]
    snap = poller_for(client, repositories=refs).poll_once()
    status = snap.status("repositories")
    assert not status.success
    assert "1 of 2 configured repositories failed; first group/gone" in status.error
    assert "SVCSTG.SWR.4040002" in status.error
    assert [r.name for r in snap.get(repositories.SPEC)] == ["busybox"]
    assert snap.status("shared").success


def test_failed_shared_collector_keeps_last_data_until_max_staleness():
    clock = Clock()
    client = FakeClient(shared={"self": [], "thirdparty": [repo_item("p", "shared-one", status=True)]})
    poller = poller_for(client, clock, poll_interval="1m", max_staleness="5m")
    poller.poll_once()
    client.failures["ListSharedReposDetails"] = throttled("ListSharedReposDetails")

    clock.now += 240
    snap = poller.poll_once()
    status = snap.status("shared")
    assert not status.success and status.stale
    assert [s.name for s in snap.get(shared.SPEC)] == ["shared-one"]
    assert snap.up is False
    assert snap.status("repositories").success

    clock.now += 120  # 360 s after the last good data: past max_staleness
    snap = poller.poll_once()
    assert not snap.results.has(shared.SPEC)
    assert snap.status("shared").last_success is None

    del client.failures["ListSharedReposDetails"]
    snap = poller.poll_once()
    assert snap.status("shared").success and [s.name for s in snap.get(shared.SPEC)] == ["shared-one"]
    assert snap.poll_failures_total == 2 and snap.polls_total == 4


def test_organization_failure_fails_a_filtered_repository_listing_too():
    client = FakeClient()
    client.failures["ListNamespaces"] = throttled("ListNamespaces")
    snap = poller_for(client, organizations={"exclude": ["^x"]}).poll_once()
    assert not snap.status("organizations").success
    assert "organization list is unavailable" in snap.status("repositories").error


def test_an_organization_deleted_between_list_and_detail_is_skipped():
    from exporter.swr.errors import ApiError

    class Vanishing(FakeClient):
        def list_repos(self, namespace=None):
            if namespace == "gone":
                raise ApiError("ListReposDetails", "not_found", status=404)
            return super().list_repos(namespace)

    client = Vanishing(namespaces=("group", "gone"))
    snap = poller_for(client, organizations={"exclude": ["^zzz"]}).poll_once()
    assert snap.status("repositories").success
    assert [r.name for r in snap.get(repositories.SPEC)] == ["busybox"]


def test_account_wide_collectors_run_on_shard_zero_only():
    client = FakeClient(namespaces=("a", "b", "c", "d"))
    names = [s.name for s in poller_for(client, shard={"index": 1, "total": 2}).poll_once().collectors]
    assert names == ["organizations", "repositories"]


def test_an_unexpected_bug_in_a_collector_is_a_failed_collector():
    class Buggy(FakeClient):
        def list_quotas(self, project_id):
            raise KeyError("bug")

    snap = poller_for(Buggy()).poll_once()
    assert snap.status("quotas").error == "internal error: KeyError"
    assert snap.status("repositories").success


def test_run_polls_until_stopped_and_marks_the_first_poll():
    poller = Poller(target(poll_interval="1s"), FakeClient())
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,))
    thread.start()
    assert poller.first_poll_done.wait(5)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert poller.snapshot is not None


def test_a_wrongly_typed_answer_fails_its_collector_and_is_decoded_through_the_client_once():
    # The client's decode() is the one place that counts invalid_response (tests/swr test it counts).
    client = FakeClient(repos=[repo_item("group", "busybox", size="12")])
    snap = poller_for(client).poll_once()
    assert "field 'size': expected an integer" in snap.status("repositories").error
    assert client.invalid == ["ListReposDetails"]
    assert snap.status("shared").success


def test_slow_collectors_run_at_their_own_interval_and_keep_their_data_between_runs():
    clock = Clock()
    client = FakeClient()
    poller = poller_for(client, clock, poll_interval="1m", collector_intervals={"quotas": "10m"})
    poller.poll_once()
    clock.now += 60
    snap = poller.poll_once()
    assert [c for c in client.calls if c[0] == "ListQuotas"] == [("ListQuotas", "0" * 32)]
    assert snap.status("quotas").success and [q.key for q in snap.get(quotas.SPEC)] == ["namespace"]
    clock.now += 540
    poller.poll_once()
    assert len([c for c in client.calls if c[0] == "ListQuotas"]) == 2


def test_a_failed_slow_collector_is_retried_at_the_next_poll():
    clock = Clock()
    client = FakeClient()
    client.failures["ListQuotas"] = throttled("ListQuotas")
    poller = poller_for(client, clock, poll_interval="1m")
    poller.poll_once()
    del client.failures["ListQuotas"]
    clock.now += 60
    assert poller.poll_once().status("quotas").success


def shares_client():
    domains = {("group", "busybox"): [
        {"access_domain": "partner", "permit": "read", "deadline": "forever", "status": True}
    ]}
    return FakeClient(shared={"self": [repo_item("group", "busybox")], "thirdparty": []}, domains=domains)


def test_shares_reuse_the_shared_collectors_list_of_this_poll():
    client = shares_client()
    snap = poller_for(client, collectors={"shares": True}).poll_once()
    assert [c for c in client.calls if c[0] == "ListSharedReposDetails"] == [
        ("ListSharedReposDetails", "self"),
        ("ListSharedReposDetails", "thirdparty"),
    ]
    [entry] = snap.get(shares.SPEC)
    assert (entry.repository, entry.shares[0].shared_with, entry.shares[0].expiry) == (
        "busybox",
        "partner",
        None,
    )


def test_shares_list_what_is_shared_themselves_when_the_shared_collector_is_off():
    client = shares_client()
    snap = poller_for(client, collectors={"shares": True, "shared": False}).poll_once()
    assert ("ListSharedReposDetails", "self") in client.calls
    assert snap.status("shares").success and len(snap.get(shares.SPEC)) == 1


def test_tags_fail_clearly_without_a_repository_list():
    client = FakeClient()
    snap = poller_for(client, collectors={"tags": True, "repositories": False}).poll_once()
    assert "repository list is unavailable" in snap.status("tags").error


def test_a_tag_repeated_across_pages_becomes_one_image():
    repeated = [{"Tag": "v1", "size": 1, "updated": "2024-01-01T00:00:00Z"},
                {"Tag": "v2", "size": 2, "updated": "2024-01-02T00:00:00Z"},
                {"Tag": "v1", "size": 1, "updated": "2024-01-01T00:00:00Z"}]
    client = FakeClient(tags={("group", "busybox"): repeated})
    snap = poller_for(client, collectors={"tags": True}).poll_once()
    assert [(image.tag, image.size_bytes) for image in snap.get(tags.SPEC)] == [("v1", 1), ("v2", 2)]


def test_repositories_are_served_while_a_slow_tags_collector_still_runs():
    release = threading.Event()

    class SlowTags(FakeClient):
        def list_repository_tags(self, namespace, repository):
            release.wait(5)
            return [{"Tag": "latest", "size": 1, "updated": "2024-01-01T00:00:00Z"}]

    poller = poller_for(SlowTags(), collectors={"tags": True})
    thread = threading.Thread(target=poller.poll_once)
    thread.start()
    try:
        for _ in range(500):
            if poller.snapshot is not None:
                break
            threading.Event().wait(0.01)
        interim = poller.snapshot
        assert [r.name for r in interim.get(repositories.SPEC)] == ["busybox"]
        assert interim.status("tags") is None and interim.polls_total == 0
        # No poll has finished: nothing to say about up or the poll's duration yet.
        assert interim.pending == ("tags",) and interim.up is None and interim.duration_seconds is None
    finally:
        release.set()
        thread.join(5)
    final = poller.snapshot
    assert final.status("tags").success and len(final.get(tags.SPEC)) == 1 and final.polls_total == 1
    assert final.pending == () and final.up is True and final.duration_seconds is not None


def test_a_later_interim_snapshot_describes_the_last_finished_poll():
    clock = Clock()
    seen = []

    class TimedTags(FakeClient):
        def list_repository_tags(self, namespace, repository):
            seen.append(poller.snapshot)  # the interim snapshot, published before tags start
            clock.advance(7)
            return [{"Tag": "latest", "size": 1, "updated": "2024-01-01T00:00:00Z"}]

    poller = poller_for(TimedTags(), clock=clock, collectors={"tags": True})
    first = poller.poll_once()
    clock.advance(3600)  # tags run hourly by default
    poller.poll_once()
    assert len(seen) == 2
    interim = seen[-1]
    assert first.duration_seconds == 7
    assert (interim.started_at, interim.duration_seconds) == (first.started_at, 7)
    assert interim.pending == () and interim.up is True and interim.status("tags") == first.status("tags")


def test_every_snapshot_swapped_in_is_handed_to_the_listener_and_a_failing_listener_stops_nothing():
    seen = []

    def listener(snap):
        seen.append(snap)
        raise RuntimeError("a listener bug")

    clock = Clock()
    poller = Poller(target(collectors={"tags": True}), FakeClient(), clock=clock, monotonic=clock,
                    on_snapshot=listener)
    first = poller.poll_once()
    second = poller.poll_once()
    # Each poll with a per-repository phase publishes an interim snapshot before its final one.
    assert seen[1] is first and seen[-1] is second and len(seen) == 4
    assert poller.snapshot is second and second.polls_total == 2


def test_repositories_unchanged_since_the_last_poll_are_the_same_objects_so_two_snapshots_share_them():
    client = FakeClient(repos=[repo_item("group", "a"), repo_item("group", "b")])
    poller = poller_for(client)
    first = poller.poll_once().get(repositories.SPEC)
    client.repos = [repo_item("group", "a"), repo_item("group", "b", num_download=3)]
    second = poller.poll_once().get(repositories.SPEC)
    assert second[0] is first[0]
    assert second[1] is not first[1] and second[1].downloads == 3
    narrowed = poller_for(client, organizations={"include": ["group"]})
    before = narrowed.poll_once().get(repositories.SPEC)
    assert narrowed.poll_once().get(repositories.SPEC)[1] is before[1]


class PagedClient(FakeClient):
    """Two pages per organization, with a log of when each page was handed out and when one was parsed."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.events: list[str] = []

    def list_repos_pages(self, namespace=None):
        items = self.list_repos(namespace)
        for number, page in enumerate((items[:1], items[1:]), 1):
            self.events.append(f"{namespace} page {number}")
            yield page

    def decode(self, operation, parse):
        result = super().decode(operation, parse)
        if operation == "ListReposDetails":
            self.events.append(f"{result[0].organization if result else '-'} parsed")
        return result


def test_a_filtered_listing_is_parsed_page_by_page_as_each_page_arrives():
    client = PagedClient(namespaces=("team",), repos=[repo_item("team", "x"), repo_item("team", "y")])
    snap = poller_for(client, organizations={"include": ["team"]}).poll_once()
    assert [r.name for r in snap.get(repositories.SPEC)] == ["x", "y"]
    assert client.events == ["team page 1", "team parsed", "team page 2", "team parsed"]
