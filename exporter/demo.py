"""``--demo``: the embedded simulator with sample data, and a configuration pointing at it.

The simulator's account is made up on the spot, so no real credentials are involved and none are kept.
Its data are shaped like a real account's (``simulator.demo_data``) and grow while it runs (downloads,
images), so graphs show motion. Its credentials are what a Huawei Cloud workload should hold: no key at
all, the temporary triples of the simulator's metadata service (``auth.type: metadata``, a node's
agency), which expire after ``DEMO_CREDENTIAL_LIFETIME`` and are renewed while it runs.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path

from exporter.config.loader import Config, parse_config
from exporter.simulator import Account, Simulator, demo_dataset
from exporter.simulator.enterprise_data import EnterpriseDataset

log = logging.getLogger(__name__)

DEMO_POLL_INTERVAL = "15s"
DEMO_CREDENTIAL_LIFETIME = 900.0  # seconds: renewed after 9 to 11 minutes, so a demo shows renewal


def demo_settings(base_url: str, account: Account) -> dict:
    return {
        "region": "cn-north-4",
        "endpoint": base_url,
        "iam_endpoint": base_url,
        "project_id": account.project_id,
        "auth": {"type": "metadata", "metadata_endpoint": base_url},
        "poll_interval": DEMO_POLL_INTERVAL,
        # The simulator is local: the rate limit that spares the real API would only delay the first poll.
        "rate_limit": 200,
        # The simulator does not mind the extra calls, and the sharing and tags panels then have data.
        "collectors": {"shares": True, "tags": True, "enterprise": True, "enterprise_jobs": True,
                       "enterprise_artifacts": True},
    }


@contextlib.contextmanager
def demo_config(seed: int = 2026, request_log: bool = False) -> Iterator[Config]:
    """``request_log``: the simulator logs each request it answers, once, at info level (whatever
    ``--log.level`` says: it was asked for by name)."""
    if request_log:
        logging.getLogger("exporter.simulator.requests").setLevel(logging.INFO)
    dataset = demo_dataset(seed, start=time.time())
    account = Account.generate()
    # One SWR Enterprise Edition instance beside the shared edition.
    enterprise = EnterpriseDataset.generate(seed=seed, instances=1, repositories=12, start=dataset.start,
                                            other_states=False)
    with Simulator(dataset=dataset, account=account, evolve=True, latency=0.005,
                   enterprise=enterprise, request_log=request_log,
                   credential_lifetime=DEMO_CREDENTIAL_LIFETIME) as simulator:
        log.info("demo: simulated SWR API at %s", simulator.base_url)
        yield parse_config(
            demo_settings(simulator.base_url, account),
            base_dir=Path.cwd(),
            environ={},
            hostname=lambda: "demo",
            source="--demo",
        )
