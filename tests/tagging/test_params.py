"""Parameter store semantics, local and SSM (moto)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import select

from assetguard.auth.principal import SYSTEM
from assetguard.core.errors import ConflictError, NotFoundError, ValidationError
from assetguard.runtime.platform import Platform
from assetguard.tagging.params import LocalParameterStore, SsmParameterStore
from assetguard.tagging.tables import parameter_versions


def test_versions_labels_and_selectors(platform: Platform) -> None:
    store = LocalParameterStore(platform)
    assert store.put("/assetguard/tags/default/Owner", "a", actor=SYSTEM) == 1
    with pytest.raises(ConflictError):
        store.put("/assetguard/tags/default/Owner", "b", actor=SYSTEM)
    assert store.put("/assetguard/tags/default/Owner", "b", overwrite=True, actor=SYSTEM) == 2
    assert store.get("/assetguard/tags/default/Owner").value == "b"
    assert store.get("/assetguard/tags/default/Owner:1").value == "a"
    store.label("/assetguard/tags/default/Owner", 1, ["stable"], actor=SYSTEM)
    assert store.get("/assetguard/tags/default/Owner:stable").value == "a"
    store.label("/assetguard/tags/default/Owner", 2, ["stable"], actor=SYSTEM)  # labels move
    assert store.get("/assetguard/tags/default/Owner:stable").version == 2
    assert [p.version for p in store.history("/assetguard/tags/default/Owner")] == [1, 2]
    with pytest.raises(NotFoundError):
        store.get("/nope")


def test_get_by_path_recursion(platform: Platform) -> None:
    store = LocalParameterStore(platform)
    for name in ("/t/default/Owner", "/t/default/Team", "/t/by-account/1/CostCenter", "/t2/x"):
        store.put(name, "v", actor=SYSTEM)
    assert [p.name for p in store.get_by_path("/t/default", recursive=False)] == ["/t/default/Owner",
                                                                                 "/t/default/Team"]
    assert [p.name for p in store.get_by_path("/t", recursive=False)] == []
    assert len(store.get_by_path("/t", recursive=True)) == 3


def test_secure_string_is_encrypted_at_rest(platform: Platform) -> None:
    store = LocalParameterStore(platform)
    store.put("/app/db-password", "hunter2-secret", "SecureString", actor=SYSTEM)
    with platform.db.connect() as conn:
        stored = conn.execute(select(parameter_versions.c.value)).scalar()
    assert stored != "hunter2-secret" and "hunter2" not in stored
    assert store.get("/app/db-password").value == "hunter2-secret"
    assert store.get("/app/db-password", decrypt=False).value == stored
    audit = platform.audit.query(action="params.put")[0]
    assert "hunter2" not in str(audit["after"])


@pytest.mark.parametrize(("name", "problem"), [
    ("no-slash/x", "must begin with '/'"), ("/aws/x", "aws"), ("/bad name", "a-zA-Z0-9"),
    ("/" + "/".join("abcdefghijklmnopq"), "15 hierarchy"),
])
def test_bad_names_are_rejected_and_nothing_is_stored(platform: Platform, name: str, problem: str) -> None:
    store = LocalParameterStore(platform)
    with pytest.raises(ValidationError, match=problem):
        store.put(name, "v", actor=SYSTEM)
    with platform.db.connect() as conn:
        assert conn.execute(select(parameter_versions)).first() is None


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[SsmParameterStore]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield SsmParameterStore(boto3.client("ssm", region_name="us-east-1"))


def test_ssm_backend_round_trip(ssm: SsmParameterStore) -> None:
    ssm.put("/assetguard/tags/default/Owner", "ops", actor=SYSTEM)
    ssm.put("/assetguard/tags/default/Owner", "sre", overwrite=True, actor=SYSTEM)
    ssm.put("/assetguard/tags/by-account/1/CostCenter", "7", actor=SYSTEM)
    ssm.put("/assetguard/secret", "s3cr3t", "SecureString", actor=SYSTEM)
    assert ssm.get("/assetguard/tags/default/Owner").value == "sre"
    assert ssm.get("/assetguard/secret").value == "s3cr3t"
    names = [p.name for p in ssm.get_by_path("/assetguard/tags", recursive=True)]
    assert names == ["/assetguard/tags/by-account/1/CostCenter", "/assetguard/tags/default/Owner"]
    assert [p.value for p in ssm.history("/assetguard/tags/default/Owner")] == ["ops", "sre"]
    with pytest.raises(ConflictError):
        ssm.put("/assetguard/tags/default/Owner", "x", actor=SYSTEM)
    ssm.delete("/assetguard/secret", actor=SYSTEM)
    with pytest.raises(NotFoundError):
        ssm.get("/assetguard/secret")


@pytest.mark.parametrize("shown", ["***", "**********"])
def test_a_masked_secure_string_is_refused_not_stored(platform: Platform, shown: str) -> None:
    """``params list`` shows a SecureString as ``***``; putting that back must not store it."""
    store = LocalParameterStore(platform)
    store.put("/assetguard/tags/default/Token", "real-secret", "SecureString", actor=SYSTEM)
    with pytest.raises(ValidationError, match="how a SecureString is shown"):
        store.put("/assetguard/tags/default/Token", shown, "SecureString", overwrite=True, actor=SYSTEM)
    assert store.get("/assetguard/tags/default/Token").value == "real-secret"
    assert store.put("/assetguard/tags/default/Stars", "***", "String", actor=SYSTEM) == 1  # a plain value may be
