"""A faithful SWR management API simulator, for the demo mode, tests and benchmarks.

Huawei's own SDK works against it unchanged; see DESIGN.md section 6.
"""

from exporter.simulator.account import Account
from exporter.simulator.data import Dataset, Organization, Repository, Share, SharedRepository, Tag
from exporter.simulator.faults import FaultRule
from exporter.simulator.simulator import RequestRecord, Simulator

__all__ = [
    "Account",
    "Dataset",
    "FaultRule",
    "Organization",
    "Repository",
    "RequestRecord",
    "Share",
    "SharedRepository",
    "Simulator",
    "Tag",
]
