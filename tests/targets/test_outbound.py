"""The outbound guard: which addresses pass, one lookup per request, SNI and Host carry the name."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from assetguard.core.settings import Settings
from assetguard.events.tables import event_deliveries
from assetguard.runtime.platform import Platform
from assetguard.targets.http import HttpClient, HttpError
from assetguard.targets.outbound import OutboundGuard, OutboundRefused, embedded_ipv4

REFUSED = [
    # IPv4 special-purpose ranges
    ("0.0.0.0", "this network"), ("0.1.2.3", "this network"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("127.0.0.1", "loopback"), ("169.254.169.254", "link-local (AWS metadata)"),
    ("100.64.0.1", "shared address space"), ("100.100.100.200", "Alibaba Cloud metadata (shared space)"),
    ("100.127.255.254", "shared address space, last"),
    ("198.18.0.1", "benchmarking"), ("198.19.255.254", "benchmarking, last"),
    ("192.0.2.1", "TEST-NET-1"), ("198.51.100.1", "TEST-NET-2"), ("203.0.113.1", "TEST-NET-3"),
    ("224.0.0.1", "multicast"), ("233.252.0.1", "multicast (MCAST-TEST-NET)"), ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "broadcast"),
    # IPv6
    ("::", "unspecified"), ("::1", "loopback"), ("fe80::1", "link-local"), ("fc00::1", "unique local"),
    ("fd12:3456::1", "unique local"), ("fec0::1", "site-local"), ("ff02::1", "multicast"),
    ("ff0e::1", "global-scope multicast"), ("2001:db8::1", "documentation"), ("100::1", "discard-only"),
    ("::808:808", "IPv4-compatible (deprecated)"),
    # IPv4 carried in IPv6, judged by the IPv4 address
    ("::ffff:127.0.0.1", "mapped loopback"), ("::ffff:100.100.100.200", "mapped shared space"),
    ("::ffff:169.254.169.254", "mapped link-local"), ("::ffff:10.0.0.1", "mapped private"),
    ("2002:7f00:1::1", "6to4 of 127.0.0.1"), ("2002:a9fe:a9fe::", "6to4 of 169.254.169.254"),
    ("2002:6464:64c8::1", "6to4 of 100.100.100.200"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo, client 127.0.0.1"),
    ("2001:0:a00:1::f7f7:f7f7", "Teredo, server 10.0.0.1"),
    ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1"), ("64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254"),
    ("64:ff9b::6464:64c8", "NAT64 of 100.100.100.200"), ("64:ff9b::c612:1", "NAT64 of 198.18.0.1"),
    ("64:ff9b:1:7f00:0:100::", "local NAT64 /48 of 127.0.0.1"),
    ("64:ff9b:1::a00:1", "local NAT64 /96 of 10.0.0.1"),
]
ALLOWED = [
    ("8.8.8.8", "public v4"), ("1.1.1.1", "public v4"), ("93.184.215.14", "public v4"),
    ("100.63.255.255", "just below shared space"), ("100.128.0.0", "just above shared space"),
    ("198.17.255.255", "just below benchmarking"), ("198.20.0.0", "just above benchmarking"),
    ("223.255.255.254", "just below multicast"), ("1.0.0.0", "just above 0/8"),
    ("2606:4700:4700::1111", "public v6"), ("2001:4860:4860::8888", "public v6"), ("2a00:1450:4001::1", "public v6"),
    ("::ffff:8.8.8.8", "mapped public"), ("2002:808:808::1", "6to4 of public"),
    ("64:ff9b::808:808", "NAT64 of public"),
]


@pytest.mark.parametrize(("address", "why"), REFUSED, ids=[f"{a} {w}" for a, w in REFUSED])
def test_refused_addresses(address: str, why: str) -> None:
    reason = OutboundGuard().refusal(ipaddress.ip_address(address))
    assert reason is not None, f"{address} ({why}) must be refused"


@pytest.mark.parametrize(("address", "why"), ALLOWED, ids=[f"{a} {w}" for a, w in ALLOWED])
def test_global_unicast_addresses_pass(address: str, why: str) -> None:
    assert OutboundGuard().refusal(ipaddress.ip_address(address)) is None, why


def test_embedded_ipv4_extraction() -> None:
    v6 = ipaddress.IPv6Address
    assert embedded_ipv4(v6("::ffff:1.2.3.4")) == [ipaddress.IPv4Address("1.2.3.4")]
    assert embedded_ipv4(v6("2002:102:304::")) == [ipaddress.IPv4Address("1.2.3.4")]
    assert embedded_ipv4(v6("64:ff9b::102:304")) == [ipaddress.IPv4Address("1.2.3.4")]
    # RFC 6052 section 2.4 example: 192.0.2.33 under a /48 prefix is 2001:db8:122:c000:2:2100::
    # (the 64:ff9b:1::/48 layout is the same with that prefix).
    assert ipaddress.IPv4Address("192.0.2.33") in (embedded_ipv4(v6("64:ff9b:1:c000:2:2100::")) or [])
    # RFC 4380 section 4 example: server 65.54.227.120, client 192.0.2.45 (obfuscated 3fff:fdd2).
    assert embedded_ipv4(v6("2001:0:4136:e378:8000:63bf:3fff:fdd2")) == [
        ipaddress.IPv4Address("65.54.227.120"), ipaddress.IPv4Address("192.0.2.45")]
    assert embedded_ipv4(v6("2606:4700::1")) is None


def test_operator_allowed_ranges_are_the_only_exception() -> None:
    guard = OutboundGuard(["100.64.0.0/10", "fd00::/8"])
    assert guard.refusal(ipaddress.ip_address("100.100.100.200")) is None
    assert guard.refusal(ipaddress.ip_address("::ffff:100.100.100.200")) is None  # judged by the IPv4
    assert guard.refusal(ipaddress.ip_address("fd00::5")) is None
    assert guard.refusal(ipaddress.ip_address("10.0.0.1")) is not None
    assert guard.refusal(ipaddress.ip_address("127.0.0.1")) is not None


def test_a_name_with_one_bad_answer_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"mixed.test": ["8.8.8.8", "100.100.100.200"]}
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver(answers, []))
    with pytest.raises(OutboundRefused) as info:
        OutboundGuard().resolve("mixed.test", 80)
    assert info.value.address == ipaddress.ip_address("100.100.100.200")
    assert "100.64.0.0/10" in str(info.value)


def test_bad_allow_cidr_is_a_config_error() -> None:
    from assetguard.core.errors import ConfigError
    from assetguard.core.settings import load_settings

    with pytest.raises(ConfigError) as info:
        load_settings(None, outbound={"allow_cidrs": ["10.0.0.0/33"]})
    assert "10.0.0.0/33" in str(info.value) and "allow_cidrs" in str(info.value)


# ------------------------------------------------------------------ one lookup, pinned connection
REAL_GETADDRINFO = socket.getaddrinfo


def fake_resolver(answers: dict[str, list[str]], calls: list[str], *, rebind: bool = False) -> Any:
    """``getaddrinfo`` that answers the names in ``answers`` (with ``rebind``, one answer per call
    from the queue, the last one repeated) and passes anything else to the real resolver."""

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in answers:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        calls.append(name)
        queue = answers[name]
        chosen = [queue.pop(0) if len(queue) > 1 else queue[0]] if rebind else list(queue)
        out = []
        for address in chosen:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, int(port or 0), 0, 0) if family == socket.AF_INET6 else (address, int(port or 0))
            out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return out

    return getaddrinfo


class Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append({"host": self.headers.get("Host", ""), "local": self.connection.getsockname()[0],  # type: ignore[attr-defined]
                                 "sni": getattr(self.connection, "sni", "")})
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_a: Any) -> None:
        return


def serve(address: str, port: int = 0, tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((address, port), Recorder)
    server.daemon_threads = True
    server.seen = []  # type: ignore[attr-defined]
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def two_loopback_servers() -> Iterator[tuple[ThreadingHTTPServer, ThreadingHTTPServer]]:
    """The same port on 127.0.0.1 and 127.0.0.2 (both loopback on Linux)."""
    first = serve("127.0.0.1")
    port = first.server_address[1]
    try:
        second = serve("127.0.0.2", port)
    except OSError:
        first.shutdown()
        pytest.skip("cannot bind 127.0.0.2 on this machine")
    yield first, second
    for server in (first, second):
        server.shutdown()
        server.server_close()


def test_rebinding_resolver_is_asked_once_and_its_second_answer_never_used(
        monkeypatch: pytest.MonkeyPatch, two_loopback_servers: tuple[ThreadingHTTPServer, ThreadingHTTPServer]) -> None:
    allowed, internal = two_loopback_servers
    port = allowed.server_address[1]
    calls: list[str] = []
    # First answer: an allowed address; every later answer: one that is not allowed.
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver({"rebind.test": ["127.0.0.1", "127.0.0.2"]}, calls,
                                                             rebind=True))
    client = HttpClient(guard=OutboundGuard(["127.0.0.1/32"]))
    response = client.post(f"http://rebind.test:{port}/hook", json={"n": 1}, timeout=5)
    assert response.status_code == 204
    assert calls == ["rebind.test"]  # one lookup for the whole request
    assert allowed.seen == [{"host": f"rebind.test:{port}", "local": "127.0.0.1", "sni": ""}]  # type: ignore[attr-defined]
    with pytest.raises(OutboundRefused):
        client.post(f"http://rebind.test:{port}/hook", json={"n": 2}, timeout=5)  # now the name says 127.0.0.2
    client.close()
    assert internal.seen == []  # type: ignore[attr-defined]


def test_global_first_answer_then_loopback_never_reaches_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rebinding attack itself: a public answer passes the check, a later one would say 127.0.0.1."""
    local = serve("127.0.0.1")
    port = local.server_address[1]
    calls: list[str] = []
    resolver = fake_resolver({"rebind-public.test": ["93.184.215.14", "127.0.0.1"]}, calls, rebind=True)
    dialled: list[str] = []

    def no_internet(host: Any, p: Any, *args: Any, **kwargs: Any) -> Any:
        if str(host) == "93.184.215.14":
            dialled.append(str(host))  # the pinned connection; refuse it here so no packet leaves
            raise socket.gaierror(socket.EAI_NONAME, "test: no internet")
        return resolver(host, p, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_internet)
    try:
        with pytest.raises(HttpError):
            HttpClient(guard=OutboundGuard()).post(f"http://rebind-public.test:{port}/x", json={}, timeout=2)
    finally:
        local.shutdown()
        local.server_close()
    assert calls == ["rebind-public.test"] and dialled == ["93.184.215.14"]
    assert local.seen == []  # type: ignore[attr-defined]


def _ca_and_server_cert(tmp_path: Path, name: str) -> tuple[Path, Path, Path]:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "assetguard test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_path, cert_path, key_path = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_path, cert_path, key_path


def test_https_connects_to_the_vetted_address_with_the_name_as_sni_and_host(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca, cert, key = _ca_and_server_cert(tmp_path, "hooks.example.test")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)

    def remember_sni(sock: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, _ctx: ssl.SSLContext) -> None:
        sock.sni = server_name  # type: ignore[union-attr]

    tls.sni_callback = remember_sni  # type: ignore[assignment]
    server = serve("127.0.0.1", tls=tls)
    port = server.server_address[1]
    calls: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver({"hooks.example.test": ["127.0.0.1"]}, calls))
    client = HttpClient(guard=OutboundGuard(["127.0.0.0/8"]), ca_certs=str(ca))
    try:
        response = client.post(f"https://hooks.example.test:{port}/in", json={"a": 1}, timeout=5)
        # The certificate names hooks.example.test, not 127.0.0.1: a name mismatch must still fail.
        monkeypatch.setattr(socket, "getaddrinfo", fake_resolver({"other.example.test": ["127.0.0.1"]}, calls))
        with pytest.raises(HttpError):
            client.post(f"https://other.example.test:{port}/in", json={"a": 1}, timeout=5)
    finally:
        client.close()
        server.shutdown()
        server.server_close()
    assert response.status_code == 204
    assert server.seen[0] == {"host": f"hooks.example.test:{port}", "local": "127.0.0.1",  # type: ignore[attr-defined]
                              "sni": "hooks.example.test"}
    assert calls == ["hooks.example.test", "other.example.test"]


# ------------------------------------------------------------------ the delivery path
def test_webhook_to_cloud_metadata_in_shared_space_is_a_recorded_final_error(tmp_path: Path) -> None:
    from assetguard.auth.principal import SYSTEM
    from assetguard.events.rule_store import RuleStore
    from assetguard.events.rules import Rule
    from assetguard.events.worker import EventWorker

    settings = Settings(data_dir=tmp_path / ".ag", database_url=f"sqlite:///{tmp_path / 'ag.db'}",
                        secret_key="test-secret-key-0123456789abcdef")  # type: ignore[arg-type]
    platform = Platform.create(settings)
    try:
        rule = Rule.model_validate({"name": "r", "pattern": {"source": ["ssrf.test"]}, "targets": [
            {"id": "hook", "type": "webhook", "config": {"url": "http://100.100.100.200/latest/meta-data/"}}]})
        RuleStore(platform).put(rule, actor=SYSTEM)
        platform.bus.publish("ssrf.test", "Probe", {"n": 1})
        worker = EventWorker(platform, install_defaults=False)
        assert worker.drain(20)
        worker._finish()
        from assetguard.events.dlq import DeadLetters

        dead = DeadLetters(platform).list()
        with platform.db.connect() as conn:
            rows = conn.execute(select(event_deliveries.c.status, event_deliveries.c.attempts,
                                       event_deliveries.c.last_error_code, event_deliveries.c.last_error_message)
                                .where(event_deliveries.c.target_id == "hook")).all()
    finally:
        platform.close()
    assert len(rows) == 1 and [d["target_id"] for d in dead] == ["hook"]
    status, attempts, code, message = rows[0]
    assert (status, attempts, code) == ("FAILED", 1, "ForbiddenAddress")  # dead-lettered at once, no retry
    assert "100.100.100.200" in message and "100.64.0.0/10" in message


def test_ipv6_destination_is_pinned_too(monkeypatch: pytest.MonkeyPatch) -> None:
    class Server6(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    try:
        server = Server6(("::1", 0), Recorder)
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    server.daemon_threads = True
    server.seen = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    calls: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver({"v6.test": ["::1"]}, calls))
    try:
        response = HttpClient(guard=OutboundGuard(["::1/128"])).post(f"http://v6.test:{port}/x", json={}, timeout=5)
        with pytest.raises(OutboundRefused):
            HttpClient(guard=OutboundGuard()).post(f"http://v6.test:{port}/x", json={}, timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 204 and calls == ["v6.test", "v6.test"]
    assert server.seen == [{"host": f"v6.test:{port}", "local": "::1", "sni": ""}]  # type: ignore[attr-defined]
