"""Evaluate N assets against the whole AWS rule set, on the embedded default (SQLite file).

Assets are a realistic mix of the AWS types the rules cover (security groups, buckets, volumes,
instances, IAM users, RDS, KMS keys, trails, VPCs, ALBs + listeners, Lambda, ECS task definitions,
plus the account-wide settings items), about one in five misconfigured. Two figures:

* ``evaluate``: compile the rule set, index the items, run every applicable check (pure CPU);
* ``evaluate+record``: the same plus what a first evaluation stores — every result row, a
  ``Compliance Rule Evaluation Change`` event per result and an ASFF finding per failure.

    .venv/bin/python -m bench.compliance.evaluate                   # 100,000 assets
    .venv/bin/python -m bench.compliance.evaluate --assets 10000 --no-record
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from assetguard.compliance.context import EvaluationContext
from assetguard.compliance.evaluator import CompiledRuleSet, ComplianceEvaluator
from assetguard.compliance.rule import load_all_rules
from assetguard.core.settings import Settings
from assetguard.runtime.platform import Platform

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")


def _ci(rtype: str, rid: str, arn: str, region: str, configuration: dict[str, Any],
        supplementary: dict[str, Any] | None = None, tags: dict[str, str] | None = None) -> dict[str, Any]:
    return {"resourceType": rtype, "resourceId": rid, "arn": arn, "resourceName": rid, "awsRegion": region,
            "accountId": ACCOUNT, "tags": tags or {}, "configuration": configuration,
            "supplementaryConfiguration": supplementary or {}, "relationships": []}


def make_items(n: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [
        _ci("AWS::IAM::AccountPasswordPolicy", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:account-password-policy", "global",
            {"passwordPolicyPresent": True, "minimumPasswordLength": 8}),
        _ci("AWS::IAM::AccountSummary", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:account-summary", "global",
            {"summaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}}),
        _ci("AWS::S3::AccountPublicAccessBlock", ACCOUNT, f"arn:aws:s3::{ACCOUNT}:account-public-access-block",
            "global", {"blockPublicAcls": True, "ignorePublicAcls": True, "blockPublicPolicy": False,
                       "restrictPublicBuckets": True, "configured": True}),
    ]
    items += [_ci("AWS::EC2::EBSEncryptionByDefault", f"{ACCOUNT}-{r}", f"arn:aws:ec2:{r}:{ACCOUNT}:ebs/{r}", r,
                  {"ebsEncryptionByDefault": r == "us-east-1"}) for r in REGIONS]
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]})
    i = 0
    while len(items) < n:
        region = REGIONS[i % 2]
        bad = i % 5 == 0
        kind = i % 12
        tags = {} if bad else {"Owner": "team-a"}
        arn = f"arn:aws:bench:{region}:{ACCOUNT}:r/{i}"
        if kind in (0, 1, 2):
            cidr = "0.0.0.0/0" if bad else "10.0.0.0/8"
            items.append(_ci("AWS::EC2::SecurityGroup", f"sg-{i}", arn, region, {
                "groupName": "default" if kind == 2 else f"g{i}",
                "ipPermissions": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipv4Ranges": [{"cidrIp": cidr}],
                                   "ipRanges": [cidr], "ipv6Ranges": []},
                                  {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
                                   "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}], "ipRanges": ["0.0.0.0/0"]}],
                "ipPermissionsEgress": []}, tags=tags))
        elif kind == 3:
            items.append(_ci("AWS::S3::Bucket", f"b{i}", f"arn:aws:s3:::b{i}", region, {"name": f"b{i}"}, {
                "PublicAccessBlockConfiguration": None if bad else {"blockPublicAcls": True, "ignorePublicAcls": True,
                                                                    "blockPublicPolicy": True,
                                                                    "restrictPublicBuckets": True},
                "BucketPolicy": {"policyText": policy if bad else None},
                "AccessControlList": {"grantList": []},
                "ServerSideEncryptionConfiguration": None if bad else {"rules": [
                    {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
                "BucketVersioningConfiguration": {"status": "Enabled"},
                "BucketLoggingConfiguration": {"destinationBucketName": "logs"}}, tags=tags))
        elif kind in (4, 5):
            items.append(_ci("AWS::EC2::Volume", f"vol-{i}", arn, region, {
                "encrypted": not bad, "state": "in-use", "attachments": [{"instanceId": f"i-{i}"}]}, tags=tags))
        elif kind == 6:
            items.append(_ci("AWS::EC2::Instance", f"i-{i}", arn, region, {
                "metadataOptions": {"httpTokens": "optional" if bad else "required"},
                "publicIpAddress": "203.0.113.9" if bad else None}, tags=tags))
        elif kind == 7:
            items.append(_ci("AWS::IAM::User", f"u{i}", arn, "global", {
                "mfaDevices": [] if bad else [{"serialNumber": "s"}], "attachedManagedPolicies": [],
                "userPolicyList": [], "accessKeys": [{"accessKeyId": f"AK{i}", "status": "Active",
                                                     "createDate": "2020-01-01T00:00:00Z" if bad
                                                     else "2999-01-01T00:00:00Z"}]}))
        elif kind == 8:
            items.append(_ci("AWS::RDS::DBInstance", f"db{i}", arn, region, {
                "storageEncrypted": not bad, "publiclyAccessible": bad}, tags=tags))
        elif kind == 9:
            items.append(_ci("AWS::KMS::Key", f"k{i}", arn, region, {
                "keyManager": "CUSTOMER", "keyState": "Enabled", "keySpec": "SYMMETRIC_DEFAULT",
                "keyRotationEnabled": not bad}, tags=tags))
        elif kind == 10:
            items.append(_ci("AWS::ECS::TaskDefinition", f"td{i}:1", arn, region, {"status": "ACTIVE",
                             "containerDefinitions": [{"name": "app", "user": "root" if bad else "1000",
                                                       "privileged": bad, "readonlyRootFilesystem": not bad}]}))
        else:
            items.append(_ci("AWS::Lambda::Function", f"f{i}", arn, region, {"functionName": f"f{i}"},
                             {"Policy": policy.replace("s3:GetObject", "lambda:InvokeFunction") if bad else None},
                             tags=tags))
        i += 1
    return items[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--no-record", action="store_true", help="skip the evaluate+record phase")
    args = parser.parse_args()
    items = make_items(args.assets)
    aws_rules = [rid for rid, r in load_all_rules().items() if r.meta.provider == "aws"]
    start, cpu = time.perf_counter(), time.process_time()
    ruleset = CompiledRuleSet(aws_rules)
    evaluations = ruleset.evaluate(items, EvaluationContext(items))
    pure, pure_cpu = time.perf_counter() - start, time.process_time() - cpu
    counts = Counter(e.result.compliance_type for e in evaluations)
    print(f"compliance evaluation, {len(items)} assets x {len(aws_rules)} AWS rules")
    print(f"  evaluate: {pure:.1f} s wall, {pure_cpu:.1f} s CPU, {len(evaluations)} results ({len(evaluations) / pure:.0f} results/s) "
          f"{dict(counts)}")
    if args.no_record:
        return
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform.create(Settings(data_dir=Path(tmp), secret_key="bench-secret-key-0123456789"))  # type: ignore[arg-type]
        start, cpu = time.perf_counter(), time.process_time()
        report = ComplianceEvaluator(platform).evaluate(items, pack=None, rule_ids=aws_rules)
        full, full_cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"  evaluate+record (first run, embedded SQLite): {full:.1f} s wall, {full_cpu:.1f} s CPU, "
              f"{report.changes} change events, {report.findings_imported} findings")
        start, cpu = time.perf_counter(), time.process_time()
        again = ComplianceEvaluator(platform).evaluate(items, pack=None, rule_ids=aws_rules)
        steady, steady_cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"  evaluate+record (unchanged re-run): {steady:.1f} s wall, {steady_cpu:.1f} s CPU, "
              f"{again.changes} change events")
        print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        platform.close()


if __name__ == "__main__":
    main()
