from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assetguard.runtime.platform import Platform
from assetguard.vulns.database import AdvisoryDatabase

FIXTURES = Path(__file__).resolve().parents[2] / "src" / "assetguard" / "vulns" / "fixtures"


@pytest.fixture
def fixture_db(platform: Platform) -> AdvisoryDatabase:
    db = AdvisoryDatabase(platform)
    summary = db.import_source(FIXTURES)
    assert summary.errors == []
    return db


def host(arn: str, packages: list[dict[str, Any]], *, account: str = "123456789012") -> dict[str, Any]:
    return {"arn": arn, "resourceType": "AssetGuard::Host::Linux", "resourceId": arn.rsplit(":", 1)[-1],
            "resourceName": arn.rsplit(":", 1)[-1], "accountId": account, "awsRegion": "eu-west-1",
            "configuration": {"packages": packages}}


def deb(name: str, version: str, source: str | None = None, source_version: str | None = None,
        release: str = "12") -> dict[str, Any]:
    return {"name": name, "version": version, "ecosystem": f"Debian:{release}",
            "purl": f"pkg:deb/debian/{name}@{version}?distro=debian-{release}",
            "source": {"name": source, "version": source_version} if source else None,
            "location": "/var/lib/dpkg/status"}


def pypi(name: str, version: str) -> dict[str, Any]:
    return {"name": name, "version": version, "ecosystem": "PyPI", "purl": f"pkg:pypi/{name.lower()}@{version}",
            "source": None, "location": f"/usr/lib/python3/dist-packages/{name}-{version}.dist-info"}


@pytest.fixture
def cli_env(platform: Platform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Platform:
    """Point the CLI at the test database of ``platform`` (both backends)."""
    monkeypatch.setenv("ASSETGUARD_DATABASE_URL", platform.settings.resolved_database_url)
    monkeypatch.setenv("ASSETGUARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSETGUARD_SECRET_KEY", "test-secret-key-0123456789abcdef")
    monkeypatch.delenv("ASSETGUARD_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return platform
