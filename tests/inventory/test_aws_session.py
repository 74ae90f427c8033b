"""Pagination, retry configuration and error classification of the aws collector's plumbing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from assetguard.inventory.collectors.aws.session import error_code, optional, paginate, retry_config
from assetguard.inventory.collectors.aws.shape import camel, tag_dict


def test_paginate_follows_markers() -> None:
    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    when = datetime(2024, 1, 1, tzinfo=UTC)

    def user(n: int) -> dict[str, object]:
        return {"Path": "/", "UserName": f"u{n}", "UserId": f"AIDA{n:016d}", "Arn": f"arn:aws:iam::1:user/u{n}",
                "CreateDate": when}

    with Stubber(iam) as stub:
        stub.add_response("list_users", {"Users": [user(1), user(2)], "IsTruncated": True, "Marker": "m1"}, {})
        stub.add_response("list_users", {"Users": [user(3)], "IsTruncated": False}, {"Marker": "m1"})
        users = paginate(iam, "list_users", "Users")
        stub.assert_no_pending_responses()
    assert [u["UserName"] for u in users] == ["u1", "u2", "u3"]


def test_optional_maps_not_configured_to_none_and_raises_real_failures() -> None:
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(s3) as stub:
        stub.add_client_error("get_bucket_policy", "NoSuchBucketPolicy", http_status_code=404)
        stub.add_client_error("get_bucket_policy", "AccessDenied", http_status_code=403)
        assert optional(s3.get_bucket_policy, Bucket="b") is None
        with pytest.raises(ClientError) as err:
            optional(s3.get_bucket_policy, Bucket="b")
    assert error_code(err.value) == "AccessDenied"


def test_retry_config_is_adaptive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    assert retry_config().retries == {"mode": "adaptive", "max_attempts": 10}
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    assert retry_config().retries == {"mode": "adaptive", "max_attempts": 3}


def test_shape_helpers() -> None:
    assert camel({"DBInstanceIdentifier": "db", "Owner": {"ID": "x"}, "TrailARN": "a", "ResponseMetadata": {}}) == {
        "dBInstanceIdentifier": "db", "owner": {"id": "x"}, "trailARN": "a"}
    assert camel({"T": datetime(2024, 1, 1, tzinfo=UTC)}) == {"t": "2024-01-01T00:00:00Z"}
    assert tag_dict([{"Key": "a", "Value": "1"}, {"key": "b", "value": "2"}]) == {"a": "1", "b": "2"}


def test_profiles_from_aws_profile_and_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assetguard.core.errors import ProviderError
    from assetguard.inventory.collectors.aws.session import base_session

    creds = tmp_path / "credentials"
    creds.write_text("[audit]\naws_access_key_id = AKIAAUDIT\naws_secret_access_key = s1\n"
                     "[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = s2\n")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_PROFILE", "audit")
    assert base_session(None).get_credentials().access_key == "AKIAAUDIT"      # AWS_PROFILE
    assert base_session("other").get_credentials().access_key == "AKIAOTHER"   # settings.aws.profile
    with pytest.raises(ProviderError, match="nope"):
        base_session("nope")
