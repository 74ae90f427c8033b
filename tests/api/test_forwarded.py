"""The client address behind trusted proxies (X-Forwarded-For), and the throttle keyed on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assetguard.api.app import create_app
from assetguard.api.forwarded import client_address, parse_address, parse_networks
from assetguard.core.errors import ConfigError
from assetguard.core.settings import Settings, load_settings
from assetguard.runtime.platform import Platform

TRUSTED = parse_networks(["10.0.0.0/8", "2001:db8:ffff::/48"])


@pytest.mark.parametrize(("peer", "xff", "expected"), [
    # no trusted proxy configured or an untrusted peer: XFF is ignored whatever it says
    ("198.51.100.1", ["203.0.113.7"], "198.51.100.1"),
    ("127.0.0.1", ["203.0.113.7"], "127.0.0.1"),
    # one trusted hop: the address it appended
    ("10.0.0.5", ["203.0.113.7"], "203.0.113.7"),
    # the client wrote its own XFF; the trusted proxy appended the real address: right-most untrusted wins
    ("10.0.0.5", ["1.1.1.1, 2.2.2.2, 203.0.113.7"], "203.0.113.7"),
    # two trusted hops are skipped (real_ip_recursive)
    ("10.0.0.5", ["1.1.1.1, 203.0.113.7, 10.9.9.9"], "203.0.113.7"),
    # several header lines count as one list, in order
    ("10.0.0.5", ["1.1.1.1", "203.0.113.7, 10.9.9.9"], "203.0.113.7"),
    # every hop trusted: the left-most
    ("10.0.0.5", ["10.1.1.1, 10.2.2.2"], "10.1.1.1"),
    # garbage from the hop: stop at the last trusted address that reported it
    ("10.0.0.5", ["203.0.113.7, not-an-ip"], "10.0.0.5"),
    ("10.0.0.5", ["203.0.113.7, not-an-ip, 10.2.2.2"], "10.2.2.2"),
    # ports and brackets, IPv6, IPv4-mapped IPv6
    ("10.0.0.5", ["203.0.113.7:4711"], "203.0.113.7"),
    ("10.0.0.5", ["[2001:db8::7]:443"], "2001:db8::7"),
    ("2001:db8:ffff::1", ["2001:db8::7"], "2001:db8::7"),
    ("::ffff:10.0.0.5", ["203.0.113.7"], "203.0.113.7"),
    # an empty header changes nothing
    ("10.0.0.5", [" , "], "10.0.0.5"),
])
def test_client_address(peer: str, xff: list[str], expected: str) -> None:
    assert client_address(peer, xff, TRUSTED) == expected


def test_no_trusted_proxies_means_the_peer() -> None:
    assert client_address("127.0.0.1", ["203.0.113.7"], ()) == "127.0.0.1"
    assert client_address(None, ["203.0.113.7"], TRUSTED) == "unknown"


def test_parse_address_and_networks() -> None:
    assert str(parse_address(" 192.0.2.1 ")) == "192.0.2.1"
    assert parse_address("unknown") is None
    assert parse_address("[::1") is None
    with pytest.raises(ValueError, match="'10.0.0.0/33' is not an IP address or CIDR"):
        parse_networks(["10.0.0.0/33"])


def test_trusted_proxies_setting_is_validated(tmp_path: Path) -> None:
    (tmp_path / "assetguard.yaml").write_text("api:\n  trusted_proxies: [10.0.0.0/8, nope]\n")
    with pytest.raises(ConfigError, match=r"assetguard\.yaml:2 .*'nope' is not an IP address or network"):
        load_settings(tmp_path / "assetguard.yaml")


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[Platform]:
    settings = Settings(data_dir=tmp_path / ".assetguard", database_url=f"sqlite:///{tmp_path / 'ag.db'}",
                        secret_key="test-secret-key-0123456789abcdef",  # type: ignore[arg-type]
                        api={"trusted_proxies": ["10.0.0.0/8"], "auth_failure_limit": 3})  # type: ignore[arg-type]
    platform = Platform.create(settings)
    yield platform
    platform.close()


def _codes(client: TestClient, xffs: list[str], token_id: str = "0badc0de") -> list[int]:
    return [client.get("/audit", headers={"Authorization": f"Bearer ag_{token_id}_wrong", "X-Forwarded-For": xff}
                       ).status_code for xff in xffs]


def test_spoofed_xff_from_an_untrusted_peer_does_not_dodge_the_throttle(proxied: Platform) -> None:
    # The peer is not a trusted proxy: a new X-Forwarded-For (and a new token id) per attempt changes nothing.
    with TestClient(create_app(platform=proxied), client=("198.51.100.1", 5000)) as client:
        codes = [_codes(client, [f"203.0.113.{i}"], f"{i:08x}")[0] for i in range(6)]
        assert codes == [401, 401, 401, 429, 429, 429]
        # nor does it set the scheme: no Secure cookie over plain http
        assert "secure" not in client.get("/login", headers={"X-Forwarded-Proto": "https"}
                                          ).headers["set-cookie"].lower()


def test_xff_from_a_trusted_proxy_names_the_client(proxied: Platform) -> None:
    with TestClient(create_app(platform=proxied), client=("10.0.0.5", 5000)) as client:
        # through the trusted proxy each forwarded address is its own client
        codes = [_codes(client, [f"1.1.1.1, 203.0.113.{i}"], f"{i:08x}")[0] for i in range(5)]
        assert codes == [401] * 5
        assert _codes(client, ["9.9.9.9, 203.0.113.50"] * 4, "aaaa0001") == [401, 401, 401, 429]
        # the client-written left part is not the client: 203.0.113.50 stays throttled with a fresh token id
        assert _codes(client, ["203.0.113.99, 203.0.113.50"], "aaaa0002") == [429]
        # ... and another client behind the same proxy is not
        assert _codes(client, ["203.0.113.51"], "aaaa0003") == [401]
        # X-Forwarded-Proto from the trusted proxy makes the login cookie Secure
        assert "secure" in client.get("/login", headers={"X-Forwarded-Proto": "https"}
                                      ).headers["set-cookie"].lower()
