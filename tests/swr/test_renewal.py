"""RenewingKeys: renewed before expiry with jitter, back-off when the issuer fails, a 401 forces a new
triple; and parse_credential against whatever an issuer may send."""

from __future__ import annotations

import contextlib
import string

from hypothesis import given
from hypothesis import strategies as st

from exporter.config.secret import Secret
from exporter.swr.renewal import RenewingKeys
from exporter.swr.temporary import CredentialError, Triple, parse_credential


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Issuer:
    name = "the test issuer"

    def __init__(self, clock: Clock, lifetime: float = 100.0) -> None:
        self.clock, self.lifetime = clock, lifetime
        self.calls = 0
        self.failing: Exception | None = None

    def fetch(self) -> Triple:
        self.calls += 1
        if self.failing is not None:
            raise self.failing
        return Triple(Secret(f"AK{self.calls}"), Secret("sk"), Secret("st"), self.clock.now + self.lifetime)


def test_a_triple_is_reused_until_its_renewal_point_between_60_and_75_percent() -> None:
    for draw, renew_after in ((0.0, 75.0), (1.0, 60.0)):
        clock = Clock()
        issuer = Issuer(clock)
        keys = RenewingKeys(issuer, clock, random=lambda d=draw: d)
        first = keys.current()
        clock.now += renew_after - 0.5
        assert keys.current() is first
        clock.now += 1.0
        assert keys.current() is not first
        assert issuer.calls == 2


def test_two_targets_started_together_renew_at_different_times() -> None:
    clock = Clock()
    a = RenewingKeys(Issuer(clock), clock, random=lambda: 0.1)
    b = RenewingKeys(Issuer(clock), clock, random=lambda: 0.9)
    a.current(), b.current()
    clock.now += 70.0
    renewed = [keys.current().access_key.reveal() for keys in (a, b)]
    assert renewed == ["AK1", "AK2"]  # b (drawn 0.9: renews after 61.5 s) renewed, a (73.5 s) not yet


def test_a_failing_issuer_keeps_the_valid_triple_then_fails_clearly_and_recovers() -> None:
    clock = Clock()
    issuer = Issuer(clock)
    keys = RenewingKeys(issuer, clock, random=lambda: 0.0)
    first = keys.current()
    issuer.failing = RuntimeError("IAM is down")
    clock.now += 80.0
    assert keys.current() is first  # renewal failed, the old triple is still valid
    clock.now += 15.0  # within the last 10 % of the lifetime: no longer used
    try:
        keys.current()
        raise AssertionError("expected a CredentialError")
    except CredentialError as error:
        assert "the test issuer: IAM is down; next attempt in" in str(error)
    calls = issuer.calls
    issuer.failing = None
    clock.now += 30.0  # the back-off never exceeds a quarter of the lifetime
    assert keys.current().access_key.reveal() != first.access_key.reveal()
    assert issuer.calls > calls


def test_no_request_reaches_a_failing_issuer_before_its_back_off_ends() -> None:
    clock = Clock()
    issuer = Issuer(clock)
    issuer.failing = RuntimeError("down")
    keys = RenewingKeys(issuer, clock, random=lambda: 1.0)
    for _ in range(5):
        with contextlib.suppress(CredentialError):
            keys.current()
    assert issuer.calls == 1


def test_a_401_forces_a_new_triple_once_and_holds_off_when_fresh_ones_are_refused_too() -> None:
    clock = Clock()
    issuer = Issuer(clock)
    keys = RenewingKeys(issuer, clock, random=lambda: 0.0)
    first = keys.current()
    assert keys.invalidate(first) is True
    second = keys.current()
    assert second is not first
    assert keys.invalidate(first) is True  # an old request's 401: the new triple is already there
    assert keys.invalidate(second) is False  # fresh and refused: not the triple's fault, wait
    assert issuer.calls == 2
    clock.now += 5.0
    assert keys.invalidate(keys.current()) is True
    keys.accepted(keys.current())
    assert keys.invalidate(keys.current()) is True  # accepted meanwhile: a later revocation is recovered


def test_issued_credentials_that_already_expired_count_as_a_failure() -> None:
    clock = Clock()
    keys = RenewingKeys(Issuer(clock, lifetime=-1.0), clock)
    try:
        keys.current()
        raise AssertionError("expected a CredentialError")
    except CredentialError as error:
        assert "already expired" in str(error)


def test_issuer_answers_in_every_spelling_the_sdk_reads() -> None:
    for body in ({"credential": {"access": "A", "secret": "S", "securitytoken": "T",
                                 "expires_at": "2030-01-01T00:00:00.000000Z"}},
                 {"credentials": {"accessKeyId": "A", "secretAccessKey": "S", "securityToken": "T",
                                  "expiration": "2030-01-01T00:00:00Z"}},
                 {"access_key_id": "A", "secret_access_key": "S", "security_token": "T",
                  "expires_at": "2030-01-01T00:00:00.000000Z"}):
        triple = parse_credential(body, "x")
        parts = (triple.access_key, triple.secret_key, triple.security_token)
        assert [part.reveal() for part in parts if part is not None] == ["A", "S", "T"]
        assert triple.expires_at == 1893456000.0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
hostile_text = st.text(alphabet=st.characters(), max_size=80) | st.sampled_from(
    ["", " ", "A\r\nX-Evil: 1", "é", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "x" * 70_000])


@given(st.one_of(json_values, st.fixed_dictionaries({"credential": st.fixed_dictionaries({
    "access": hostile_text, "secret": hostile_text, "securitytoken": hostile_text,
    "expires_at": hostile_text | json_values})})))
def test_any_issuer_answer_gives_a_usable_triple_or_a_credential_error(body: object) -> None:
    try:
        triple = parse_credential(body, "issuer")
    except CredentialError as error:
        assert "issuer" in str(error)
        return
    for part in (triple.access_key, triple.secret_key, triple.security_token):
        assert part is not None
        value = part.reveal()
        assert value and value.isascii() and value.isprintable() and value == value.strip()
        assert set(value) <= set(string.printable)
    assert triple.expires_at is not None and triple.expires_at == triple.expires_at
