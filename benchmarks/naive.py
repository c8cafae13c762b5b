"""Baseline (a): a naive exporter's poll, Huawei's SDK calling the brief-info endpoint once per
repository, one after the other, as registry exporters that fetch per repository do.

It discovers the repositories through the list endpoint (sequential pages), then fetches each one's
brief info until ``--budget`` seconds have passed. For large accounts it stops early; the benchmark
extrapolates from the calls it made and says so. Endpoint and credentials come from the environment
(SWR_BENCH_ENDPOINT, HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID), so they never
show in a process listing. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkswr.v2 import SwrClient
from huaweicloudsdkswr.v2.model import ListReposDetailsRequest, ShowRepositoryRequest

PAGE = 1000


def discover(client: SwrClient) -> list[tuple[str, str]]:
    repos: list[tuple[str, str]] = []
    while True:
        page = client.list_repos_details(ListReposDetailsRequest(limit=str(PAGE), offset=str(len(repos))))
        repos += [(item.namespace, item.name) for item in page.body or []]
        if len(page.body or []) < PAGE:
            return repos


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, required=True, help="seconds of brief-info calls at most")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    env = os.environ
    credentials = BasicCredentials(env["HUAWEICLOUD_SDK_AK"], env["HUAWEICLOUD_SDK_SK"],
                                   env["HUAWEICLOUD_SDK_PROJECT_ID"])
    client = SwrClient.new_builder().with_credentials(credentials).with_endpoint(
        env["SWR_BENCH_ENDPOINT"]).build()
    begin = time.perf_counter()
    repos = discover(client)
    discovered = time.perf_counter()
    done = 0
    for namespace, name in repos:
        if time.perf_counter() - discovered > args.budget:
            break
        client.show_repository(ShowRepositoryRequest(namespace=namespace, repository=name.replace("/", "$")))
        done += 1
    end = time.perf_counter()
    print(json.dumps({
        "repositories": len(repos),
        "discovery_calls": len(repos) // PAGE + 1,
        "discovery_s": discovered - begin,
        "briefs_done": done,
        "briefs_s": end - discovered,
        "peak_rss_mib": _peak_rss_mib(),
    }))


def _peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    main()
