"""The landing page's target summary: where each target is, how often it is polled, failing ones first."""

import re

from exporter.config.model import Polling
from exporter.polling.snapshot import CollectorStatus
from exporter.web.landing import TargetView, render
from tests.fakes.snapshots import snapshot
from tests.web.test_server import FakePoller, fake_target


def view(name: str, up: bool | None, project_id: str | None = "p" * 32, looked_up: str | None = None):
    statuses = (CollectorStatus("repositories", True, 0.5), CollectorStatus("quotas", bool(up), 0.5))
    snap = None if up is None else snapshot(collectors=statuses)
    target = fake_target(name, project_id)
    return TargetView.of(FakePoller(snapshot=snap, target=target, project_id=looked_up))


def page(*views: TargetView, demo: bool = False) -> str:
    return render("1.2.3", "/metrics", views, now=1.7e9, demo=demo).decode()


def summary_rows(text: str) -> list[list[str]]:
    table = re.search(r"<table class=targets>(.*?)</table>", text).group(1)
    rows = re.findall(r"<tr>(<td>.*?)</tr>", table)
    return [[re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td>(.*?)</td>", row)] for row in rows]


def test_each_target_shows_its_region_endpoint_project_and_poll_interval():
    target = fake_target("prod")
    target = type(target)(**{**vars(target), "polling": Polling(poll_interval=120)})
    text = page(TargetView.of(FakePoller(snapshot=snapshot(), target=target)))
    assert summary_rows(text) == [["prod", "up", "cn-north-4", "https://swr-api.cn-north-4.myhuaweicloud.com",
                                   "0123456789abcdef0123456789abcdef", "2m"]]


def test_a_project_not_configured_shows_the_looked_up_one_or_says_when_it_will_be_known():
    rows = summary_rows(page(view("a", True, project_id=None, looked_up="f" * 32),
                             view("b", True, project_id=None)))
    assert [row[4] for row in rows] == ["f" * 32, "looked up at the first poll"]


def test_failing_targets_come_first_then_those_in_their_first_poll_then_the_rest_in_config_order():
    text = page(view("ok-1", True), view("starting", None), view("bad-1", False), view("ok-2", True),
                view("bad-2", False))
    order = ["bad-1", "bad-2", "starting", "ok-1", "ok-2"]
    assert [row[0] for row in summary_rows(text)] == order
    assert re.findall(r"<h2 id='target-([\w-]+)'>", text) == order


def test_the_demo_says_so_and_a_real_run_does_not():
    assert "class=demo" in page(view("default", True), demo=True)
    assert "SWR Exporter (demo)" in page(view("default", True), demo=True)
    real = page(view("default", True))
    assert "class=demo" not in real and "(demo)" not in real and "--demo" not in real
