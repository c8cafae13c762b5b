"""The simulated account: AK/SK, project, domain and one IAM user, all throw-away random values."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

DEFAULT_REGION = "cn-north-4"


@dataclass(frozen=True)
class Account:
    ak: str
    sk: str = field(repr=False)
    project_id: str
    domain_name: str
    domain_id: str
    username: str
    password: str = field(repr=False)
    user_id: str
    region: str = DEFAULT_REGION

    @classmethod
    def generate(cls, region: str = DEFAULT_REGION) -> Account:
        return cls(
            ak=secrets.token_hex(10).upper(),
            sk=secrets.token_hex(20),
            project_id=secrets.token_hex(16),
            domain_name=f"sim-{secrets.token_hex(4)}",
            domain_id=secrets.token_hex(16),
            username=f"user-{secrets.token_hex(3)}",
            password=secrets.token_hex(12),
            user_id=secrets.token_hex(16),
            region=region,
        )
