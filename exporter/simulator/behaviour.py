"""Documented SWR behaviours the simulator can switch, so tests can show a client copes with each.

The defaults are what Huawei documents (swr-api.md section 12); the alternatives are what the
simulator did before, or what a client may meet elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ErrorBody = Literal["array", "object"]
ERROR_BODIES: tuple[ErrorBody, ...] = ("array", "object")


@dataclass(frozen=True)
class Behaviour:
    """``Simulator(..., behaviour=Behaviour(fuzzy_namespace=False, error_body="object"))``.

    * ``fuzzy_namespace``: ``GET /v2/manage/repos?namespace=X`` (or ``filter=namespace::X``) lists the
      repositories of every organization whose name contains X ("supports fuzzy match");
      False: only the organization named exactly X.
    * ``error_body``: errors SWR itself raises (400, 403, 404, 409, 5xx with ``SVCSTG.SWR.*`` codes) are
      a bare array ``[{"errorCode", "errorMessage", "detail"}]``, as SWR's error-code pages show them;
      "object": one object carrying both the ``error_code``/``error_msg`` keys and that array under
      ``errors``. API-gateway (``APIGW.*``) and IAM errors are objects either way.
    * ``access_domains_cap``: the access-domains list of a repository answers at most this many
      entries, without paging ("By default, 100 records will be returned"); None: all of them.
    * ``page_size_cap``: the offset-paged lists (repositories, shared repositories, tags) answer at most
      this many items per page whatever ``limit`` asks; totals still count everything, and offsets must
      still be a multiple of the limit sent. None: any limit up to 1000 is honoured.
    """

    fuzzy_namespace: bool = True
    error_body: ErrorBody = "array"
    access_domains_cap: int | None = 100
    page_size_cap: int | None = None

    def __post_init__(self) -> None:
        if self.error_body not in ERROR_BODIES:
            raise ValueError(f"error_body must be one of {', '.join(ERROR_BODIES)}, not {self.error_body!r}")
        for name in ("access_domains_cap", "page_size_cap"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer or None, not {value!r}")


# What Huawei documents: the simulator's default.
DOCUMENTED = Behaviour()
