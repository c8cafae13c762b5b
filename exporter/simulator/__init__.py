"""A faithful SWR management API simulator, for the demo mode, tests and benchmarks.

Huawei's own SDK works against it unchanged; see DESIGN.md section 6.
"""

from exporter.simulator.account import Account
from exporter.simulator.behaviour import Behaviour
from exporter.simulator.data import Dataset, Organization, Repository, Share, SharedRepository, Tag
from exporter.simulator.demo_data import demo_dataset
from exporter.simulator.faults import FaultRule, throttle_rule
from exporter.simulator.simulator import RequestRecord, Simulator

__all__ = [
    "Account",
    "Behaviour",
    "Dataset",
    "FaultRule",
    "Organization",
    "Repository",
    "RequestRecord",
    "Share",
    "SharedRepository",
    "Simulator",
    "Tag",
    "demo_dataset",
    "throttle_rule",
]
