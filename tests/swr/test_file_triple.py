"""A temporary triple in files: re-read together on any change or a 401, a half rotation never signs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exporter.config.secret import Secret
from exporter.swr.auths import TripleAuth
from exporter.swr.sources.files import FileTriple
from exporter.swr.temporary import CredentialError

BASE = {"Content-Type": "application/json"}


def write(tmp: Path, ak: str, sk: str, token: str) -> None:
    for name, value in (("ak", ak), ("sk", sk), ("st", token)):
        staged = tmp / f".{name}.new"
        staged.write_text(value + "\n")
        os.replace(staged, tmp / name)  # atomic, as a Kubernetes secret swap is


def triple_of(tmp: Path, monotonic=lambda: 0.0) -> FileTriple:
    return FileTriple(tmp / "ak", tmp / "sk", tmp / "st", monotonic=monotonic)


def parts(files: FileTriple) -> tuple[str, str, str]:
    triple = files.current()
    assert triple.security_token is not None
    return triple.access_key.reveal(), triple.secret_key.reveal(), triple.security_token.reveal()


def test_all_three_files_are_read_again_when_any_of_them_changes(tmp_path: Path) -> None:
    write(tmp_path, "AK1", "SK1", "ST1")
    files = triple_of(tmp_path)
    assert parts(files) == ("AK1", "SK1", "ST1")
    write(tmp_path, "AK2", "SK2", "ST2")
    assert parts(files) == ("AK2", "SK2", "ST2")


def test_a_half_rotation_is_never_used_to_sign_and_is_taken_once_complete(tmp_path: Path) -> None:
    now = [0.0]
    write(tmp_path, "AK1", "SK1", "ST1")
    files = triple_of(tmp_path, monotonic=lambda: now[0])
    parts(files)
    for name, value in (("ak", "AK2"), ("sk", "SK2")):  # keys replaced, token not yet
        (tmp_path / name).write_text(value)
    assert parts(files) == ("AK1", "SK1", "ST1")
    now[0] += 5.0
    assert parts(files) == ("AK1", "SK1", "ST1")  # read again, still half: still the old triple
    (tmp_path / "st").write_text("ST2")
    assert parts(files) == ("AK2", "SK2", "ST2")


def test_a_token_changed_without_its_keys_is_a_half_rotation_too(tmp_path: Path) -> None:
    write(tmp_path, "AK1", "SK1", "ST1")
    files = triple_of(tmp_path)
    parts(files)
    (tmp_path / "st").write_text("ST2")
    assert parts(files) == ("AK1", "SK1", "ST1")


def test_a_401_rereads_the_files_even_when_their_stat_did_not_change(tmp_path: Path) -> None:
    write(tmp_path, "AK1", "SK1", "ST1")
    stats = {}

    def frozen_stat(path: Path) -> os.stat_result:
        return stats.setdefault(path, os.stat(path))

    files = FileTriple(tmp_path / "ak", tmp_path / "sk", tmp_path / "st", stat=frozen_stat)
    first = files.current()
    for name, value in (("ak", "AK2"), ("sk", "SK2"), ("st", "ST2")):
        (tmp_path / name).write_text(value)
    assert files.current() is first  # the stat looks the same
    assert files.invalidate(first) is True
    assert parts(files) == ("AK2", "SK2", "ST2")


def test_a_401_with_nothing_new_in_the_files_is_not_retried(tmp_path: Path) -> None:
    write(tmp_path, "AK1", "SK1", "ST1")
    files = triple_of(tmp_path)
    assert files.invalidate(files.current()) is False


def test_the_signer_sends_keys_and_token_of_one_and_the_same_triple(tmp_path: Path) -> None:
    write(tmp_path, "AK1", "SK1", "ST1")
    auth = TripleAuth(triple_of(tmp_path), clock=lambda: 1_700_000_000.0)
    headers = auth.headers("GET", "h", "/", "", None, BASE)
    assert headers["Authorization"].startswith("SDK-HMAC-SHA256 Access=AK1,")
    assert headers["X-Security-Token"] == "ST1"
    assert "x-security-token" in headers["Authorization"]
    assert auth.expires_at is None


def test_a_static_key_with_a_token_file_takes_each_new_token(tmp_path: Path) -> None:
    (tmp_path / "st").write_text("ST1")
    files = FileTriple(Secret("AK"), Secret("SK"), tmp_path / "st")
    files.current()
    os.replace(_staged(tmp_path, "ST2"), tmp_path / "st")
    assert files.current().security_token == Secret("ST2")


def test_missing_files_fail_with_the_file_named_and_no_content(tmp_path: Path) -> None:
    write(tmp_path, "AK1", "SECRETSK", "ST1")
    (tmp_path / "st").unlink()
    with pytest.raises(CredentialError, match=r"security token file .*st") as caught:
        triple_of(tmp_path).current()
    assert "SECRETSK" not in str(caught.value)


def _staged(tmp: Path, value: str) -> Path:
    staged = tmp / ".staged"
    staged.write_text(value)
    return staged


def test_a_401_while_the_files_are_gone_is_reported_as_the_401(tmp_path: Path, caplog) -> None:
    write(tmp_path, "AK1", "SK1", "ST1")
    auth = TripleAuth(triple_of(tmp_path), clock=lambda: 1_700_000_000.0)
    auth.headers("GET", "h", "/", "", None, BASE)
    (tmp_path / "ak").unlink()
    assert auth.on_unauthorized() is False
    assert "cannot get other credentials after a 401" in caplog.text
