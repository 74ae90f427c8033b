"""KISA Unix host rules against fixture root directories (a weak host and a hardened one)."""

from __future__ import annotations

import os

import pytest

from assetguard.compliance.context import EvaluationContext
from assetguard.compliance.hostfacts import gather_host_facts
from assetguard.compliance.packs import get_pack
from assetguard.compliance.rule import load_all_rules
from tests.compliance.hostroot import hardened, weak

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="fixture ownership checks need root (chown)")

RULES = load_all_rules()
EXPECTED_WEAK_FAILURES = {
    "linux-ssh-root-login-disabled": "PermitRootLogin is yes",
    "linux-password-complexity": "no pam_pwquality",
    "linux-account-lockout-threshold": "no pam_faillock",
    "linux-shadow-passwords": "bob",
    "linux-root-path": ".:/usr/bin",
    "linux-unowned-files": "/opt/app/data",
    "linux-shadow-file-permissions": "mode 0644",
    "linux-hosts-file-permissions": "mode 0666",
    "linux-suid-sgid-files": "/usr/bin/newgrp",
    "linux-world-writable-files": "/etc/cron.d/job",
    "linux-no-rhosts-hosts-equiv": "hosts.equiv",
    "linux-uid-zero-only-root": "toor",
    "linux-su-restricted": "pam_wheel",
    "linux-password-min-length": "5 < 8",
    "linux-password-max-age": "99999",
    "linux-password-min-age": "0",
    "linux-duplicate-uids": "0, 1000",
    "linux-session-timeout": "unset",
    "linux-umask": "002",
    "linux-empty-passwords": "bob",
}


def host_item(root):
    return {"resourceType": "AssetGuard::Host::Linux", "resourceId": "m1", "arn": "urn:assetguard:host:m1",
            "configuration": {"hostSecurity": gather_host_facts(root)}}


def evaluate(item):
    ctx = EvaluationContext([item])
    return {rid: RULES.get(rid).evaluate(item, ctx) for rid in get_pack("kisa-unix").rule_ids}


def test_weak_host_fails_each_kisa_check(tmp_path):
    results = evaluate(host_item(weak(tmp_path)))
    failures = {rid: r.annotation for rid, r in results.items() if r.compliance_type == "NON_COMPLIANT"}
    assert set(failures) == set(EXPECTED_WEAK_FAILURES), failures
    for rid, fragment in EXPECTED_WEAK_FAILURES.items():
        assert fragment in failures[rid], (rid, failures[rid])
    assert results["linux-inetd-conf-permissions"].compliance_type == "NOT_APPLICABLE"
    assert results["linux-passwd-file-permissions"].compliance_type == "COMPLIANT"


def test_hardened_host_passes(tmp_path):
    results = evaluate(host_item(hardened(tmp_path)))
    bad = {rid: (r.compliance_type, r.annotation) for rid, r in results.items()
           if r.compliance_type not in ("COMPLIANT", "NOT_APPLICABLE")}
    assert bad == {}


def test_facts_never_keep_password_hashes(tmp_path):
    facts = gather_host_facts(hardened(tmp_path))
    assert "$6$" not in repr(facts)
    assert facts["sshd"]["PasswordAuthentication"] == "no"  # read through Include


def test_missing_facts_are_insufficient_data():
    item = {"resourceType": "AssetGuard::Host::Linux", "resourceId": "m", "arn": "urn:x", "configuration": {}}
    results = evaluate(item)
    assert {r.compliance_type for r in results.values()} == {"INSUFFICIENT_DATA"}


def test_collected_from_root_is_read_when_facts_are_absent(tmp_path):
    root = weak(tmp_path)
    item = {"resourceType": "AssetGuard::Host::Linux", "resourceId": "m", "arn": "urn:x", "configuration": {},
            "supplementaryConfiguration": {"collectedFrom": str(root)}}
    assert evaluate(item)["linux-ssh-root-login-disabled"].compliance_type == "NON_COMPLIANT"


def test_at_least_15_linux_rules_with_kisa_mappings():
    linux = [r for _, r in RULES.items() if r.meta.provider == "linux"]
    assert len(linux) >= 15
    kisa = {k for r in linux for k in r.meta.kisa}
    assert {"U-01", "U-02", "U-03", "U-04", "U-05", "U-44"} <= kisa
