"""Service URLs are checked at load time: a wrong scheme or a missing host is one line naming the key."""

from __future__ import annotations

import pytest

from assetguard.core.errors import ConfigError
from assetguard.core.settings import load_settings
from assetguard.core.urls import check_bus_url, check_database_url, check_redis_url, mask_url


@pytest.mark.parametrize("url", ["nats://127.0.0.1:4222", "tls://nats.internal:4222",
                                 "nats://a:4222,nats://b:4222", "nats://user:pw@host"])
def test_bus_urls_accepted(url: str) -> None:
    assert check_bus_url(url) == url


@pytest.mark.parametrize(("url", "why"), [("nats//127.0.0.1:4222", "is not a URL"),
                                          ("http://127.0.0.1:4222", "has scheme 'http'"),
                                          ("nats://", "names no host"),
                                          ("nats://host:99999", "not a valid URL")])
def test_bus_urls_refused(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_bus_url(url)


def test_redis_and_database_urls() -> None:
    assert check_redis_url("redis://127.0.0.1:6379/0")
    assert check_redis_url("unix:///run/redis.sock")
    with pytest.raises(ValueError, match="has scheme 'http'"):
        check_redis_url("http://127.0.0.1:6379")
    assert check_database_url("postgresql://postgres@127.0.0.1:5432/test")
    assert check_database_url("postgresql:///ag?host=/run/postgresql")
    assert check_database_url("sqlite:////var/lib/assetguard/ag.db")
    with pytest.raises(ValueError, match="names no database"):
        check_database_url("postgresql://postgres@127.0.0.1:5432")
    with pytest.raises(ValueError, match="has scheme 'mysql'"):
        check_database_url("mysql://root@db/x")


def test_password_is_masked_in_messages() -> None:
    assert mask_url("postgresql://ag:s3cret@db:5432/ag") == "postgresql://ag:***@db:5432/ag"
    assert mask_url("nats://a:4222") == "nats://a:4222"
    with pytest.raises(ValueError) as info:
        check_database_url("postgresql://ag:s3cret@/ag")
    assert "s3cret" not in str(info.value)


def test_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSETGUARD_CONFIG", raising=False)
    monkeypatch.setenv("ASSETGUARD_BUS_URL", "nats//127.0.0.1:4222")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "ASSETGUARD_BUS_URL" in str(info.value) and "\n" not in str(info.value)
