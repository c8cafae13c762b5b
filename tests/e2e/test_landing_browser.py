"""The landing page as a person sees it: rendered by headless Chromium (Debian's package), screenshot kept.

The exporter runs against the simulator with one collector failing, so the page has both outcomes to
show. Chromium renders the page; its DOM after rendering is checked, and a screenshot is written to
test-output/landing.png (and the pytest tmp dir) for a person to look at.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from exporter import __version__
from exporter.simulator import Account, Dataset, FaultRule, Simulator
from exporter.web.landing import DASHBOARDS
from tests.e2e.harness import config_for, exporter_settings, running_exporter

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
    "--disable-quic", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120,
    )


def dataset() -> Dataset:
    data = Dataset.empty()
    data.add_organization("platform")
    data.add_organization("data.science")
    for index in range(12):
        size = (index + 1) * 50_000_000
        data.add_repository("platform", f"service-{index:02d}", size=size, num_images=index)
    data.add_repository("data.science", "library/trainer", size=5_000_000_000, num_images=7, is_public=True)
    return data


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> tuple[str, Path]:
    tmp_path = tmp_path_factory.mktemp("landing")
    account = Account.generate()
    with Simulator(dataset=dataset(), account=account) as simulator:
        simulator.faults.add(FaultRule("status", operation="ListQuotas", status=500))
        with running_exporter(config_for(exporter_settings(simulator, account, retries=0))) as exporter:
            exporter.poll()
            url = f"http://127.0.0.1:{exporter.port}/"
            dom = chromium(tmp_path, "--dump-dom", url)
            assert dom.returncode == 0, dom.stderr
            screenshot = tmp_path / "landing.png"
            shot = chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={screenshot}", url)
            assert shot.returncode == 0, shot.stderr
    kept = ROOT / "test-output" / "landing.png"
    kept.parent.mkdir(exist_ok=True)
    shutil.copyfile(screenshot, kept)
    print(f"landing page screenshot: {screenshot} (copied to {kept})")
    return dom.stdout, screenshot


def text_of(dom: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom)))


def test_the_page_shows_version_target_and_each_collectors_result(landing):
    dom, _ = landing
    text = text_of(dom)
    assert f"Version {__version__}" in text
    assert "Target default" in text
    assert re.search(r"Last poll \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+s ago\)", text)
    rows = dict(re.findall(r"<tr><td>(\w+)</td><td><span class=\"?(ok|fail)\"?>", dom))
    assert rows == {"organizations": "ok", "repositories": "ok", "shared": "ok", "quotas": "fail",
                    "overview": "ok"}
    assert "ListQuotas" in text
    # The summary says where the target is and how often it is polled; it failed, so it is "failing".
    assert re.search(r"<td>cn-north-4</td><td>http://127\.0\.0\.1:\d+</td><td><code>[0-9a-f]{32}</code></td>"
                     r"<td>5m</td>", dom)
    assert "failing" in text and "Demo." not in text


def test_the_page_lists_the_largest_repositories_first(landing):
    dom, _ = landing
    top = re.search(r"<table class=\"?top\"?>(.*?)</table>", dom, re.S).group(1)
    names = re.findall(r"<tr><td>[^<]+</td><td>([^<]+)</td>", top)
    assert names[:3] == ["library/trainer", "service-11", "service-10"]
    assert len(names) == 10
    assert "4.7 GiB" in text_of(top)


def test_the_page_links_to_the_metrics_and_lists_the_dashboards(landing):
    dom, _ = landing
    assert re.search(r"<a href=\"/metrics\">Metrics</a>", dom)
    for dashboard in DASHBOARDS:
        assert dashboard.uid in dom and dashboard.file in dom


def test_chromium_renders_a_screenshot_of_the_page(landing):
    _, screenshot = landing
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1600)
