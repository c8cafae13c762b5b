"""``swr-simulator`` / ``python -m exporter.simulator``: serve generated data until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from exporter.simulator.account import DEFAULT_REGION, Account
from exporter.simulator.behaviour import DOCUMENTED, ERROR_BODIES, Behaviour
from exporter.simulator.data import Dataset
from exporter.simulator.demo_data import demo_dataset
from exporter.simulator.enterprise_data import EnterpriseDataset
from exporter.simulator.faults import FaultRule
from exporter.simulator.simulator import Simulator

# Random faults share the --fault-rate equally; each is one a client must survive.
_RANDOM_FAULTS: tuple[dict[str, Any], ...] = (
    {"kind": "status", "status": 503},
    {"kind": "status", "status": 429, "retry_after": 1},
    {"kind": "reset"},
    {"kind": "truncated"},
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="swr-simulator", description="Simulated Huawei Cloud SWR API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--organizations", type=int, default=5)
    parser.add_argument("--repositories", type=int, default=200)
    parser.add_argument("--tags-per-repository", type=int, default=3)
    parser.add_argument("--shared-with-me", type=int, default=4)
    parser.add_argument("--enterprise-instances", type=int, default=3,
                        help="running SWR Enterprise Edition instances (one unavailable and one creating "
                             "come with them)")
    parser.add_argument("--enterprise-repositories", type=int, default=6,
                        help="Enterprise repositories over all running instances")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--demo-data", action="store_true",
                        help="serve the account swr-exporter --demo shows (uneven organizations, 1 to "
                             "hundreds of images per repository); --repositories and --seed still apply")
    parser.add_argument("--region", default=DEFAULT_REGION)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--fault-rate", type=float, default=0.0,
                        help="probability that a request meets a random fault (5xx, 429, reset, truncated)")
    parser.add_argument("--no-evolve", dest="evolve", action="store_false",
                        help="keep downloads and image counts still")
    parser.add_argument("--credential-lifetime", type=float, default=3600.0, metavar="SECONDS",
                        help="how long the temporary credentials of the simulated issuers (metadata service, "
                             "IAM, STS, pod identity) stay valid")
    parser.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"))
    parser.add_argument("--request-log", action="store_true",
                        help="log one line per request at info level (off: nothing per request)")
    documented = parser.add_argument_group("documented SWR behaviours (the defaults are Huawei's)")
    documented.add_argument("--exact-namespace-filter", dest="fuzzy_namespace", action="store_false",
                            help="match the repository list's namespace filter exactly, not as a substring")
    documented.add_argument("--error-body", choices=ERROR_BODIES, default=DOCUMENTED.error_body,
                            help="SWR's own errors as a bare array (documented) or as one object")
    documented.add_argument("--access-domains-cap", type=int, default=DOCUMENTED.access_domains_cap or 0,
                            metavar="N", help="answer at most N access-domains entries; 0: no cap")
    documented.add_argument("--page-size-cap", type=int, default=0, metavar="N",
                            help="answer at most N items per list page whatever the limit; 0: no cap")
    args = parser.parse_args(argv)
    if not 0.0 <= args.fault_rate <= 1.0:
        parser.error("--fault-rate must be between 0 and 1")
    if args.access_domains_cap < 0 or args.page_size_cap < 0:
        parser.error("--access-domains-cap and --page-size-cap must be 0 or more")
    return args


def behaviour(args: argparse.Namespace) -> Behaviour:
    return Behaviour(fuzzy_namespace=args.fuzzy_namespace, error_body=args.error_body,
                     access_domains_cap=args.access_domains_cap or None,
                     page_size_cap=args.page_size_cap or None)


def build(args: argparse.Namespace) -> Simulator:
    if args.demo_data:
        dataset = demo_dataset(seed=args.seed, repositories=args.repositories, start=time.time())
    else:
        dataset = Dataset.generate(seed=args.seed, organizations=args.organizations,
                                   repositories=args.repositories,
                                   tags_per_repository=args.tags_per_repository,
                                   shared_with_me=args.shared_with_me, start=time.time())
    enterprise = EnterpriseDataset.generate(seed=args.seed, instances=args.enterprise_instances,
                                            repositories=args.enterprise_repositories, start=dataset.start)
    simulator = Simulator(dataset, Account.generate(region=args.region), evolve=args.evolve,
                          latency=args.latency, behaviour=behaviour(args), enterprise=enterprise,
                          credential_lifetime=args.credential_lifetime, request_log=args.request_log)
    if args.fault_rate > 0:
        share = args.fault_rate / len(_RANDOM_FAULTS)
        for fault in _RANDOM_FAULTS:
            simulator.faults.add(FaultRule(probability=share, **fault))
    return simulator


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.request_log:  # asked for by name: shown whatever --log-level says
        logging.getLogger("exporter.simulator.requests").setLevel(logging.INFO)
    simulator = build(args)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    url = simulator.start(args.host, args.port)
    account = simulator.account
    # Throw-away credentials of this process only: a client needs them to talk to it.
    print(f"url={url}\nregion={account.region}\nproject_id={account.project_id}\n"
          f"access_key={account.ak}\nsecret_key={account.sk}\ndomain={account.domain_name}\n"
          f"domain_id={account.domain_id}\nusername={account.username}\npassword={account.password}\n"
          f"idp_id={simulator.issuers.idp_id}\nid_token={simulator.issuers.new_id_token()}\n"
          f"pod_identity_uri={url}/pod-identity/v1/credentials\npod_identity_token={simulator.issuers.pod_token}",
          flush=True)
    while not stop.wait(0.5):
        pass
    simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
