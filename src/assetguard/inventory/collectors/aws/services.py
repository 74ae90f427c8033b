"""RDS, ECS, ELBv2 (+ WAF association), Lambda, CloudTrail, KMS and ECR resources."""

from __future__ import annotations

import json
from typing import Any

from assetguard.inventory.collectors.aws.session import AwsContext, optional, paginate
from assetguard.inventory.collectors.aws.shape import camel, item, relation, tag_dict

PERMISSIONS = (
    "rds:DescribeDBInstances", "ecs:ListClusters", "ecs:DescribeClusters", "ecs:ListServices", "ecs:DescribeServices",
    "ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition", "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeLoadBalancerAttributes", "wafv2:GetWebACLForResource", "lambda:ListFunctions",
    "lambda:GetPolicy", "lambda:ListTags", "cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors", "kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus",
    "kms:ListResourceTags", "ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:ListTagsForResource",
)

TRAIL_STATUS_KEYS = frozenset({"isLogging", "latestDeliveryError", "latestNotificationError",
                               "latestCloudWatchLogsDeliveryError", "latestDigestDeliveryError", "startLoggingTime",
                               "stopLoggingTime"})


def rds_instances(ctx: AwsContext) -> list[dict[str, Any]]:
    out = []
    for raw in paginate(ctx.client("rds"), "describe_db_instances", "DBInstances"):
        tags = tag_dict(raw.get("TagList"))
        rels = [relation("AWS::EC2::SecurityGroup", g["VpcSecurityGroupId"], "Is associated with SecurityGroup")
                for g in raw.get("VpcSecurityGroups", [])]
        vpc = raw.get("DBSubnetGroup", {}).get("VpcId")
        if vpc:
            rels.append(relation("AWS::EC2::VPC", vpc, "Is contained in Vpc"))
        out.append(item(ctx, "AWS::RDS::DBInstance", raw.get("DbiResourceId") or raw["DBInstanceIdentifier"],
                        raw["DBInstanceArn"], name=raw["DBInstanceIdentifier"],
                        # LatestRestorableTime moves every few minutes: it is not configuration.
                        configuration=camel({k: v for k, v in raw.items() if k != "LatestRestorableTime"}), tags=tags,
                        relationships=rels, availability_zone=raw.get("AvailabilityZone"),
                        created=raw.get("InstanceCreateTime")))
    return out


def ecs_resources(ctx: AwsContext) -> list[dict[str, Any]]:
    ecs = ctx.client("ecs")
    out = []
    arns = paginate(ecs, "list_clusters", "clusterArns")
    for i in range(0, len(arns), 100):
        for raw in ecs.describe_clusters(clusters=arns[i:i + 100], include=["TAGS", "SETTINGS"])["clusters"]:
            tags = tag_dict(raw.get("tags"))
            out.append(item(ctx, "AWS::ECS::Cluster", raw["clusterName"], raw["clusterArn"], name=raw["clusterName"],
                            configuration=camel(raw), tags=tags))
            services = paginate(ecs, "list_services", "serviceArns", cluster=raw["clusterArn"])
            for j in range(0, len(services), 10):
                for svc in ecs.describe_services(cluster=raw["clusterArn"], services=services[j:j + 10],
                                                 include=["TAGS"])["services"]:
                    rels = [relation("AWS::ECS::Cluster", raw["clusterName"], "Is contained in Cluster")]
                    if svc.get("taskDefinition"):
                        rels.append(relation("AWS::ECS::TaskDefinition", svc["taskDefinition"].rsplit("/", 1)[-1],
                                             "Is associated with TaskDefinition"))
                    out.append(item(ctx, "AWS::ECS::Service", svc["serviceName"], svc["serviceArn"],
                                    name=svc["serviceName"], configuration=camel(svc), tags=tag_dict(svc.get("tags")),
                                    relationships=rels, created=svc.get("createdAt")))
    for arn in paginate(ecs, "list_task_definitions", "taskDefinitionArns", status="ACTIVE"):
        resp = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
        raw = resp["taskDefinition"]
        family_rev = f"{raw['family']}:{raw['revision']}"
        out.append(item(ctx, "AWS::ECS::TaskDefinition", family_rev, raw["taskDefinitionArn"], name=family_rev,
                        configuration=camel(raw), tags=tag_dict(resp.get("tags"))))
    return out


def load_balancers(ctx: AwsContext) -> list[dict[str, Any]]:
    elb = ctx.client("elbv2")
    waf = ctx.client("wafv2")
    out = []
    lbs = paginate(elb, "describe_load_balancers", "LoadBalancers")
    tags_by_arn: dict[str, dict[str, str]] = {}
    for i in range(0, len(lbs), 20):
        for desc in elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"] for lb in lbs[i:i + 20]])["TagDescriptions"]:
            tags_by_arn[desc["ResourceArn"]] = tag_dict(desc.get("Tags"))
    for raw in lbs:
        arn = raw["LoadBalancerArn"]
        attrs = elb.describe_load_balancer_attributes(LoadBalancerArn=arn).get("Attributes", [])
        acl = None
        if raw.get("Type") == "application":
            found = optional(waf.get_web_acl_for_resource, ResourceArn=arn)
            if found and found.get("WebACL"):
                acl = {"webACLArn": found["WebACL"].get("ARN"), "name": found["WebACL"].get("Name"),
                       "id": found["WebACL"].get("Id")}
        rels = [relation("AWS::EC2::SecurityGroup", g, "Is associated with SecurityGroup")
                for g in raw.get("SecurityGroups", [])]
        if raw.get("VpcId"):
            rels.append(relation("AWS::EC2::VPC", raw["VpcId"], "Is contained in Vpc"))
        rels += [relation("AWS::EC2::Subnet", z["SubnetId"], "Is contained in Subnet")
                 for z in raw.get("AvailabilityZones", []) if z.get("SubnetId")]
        out.append(item(ctx, "AWS::ElasticLoadBalancingV2::LoadBalancer", arn, arn, name=raw["LoadBalancerName"],
                        configuration=camel(raw), tags=tags_by_arn.get(arn, {}), relationships=rels,
                        supplementary={"LoadBalancerAttributes": camel(attrs), "WebACL": acl,
                                       "webAclAssociated": acl is not None},
                        created=raw.get("CreatedTime")))
        for listener in paginate(elb, "describe_listeners", "Listeners", LoadBalancerArn=arn):
            out.append(item(ctx, "AWS::ElasticLoadBalancingV2::Listener", listener["ListenerArn"],
                            listener["ListenerArn"], configuration=camel(listener),
                            relationships=[relation("AWS::ElasticLoadBalancingV2::LoadBalancer", arn,
                                                    "Is associated with LoadBalancer")]))
    return out


def lambda_functions(ctx: AwsContext) -> list[dict[str, Any]]:
    lam = ctx.client("lambda")
    out = []
    for raw in paginate(lam, "list_functions", "Functions"):
        policy = optional(lam.get_policy, FunctionName=raw["FunctionName"])
        tags = tag_dict((optional(lam.list_tags, Resource=raw["FunctionArn"]) or {}).get("Tags"))
        config = camel({k: v for k, v in raw.items() if k != "Environment"})
        # Environment values may hold secrets: record only the variable names.
        config["environment"] = {"variables": sorted((raw.get("Environment") or {}).get("Variables", {}))}
        rels = [relation("AWS::IAM::Role", raw.get("Role", "").rsplit("/", 1)[-1], "Is associated with Role")]
        rels += [relation("AWS::EC2::SecurityGroup", g, "Is associated with SecurityGroup")
                 for g in (raw.get("VpcConfig") or {}).get("SecurityGroupIds", [])]
        out.append(item(ctx, "AWS::Lambda::Function", raw["FunctionName"], raw["FunctionArn"], name=raw["FunctionName"],
                        configuration=config, tags=tags, relationships=rels,
                        supplementary={"Policy": policy.get("Policy") if policy else None}))
    return out


def trails(ctx: AwsContext) -> list[dict[str, Any]]:
    ct = ctx.client("cloudtrail")
    out = []
    for raw in ct.describe_trails(includeShadowTrails=False).get("trailList", []):
        # Delivery timestamps change on every delivery; keep what says whether logging works.
        status = {k: v for k, v in camel(ct.get_trail_status(Name=raw["TrailARN"])).items() if k in TRAIL_STATUS_KEYS}
        selectors = optional(ct.get_event_selectors, TrailName=raw["TrailARN"]) or {}
        selectors.pop("ResponseMetadata", None)
        selectors.pop("TrailARN", None)
        out.append(item(ctx, "AWS::CloudTrail::Trail", raw["Name"], raw["TrailARN"], name=raw["Name"],
                        region=raw.get("HomeRegion") or ctx.region, configuration=camel(raw),
                        supplementary={"TrailStatus": status, "EventSelectors": camel(selectors)},
                        relationships=[relation("AWS::S3::Bucket", raw.get("S3BucketName"), "Is associated with Bucket")]
                        if raw.get("S3BucketName") else []))
    return out


def kms_keys(ctx: AwsContext) -> list[dict[str, Any]]:
    kms = ctx.client("kms")
    out = []
    for key in paginate(kms, "list_keys", "Keys"):
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        config = camel(meta)
        customer = meta.get("KeyManager") == "CUSTOMER"
        rotation = None
        if customer and meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT" \
                and meta.get("KeyState") != "PendingDeletion":
            rotation = bool(kms.get_key_rotation_status(KeyId=key["KeyId"]).get("KeyRotationEnabled"))
        config["keyRotationEnabled"] = rotation
        tags = tag_dict(paginate(kms, "list_resource_tags", "Tags", KeyId=key["KeyId"])) if customer else {}
        out.append(item(ctx, "AWS::KMS::Key", meta["KeyId"], meta["Arn"], configuration=config, tags=tags,
                        created=meta.get("CreationDate")))
    return out


def ecr_repositories(ctx: AwsContext) -> list[dict[str, Any]]:
    ecr = ctx.client("ecr")
    out = []
    for raw in paginate(ecr, "describe_repositories", "repositories"):
        name = raw["repositoryName"]
        images = paginate(ecr, "describe_images", "imageDetails", repositoryName=name)
        tags = tag_dict(ecr.list_tags_for_resource(resourceArn=raw["repositoryArn"]).get("tags"))
        config = camel(raw)
        config["images"] = sorted(
            ({"imageDigest": i["imageDigest"], "imageTags": sorted(i.get("imageTags", [])),
              "imagePushedAt": camel(i.get("imagePushedAt")), "imageSizeInBytes": i.get("imageSizeInBytes"),
              "imageScanStatus": camel(i.get("imageScanStatus"))} for i in images),
            key=lambda i: json.dumps(i["imageDigest"]))
        out.append(item(ctx, "AWS::ECR::Repository", name, raw["repositoryArn"], name=name, configuration=config,
                        tags=tags, created=raw.get("createdAt")))
    return out
