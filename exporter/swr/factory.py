"""Builds a target's SWR client from its configuration: one transport for SWR and IAM, then credentials.

The order is the point: the transport exists before the credentials, so a password token source gets
its IAM caller at construction and nothing is bound after the fact.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from exporter.config.model import Target, TLSConfig
from exporter.swr.api import RequestObserver
from exporter.swr.client import SwrClient
from exporter.swr.iam import IamClient
from exporter.swr.sources.build import build_target_auth
from exporter.swr.transport import Transport


def build_client(target: Target, observer: RequestObserver,
                 clock: Callable[[], float] = time.time) -> SwrClient:
    """``clock``: the wall clock of the credentials (signature dates, token lifetimes)."""
    polling = target.polling
    transport = Transport(timeout=polling.request_timeout, retries=polling.retries,
                          max_concurrency=polling.max_concurrency, rate_limit=polling.rate_limit,
                          observer=observer, verify=_verify(polling.tls))
    iam = IamClient(transport, target.iam_endpoint)
    auth = build_target_auth(target, transport, iam, clock)
    return SwrClient(transport, endpoint=target.endpoint, auth=auth, project_id=target.project_id)


def _verify(tls: TLSConfig) -> bool | str:
    """requests' ``verify``: a CA bundle path, or whether to check certificates at all."""
    return str(tls.ca_file) if tls.ca_file else not tls.insecure_skip_verify
