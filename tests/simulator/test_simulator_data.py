"""The data generator, the dataset's editing methods, evolution over time, and the console script."""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
import signal
import subprocess
import sys
from typing import Any

import pytest
import requests

from exporter.simulator import Account, Behaviour, Dataset, Simulator
from exporter.simulator.__main__ import build, parse_args
from exporter.simulator.data import CATEGORIES, valid_organization_name
from exporter.simulator.evolve import repo_state
from tests.simulator.calls import login

START = 1_700_000_000.0
REPO_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")


def snapshot(ds: Dataset) -> list[Any]:
    things: list[Any] = [*ds.organizations, *ds.repositories, *ds.shared_with_me]
    return [dataclasses.asdict(thing) for thing in things]


def test_same_seed_and_sizes_give_the_same_dataset() -> None:
    first = Dataset.generate(seed=42, organizations=5, repositories=60, start=START)
    second = Dataset.generate(seed=42, organizations=5, repositories=60, start=START)
    assert snapshot(first) == snapshot(second)
    other = Dataset.generate(seed=43, organizations=5, repositories=60, start=START)
    assert snapshot(first) != snapshot(other)


def test_generated_names_follow_the_swr_rules() -> None:
    ds = Dataset.generate(seed=9, organizations=40, repositories=400)
    assert len({o.name for o in ds.organizations}) == 40
    assert all(valid_organization_name(o.name) for o in ds.organizations)
    assert all(REPO_NAME.match(r.name) for r in ds.repositories)
    keys = [(r.namespace, r.name) for r in ds.repositories]
    assert len(keys) == len(set(keys))


def test_generated_data_covers_the_interesting_cases() -> None:
    ds = Dataset.generate(seed=42, organizations=5, repositories=60, shared_with_me=4, start=START)
    repos = ds.repositories
    assert {r.category for r in repos} == set(CATEGORIES)
    assert any(r.is_public for r in repos) and not all(r.is_public for r in repos)
    assert any("/" in r.name for r in repos)
    assert any(not r.description.isascii() for r in repos)
    assert {o.auth for o in ds.organizations} <= {7, 3, 1}
    assert all(r.num_images == len(r.tags) == 3 and r.size == sum(t.size for t in r.tags) for r in repos)
    assert all(r.created <= r.updated <= START for r in repos)
    assert any(r.shares for r in repos)
    assert {s.valid for s in ds.shared_with_me} == {True, False}
    assert all(org.name in {r.namespace for r in repos} for org in ds.organizations)


@pytest.mark.parametrize("organizations", [3, 6, 40])
def test_generated_data_has_one_visible_only_organization_with_three_repositories(organizations: int) -> None:
    ds = Dataset.generate(seed=2026, organizations=organizations, repositories=150)
    hidden = [org for org in ds.organizations if org.visible_only]
    assert [org.name for org in hidden] == [ds.organizations[-1].name]
    assert len(ds.repos_in(hidden[0].name)) == 3


def test_small_generated_datasets_have_no_visible_only_organization() -> None:
    for organizations in (1, 2):
        ds = Dataset.generate(seed=1, organizations=organizations, repositories=10)
        assert not any(org.visible_only for org in ds.organizations)


def test_the_visible_only_organization_is_listed_only_with_mode_visible_over_http() -> None:
    ds = Dataset.generate(seed=2026, organizations=6, repositories=150)
    (hidden,) = [org.name for org in ds.organizations if org.visible_only]
    with Simulator(ds) as sim:
        headers = login(sim)
        url = f"{sim.base_url}/v2/manage/namespaces"
        plain = requests.get(url, headers=headers, timeout=5).json()["namespaces"]
        visible = requests.get(url, params={"filter": "mode::visible"}, headers=headers, timeout=5).json()
        repos = requests.get(f"{sim.base_url}/v2/manage/repos", params={"namespace": hidden, "limit": 100,
                             "offset": 0}, headers=headers, timeout=5)
    assert hidden not in [ns["name"] for ns in plain]
    assert hidden in [ns["name"] for ns in visible["namespaces"]]
    assert repos.headers["Content-Range"] == "0-3/3"
    assert {item["namespace"] for item in repos.json()} == {hidden}


@pytest.mark.parametrize(("flags", "expected"), [
    ([], Behaviour()),
    (["--exact-namespace-filter", "--error-body", "object", "--access-domains-cap", "0",
      "--page-size-cap", "100"],
     Behaviour(fuzzy_namespace=False, error_body="object", access_domains_cap=None, page_size_cap=100)),
    (["--access-domains-cap", "20", "--page-size-cap", "0"], Behaviour(access_domains_cap=20)),
])
def test_console_flags_choose_the_behaviour(flags: list[str], expected: Behaviour) -> None:
    args = parse_args(["--organizations", "1", "--repositories", "1", *flags])
    assert build(args).behaviour == expected


@pytest.mark.parametrize("flags", [["--error-body", "xml"], ["--page-size-cap", "-1"],
                                   ["--access-domains-cap", "-5"]])
def test_console_refuses_impossible_behaviours(flags: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(flags)


def test_more_than_a_thousand_repositories_in_one_organization_page_correctly() -> None:
    ds = Dataset.generate(seed=1, organizations=1, repositories=1500)
    with Simulator(ds) as sim:
        headers = login(sim)
        pages = [requests.get(f"{sim.base_url}/v2/manage/repos?limit=1000&offset={offset}", headers=headers,
                              timeout=10) for offset in (0, 1000)]
    assert [p.headers["Content-Range"] for p in pages] == ["0-1000/1500", "1000-500/1500"]
    names = [item["name"] for page in pages for item in page.json()]
    assert names == [r.name for r in ds.repositories]


def test_evolution_grows_downloads_images_and_size_monotonically() -> None:
    ds = Dataset.generate(seed=4, organizations=3, repositories=80, start=START)
    times = [START + hours * 3600.0 for hours in (0, 1, 7, 30, 200, 2000)]
    for repo in ds.repositories:
        states = [repo_state(repo, START, t) for t in times]
        for before, after in itertools.pairwise(states):
            assert after.num_download >= before.num_download
            assert after.num_images >= before.num_images
            assert after.size >= before.size
            assert after.updated >= before.updated
        assert len(states[-1].tag_names(repo)) == states[-1].num_images
    final = [repo_state(r, START, times[-1]) for r in ds.repositories]
    assert any(s.num_download > r.num_download for s, r in zip(final, ds.repositories, strict=True))
    assert any(s.num_images > r.num_images for s, r in zip(final, ds.repositories, strict=True))


def test_evolving_simulator_answers_with_growing_downloads() -> None:
    ds = Dataset.empty(start=START)
    ds.add_organization("group")
    ds.add_repository("group", "app", num_download=10, download_rate=0.5, image_interval=3600.0,
                      image_size=1000)
    now = [START]
    with Simulator(ds, clock=lambda: now[0], evolve=True, max_skew=None) as sim:
        headers = login(sim)
        url = f"{sim.base_url}/v2/manage/namespaces/group/repos/app"
        first = requests.get(url, headers=headers, timeout=5).json()
        now[0] = START + 7200.0
        later = requests.get(url, headers=headers, timeout=5).json()
        tags = requests.get(url + "/tags", headers=headers, timeout=5).json()
    assert (first["num_download"], first["num_images"]) == (10, 1)
    assert (later["num_download"], later["num_images"]) == (3610, 3)
    assert later["size"] == first["size"] + 2000
    assert [t["Tag"] for t in tags] == ["latest", "build-1", "build-2"]


def test_a_still_simulator_ignores_the_clock() -> None:
    ds = Dataset.empty(start=START)
    ds.add_organization("group")
    ds.add_repository("group", "app", num_download=10, download_rate=5.0)
    with Simulator(ds, clock=lambda: START + 1e6, evolve=False) as sim:
        body = requests.get(f"{sim.base_url}/v2/manage/namespaces/group/repos/app", headers=login(sim),
                            timeout=5).json()
    assert body["num_download"] == 10


def test_edits_while_running_show_in_the_next_answer() -> None:
    ds = Dataset.empty()
    ds.add_organization("group")
    ds.add_repository("group", "app")
    with Simulator(ds) as sim:
        headers = login(sim)
        url = f"{sim.base_url}/v2/manage/repos?namespace=group"
        assert [i["name"] for i in requests.get(url, headers=headers, timeout=5).json()] == ["app"]
        ds.add_repository("group", "db")
        ds.update_repository("group", "app", num_download=99)
        items = requests.get(url, headers=headers, timeout=5).json()
        assert [(i["name"], i["num_download"]) for i in items] == [("app", 99), ("db", 0)]
        ds.delete_organization("group")
        assert requests.get(url, headers=headers, timeout=5).json() == []


def test_share_validity_follows_the_deadline_and_the_clock() -> None:
    ds = Dataset.empty(start=START)
    ds.add_organization("group")
    ds.add_repository("group", "app")
    ds.add_share("group", "app", "partner", deadline=START + 60.0)
    now = [START]
    with Simulator(ds, clock=lambda: now[0], max_skew=None) as sim:
        headers = login(sim)
        url = f"{sim.base_url}/v2/manage/namespaces/group/repositories/app/access-domains"
        before = requests.get(url, headers=headers, timeout=5).json()[0]["status"]
        now[0] = START + 61.0
        after = requests.get(url, headers=headers, timeout=5).json()[0]["status"]
    assert (before, after) == (True, False)


@pytest.mark.parametrize(("name", "valid"), [
    ("group", True), ("a", True), ("team-a.b_c", True), ("a__b", True), ("a___b", False), ("Group", False),
    ("1group", False), ("group-", False), ("a-.b", False), ("a._b", False), ("", False), ("a" * 65, False),
])
def test_organization_names_are_checked(name: str, valid: bool) -> None:
    assert valid_organization_name(name) is valid


def test_adding_invalid_or_duplicate_things_is_refused() -> None:
    ds = Dataset.empty()
    ds.add_organization("group")
    with pytest.raises(ValueError):
        ds.add_organization("group")
    with pytest.raises(ValueError):
        ds.add_organization("Bad_Name")
    with pytest.raises(ValueError):
        ds.add_repository("missing", "app")
    ds.add_repository("group", "app")
    with pytest.raises(ValueError):
        ds.add_repository("group", "app")


def test_account_repr_hides_the_secret_key_and_password() -> None:
    account = Account.generate()
    assert account.sk not in repr(account)
    assert account.password not in repr(account)
    assert re.fullmatch(r"[0-9a-f]{32}", account.project_id)


def test_console_script_prints_credentials_serves_and_stops_on_sigterm() -> None:
    command = [sys.executable, "-m", "exporter.simulator", "--port", "0", "--organizations", "2",
               "--repositories", "10", "--seed", "1", "--latency", "0.0", "--fault-rate", "0.0"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        assert process.stdout is not None
        printed = dict(process.stdout.readline().strip().split("=", 1) for _ in range(9))
        resp = requests.get(f"{printed['url']}/v2/manage/namespaces", timeout=5)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert resp.status_code == 401
    assert {"access_key", "secret_key", "project_id", "username", "password"} <= set(printed)


def test_the_command_line_sizes_the_enterprise_data():
    sim = build(parse_args(["--organizations", "1", "--repositories", "1", "--enterprise-instances", "2",
                            "--enterprise-repositories", "9"]))
    running = [i for i in sim.enterprise.instances if i.status == "Running"]
    assert len(running) == 2
    assert sum(len(i.repositories) for i in running) == 9
    assert {i.status for i in sim.enterprise.instances} == {"Running", "Unavailable", "Creating"}


def test_the_demo_account_is_shaped_like_a_real_one() -> None:
    from collections import Counter

    from exporter.simulator import demo_dataset

    dataset = demo_dataset(seed=2026, start=1.7e9)
    repos = dataset.repositories
    sizes = sorted(Counter(repo.namespace for repo in repos).values(), reverse=True)
    assert len(repos) == 150 and len(sizes) == 8
    # Organizations of very different sizes, none holding most of the account.
    assert sizes[0] < 0.4 * len(repos) and sizes[0] >= 10 * sizes[-1]
    images = sorted(repo.num_images for repo in repos)
    assert images[0] == 1 and images[-1] >= 100 and sum(n == 1 for n in images) >= 10
    assert images[len(images) // 2] <= 12  # most hold a handful
    assert 2 <= sum(repo.is_public for repo in repos) <= 6
    deadlines = [share.deadline for repo in repos for share in repo.shares]
    soon = [d for d in deadlines if d != "forever" and 0 < float(d) - dataset.start <= 7 * 86_400]
    expired = [d for d in deadlines if d != "forever" and float(d) <= dataset.start]
    assert len(soon) >= 2 and expired and "forever" in deadlines
    assert len(dataset.shared_with_me) == 5


def test_the_demo_account_is_the_same_for_the_same_seed() -> None:
    from exporter.simulator import demo_dataset

    def shape(seed: int) -> list[tuple]:
        return [(r.namespace, r.name, r.num_images, r.size, r.is_public, len(r.shares))
                for r in demo_dataset(seed=seed, start=1.7e9).repositories]

    assert shape(2026) == shape(2026)
    assert shape(2026) != shape(2027)


def test_the_console_serves_the_demo_account_when_asked() -> None:
    from collections import Counter

    dataset = build(parse_args(["--demo-data", "--repositories", "40", "--seed", "3"])).dataset
    assert len(dataset.repositories) == 40
    assert len(Counter(repo.namespace for repo in dataset.repositories)) == 8
    with pytest.raises(ValueError, match="at least 8 repositories"):
        build(parse_args(["--demo-data", "--repositories", "5"]))


@pytest.mark.parametrize("flags", [[], ["--request-log"], ["--request-log", "--log-level", "debug"]])
def test_console_script_logs_each_request_once_when_asked_and_never_otherwise(flags: list[str]) -> None:
    command = [sys.executable, "-m", "exporter.simulator", "--port", "0", "--organizations", "1",
               "--repositories", "2", *flags]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env) as process:
        assert process.stdout is not None
        url = process.stdout.readline().strip().split("=", 1)[1]
        for path in ("/v2/manage/namespaces", "/v2/manage/repos", "/nowhere"):
            requests.get(url + path, timeout=5)
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=10)
    requests_logged = [line for line in errors.splitlines() if "exporter.simulator.requests" in line]
    assert len(requests_logged) == (3 if flags else 0), errors
    assert not [line for line in errors.splitlines() if "HTTP/1.1" in line], errors
