"""Real-shaped CloudTrail records, one per supported create call, with the exact ARNs expected.

Shapes follow CloudTrail's documented record layout: EC2's XML-derived ``responseElements``
(``instancesSet.items``, ``CreateNatGatewayResponse``), JSON APIs with first-letter-lowercased
member names (``dBInstanceArn``, ``aRN``).
"""

from __future__ import annotations

import copy
from typing import Any

ACCOUNT = "123456789012"
REGION = "eu-west-1"
A = f"{REGION}:{ACCOUNT}"

IDENTITIES: dict[str, tuple[dict[str, Any], str]] = {
    "IAMUser": ({"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
                 "accountId": ACCOUNT, "userName": "alice"}, "alice"),
    "AssumedRole": ({"type": "AssumedRole", "principalId": "AROAEXAMPLE:bob@example.com",
                     "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/DevOps/bob@example.com", "accountId": ACCOUNT,
                     "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                                                          "arn": f"arn:aws:iam::{ACCOUNT}:role/DevOps",
                                                          "accountId": ACCOUNT, "userName": "DevOps"},
                                        "attributes": {"creationDate": "2026-11-29T08:00:00Z",
                                                       "mfaAuthenticated": "false"}}}, "DevOps/bob@example.com"),
    "FederatedUser": ({"type": "FederatedUser", "principalId": f"{ACCOUNT}:carol",
                       "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/carol", "accountId": ACCOUNT,
                       "sessionContext": {"sessionIssuer": {"type": "IAMUser", "userName": "broker",
                                                            "arn": f"arn:aws:iam::{ACCOUNT}:user/broker"}}},
                      "broker/carol"),
    "Root": ({"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root",
              "accountId": ACCOUNT}, "root"),
    "AWSService": ({"type": "AWSService", "invokedBy": "autoscaling.amazonaws.com"}, "autoscaling.amazonaws.com"),
    "IdentityCenterUser": ({"type": "IdentityCenterUser", "accountId": ACCOUNT,
                            "onBehalfOf": {"userId": "94482488-3041-7026-18f3-be45837cd0e4",
                                           "identityStoreArn": "arn:aws:identitystore::123456789012:identitystore/d-1"},
                            "credentialId": "EXAMPLE"},
                           "identitycenter/94482488-3041-7026-18f3-be45837cd0e4"),
}

# (eventSource, eventName, requestParameters, responseElements, expected ARNs)
CALLS: list[tuple[str, str, dict[str, Any], dict[str, Any], list[str]]] = [
    ("ec2.amazonaws.com", "RunInstances",
     {"instancesSet": {"items": [{"imageId": "ami-0abc", "minCount": 2, "maxCount": 2}]}, "instanceType": "t3.micro",
      "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [{"key": "Name", "value": "web"}]}]}},
     {"requestId": "r-1", "reservationId": "r-0aa", "ownerId": ACCOUNT, "instancesSet": {"items": [
         {"instanceId": "i-0aaa1111", "networkInterfaceSet": {"items": [{"networkInterfaceId": "eni-0aaa"}]},
          "blockDeviceMapping": {}},
         {"instanceId": "i-0bbb2222", "networkInterfaceSet": {"items": [{"networkInterfaceId": "eni-0bbb"}]}}]}},
     [f"arn:aws:ec2:{A}:instance/i-0aaa1111", f"arn:aws:ec2:{A}:instance/i-0bbb2222",
      f"arn:aws:ec2:{A}:network-interface/eni-0aaa", f"arn:aws:ec2:{A}:network-interface/eni-0bbb"]),
    ("ec2.amazonaws.com", "CreateVolume", {"size": 8, "zone": "eu-west-1a"},
     {"volumeId": "vol-0123", "size": "8", "status": "creating"}, [f"arn:aws:ec2:{A}:volume/vol-0123"]),
    ("ec2.amazonaws.com", "CreateSnapshot", {"volumeId": "vol-0123"}, {"snapshotId": "snap-0456"},
     [f"arn:aws:ec2:{REGION}::snapshot/snap-0456"]),
    ("ec2.amazonaws.com", "CreateImage", {"instanceId": "i-0aaa1111", "name": "golden"}, {"imageId": "ami-0789"},
     [f"arn:aws:ec2:{REGION}::image/ami-0789"]),
    ("ec2.amazonaws.com", "CreateSecurityGroup", {"groupName": "web", "groupDescription": "web"},
     {"_return": True, "groupId": "sg-0abc"}, [f"arn:aws:ec2:{A}:security-group/sg-0abc"]),
    ("ec2.amazonaws.com", "CreateVpc", {"cidrBlock": "10.0.0.0/16"}, {"vpc": {"vpcId": "vpc-0abc", "state": "pending"}},
     [f"arn:aws:ec2:{A}:vpc/vpc-0abc"]),
    ("ec2.amazonaws.com", "CreateSubnet", {"vpcId": "vpc-0abc", "cidrBlock": "10.0.1.0/24"},
     {"subnet": {"subnetId": "subnet-0abc"}}, [f"arn:aws:ec2:{A}:subnet/subnet-0abc"]),
    ("ec2.amazonaws.com", "CreateInternetGateway", {}, {"internetGateway": {"internetGatewayId": "igw-0abc"}},
     [f"arn:aws:ec2:{A}:internet-gateway/igw-0abc"]),
    ("ec2.amazonaws.com", "CreateNatGateway", {"CreateNatGatewayRequest": {"SubnetId": "subnet-0abc"}},
     {"CreateNatGatewayResponse": {"natGateway": {"natGatewayId": "nat-0abc", "state": "pending"}}},
     [f"arn:aws:ec2:{A}:natgateway/nat-0abc"]),
    ("ec2.amazonaws.com", "AllocateAddress", {"domain": "vpc"},
     {"publicIp": "203.0.113.7", "domain": "vpc", "allocationId": "eipalloc-0abc"},
     [f"arn:aws:ec2:{A}:elastic-ip/eipalloc-0abc"]),
    ("ec2.amazonaws.com", "CreateLaunchTemplate", {"CreateLaunchTemplateRequest": {"LaunchTemplateName": "lt"}},
     {"CreateLaunchTemplateResponse": {"launchTemplate": {"launchTemplateId": "lt-0abc"}}},
     [f"arn:aws:ec2:{A}:launch-template/lt-0abc"]),
    ("ec2.amazonaws.com", "CreateKeyPair", {"keyName": "deploy"}, {"keyName": "deploy", "keyPairId": "key-0abc"},
     [f"arn:aws:ec2:{A}:key-pair/key-0abc"]),
    ("ec2.amazonaws.com", "CreateRouteTable", {"vpcId": "vpc-0abc"}, {"routeTable": {"routeTableId": "rtb-0abc"}},
     [f"arn:aws:ec2:{A}:route-table/rtb-0abc"]),
    ("ec2.amazonaws.com", "CreateNetworkAcl", {"vpcId": "vpc-0abc"}, {"networkAcl": {"networkAclId": "acl-0abc"}},
     [f"arn:aws:ec2:{A}:network-acl/acl-0abc"]),
    ("ec2.amazonaws.com", "CreateNetworkInterface", {"subnetId": "subnet-0abc"},
     {"networkInterface": {"networkInterfaceId": "eni-0ccc"}}, [f"arn:aws:ec2:{A}:network-interface/eni-0ccc"]),
    ("ec2.amazonaws.com", "CreateVpcEndpoint", {"CreateVpcEndpointRequest": {"VpcId": "vpc-0abc"}},
     {"CreateVpcEndpointResponse": {"vpcEndpoint": {"vpcEndpointId": "vpce-0abc"}}},
     [f"arn:aws:ec2:{A}:vpc-endpoint/vpce-0abc"]),
    ("ec2.amazonaws.com", "CreateDhcpOptions", {}, {"dhcpOptions": {"dhcpOptionsId": "dopt-0abc"}},
     [f"arn:aws:ec2:{A}:dhcp-options/dopt-0abc"]),
    ("s3.amazonaws.com", "CreateBucket", {"bucketName": "acme-logs", "Host": "acme-logs.s3.amazonaws.com"}, {},
     ["arn:aws:s3:::acme-logs"]),
    ("rds.amazonaws.com", "CreateDBInstance", {"dBInstanceIdentifier": "orders", "engine": "postgres"},
     {"dBInstanceIdentifier": "orders", "dBInstanceArn": f"arn:aws:rds:{A}:db:orders"}, [f"arn:aws:rds:{A}:db:orders"]),
    ("rds.amazonaws.com", "CreateDBCluster", {"dBClusterIdentifier": "aurora"},
     {"dBClusterArn": f"arn:aws:rds:{A}:cluster:aurora"}, [f"arn:aws:rds:{A}:cluster:aurora"]),
    ("lambda.amazonaws.com", "CreateFunction20150331", {"functionName": "resize"},
     {"functionName": "resize", "functionArn": f"arn:aws:lambda:{A}:function:resize"},
     [f"arn:aws:lambda:{A}:function:resize"]),
    ("dynamodb.amazonaws.com", "CreateTable", {"tableName": "sessions"},
     {"tableDescription": {"tableName": "sessions", "tableArn": f"arn:aws:dynamodb:{A}:table/sessions"}},
     [f"arn:aws:dynamodb:{A}:table/sessions"]),
    ("elasticloadbalancing.amazonaws.com", "CreateLoadBalancer", {"name": "web-alb"},
     {"loadBalancers": [{"loadBalancerArn": f"arn:aws:elasticloadbalancing:{A}:loadbalancer/app/web-alb/50dc6c495c0c9188"}]},
     [f"arn:aws:elasticloadbalancing:{A}:loadbalancer/app/web-alb/50dc6c495c0c9188"]),
    ("elasticloadbalancing.amazonaws.com", "CreateTargetGroup", {"name": "web-tg"},
     {"targetGroups": [{"targetGroupArn": f"arn:aws:elasticloadbalancing:{A}:targetgroup/web-tg/73e2d6bc24d8a067"}]},
     [f"arn:aws:elasticloadbalancing:{A}:targetgroup/web-tg/73e2d6bc24d8a067"]),
    ("ecs.amazonaws.com", "CreateCluster", {"clusterName": "prod"},
     {"cluster": {"clusterArn": f"arn:aws:ecs:{A}:cluster/prod", "clusterName": "prod"}},
     [f"arn:aws:ecs:{A}:cluster/prod"]),
    ("ecs.amazonaws.com", "CreateService", {"serviceName": "api", "cluster": "prod"},
     {"service": {"serviceArn": f"arn:aws:ecs:{A}:service/prod/api"}}, [f"arn:aws:ecs:{A}:service/prod/api"]),
    ("ecs.amazonaws.com", "RegisterTaskDefinition", {"family": "api"},
     {"taskDefinition": {"taskDefinitionArn": f"arn:aws:ecs:{A}:task-definition/api:3"}},
     [f"arn:aws:ecs:{A}:task-definition/api:3"]),
    ("ecr.amazonaws.com", "CreateRepository", {"repositoryName": "api"},
     {"repository": {"repositoryArn": f"arn:aws:ecr:{A}:repository/api"}}, [f"arn:aws:ecr:{A}:repository/api"]),
    ("sns.amazonaws.com", "CreateTopic", {"name": "alerts"}, {"topicArn": f"arn:aws:sns:{A}:alerts"},
     [f"arn:aws:sns:{A}:alerts"]),
    ("sqs.amazonaws.com", "CreateQueue", {"queueName": "jobs"},
     {"queueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/jobs"}, [f"arn:aws:sqs:{A}:jobs"]),
    ("kms.amazonaws.com", "CreateKey", {"keyUsage": "ENCRYPT_DECRYPT"},
     {"keyMetadata": {"keyId": "1234abcd-12ab", "arn": f"arn:aws:kms:{A}:key/1234abcd-12ab"}},
     [f"arn:aws:kms:{A}:key/1234abcd-12ab"]),
    ("iam.amazonaws.com", "CreateUser", {"userName": "ci"},
     {"user": {"userName": "ci", "arn": f"arn:aws:iam::{ACCOUNT}:user/ci"}}, [f"arn:aws:iam::{ACCOUNT}:user/ci"]),
    ("iam.amazonaws.com", "CreateRole", {"roleName": "app"},
     {"role": {"roleName": "app", "arn": f"arn:aws:iam::{ACCOUNT}:role/app"}}, [f"arn:aws:iam::{ACCOUNT}:role/app"]),
    ("logs.amazonaws.com", "CreateLogGroup", {"logGroupName": "/ecs/api"}, {},
     [f"arn:aws:logs:{A}:log-group:/ecs/api"]),
    ("eks.amazonaws.com", "CreateCluster", {"name": "k8s"},
     {"cluster": {"name": "k8s", "arn": f"arn:aws:eks:{A}:cluster/k8s"}}, [f"arn:aws:eks:{A}:cluster/k8s"]),
    ("secretsmanager.amazonaws.com", "CreateSecret", {"name": "db-password"},
     {"aRN": f"arn:aws:secretsmanager:{A}:secret:db-password-AbCdEf", "name": "db-password"},
     [f"arn:aws:secretsmanager:{A}:secret:db-password-AbCdEf"]),
    ("autoscaling.amazonaws.com", "CreateAutoScalingGroup", {"autoScalingGroupName": "web-asg", "maxSize": 4}, None,
     [f"arn:aws:autoscaling:{A}:autoScalingGroup:*:autoScalingGroupName/web-asg"]),
    ("elasticache.amazonaws.com", "CreateCacheCluster", {"cacheClusterId": "cache"},
     {"cacheClusterId": "cache", "aRN": f"arn:aws:elasticache:{A}:cluster:cache"},
     [f"arn:aws:elasticache:{A}:cluster:cache"]),
    ("states.amazonaws.com", "CreateStateMachine", {"name": "etl"},
     {"stateMachineArn": f"arn:aws:states:{A}:stateMachine:etl"}, [f"arn:aws:states:{A}:stateMachine:etl"]),
    ("kinesis.amazonaws.com", "CreateStream", {"streamName": "clicks", "shardCount": 1}, None,
     [f"arn:aws:kinesis:{A}:stream/clicks"]),
    ("cloudformation.amazonaws.com", "CreateStack", {"stackName": "net"},
     {"stackId": f"arn:aws:cloudformation:{A}:stack/net/6c9e3f40-0000"}, [f"arn:aws:cloudformation:{A}:stack/net/6c9e3f40-0000"]),
    ("elasticfilesystem.amazonaws.com", "CreateFileSystem", {"creationToken": "x"},
     {"fileSystemId": "fs-0abc", "fileSystemArn": f"arn:aws:elasticfilesystem:{A}:file-system/fs-0abc"},
     [f"arn:aws:elasticfilesystem:{A}:file-system/fs-0abc"]),
    ("monitoring.amazonaws.com", "PutMetricAlarm", {"alarmName": "cpu-high"}, None,
     [f"arn:aws:cloudwatch:{A}:alarm:cpu-high"]),
    ("apigateway.amazonaws.com", "CreateRestApi", {"name": "pub"}, {"id": "a1b2c3", "name": "pub"},
     [f"arn:aws:apigateway:{REGION}::/restapis/a1b2c3"]),
    ("redshift.amazonaws.com", "CreateCluster", {"clusterIdentifier": "dw"}, {"clusterIdentifier": "dw"},
     [f"arn:aws:redshift:{A}:cluster:dw"]),
]


def record(source: str, name: str, req: dict[str, Any], resp: dict[str, Any] | None, *, identity: str = "IAMUser",
           event_id: str | None = None, **extra: Any) -> dict[str, Any]:
    ident = copy.deepcopy(IDENTITIES[identity][0])
    rec = {
        "eventVersion": "1.09", "userIdentity": ident, "eventTime": "2026-11-29T09:15:00Z",
        "eventSource": source, "eventName": name, "awsRegion": REGION, "sourceIPAddress": "198.51.100.10",
        "userAgent": "aws-cli/2.15.0", "requestParameters": copy.deepcopy(req),
        "responseElements": copy.deepcopy(resp), "requestID": "req-" + name,
        "eventID": event_id or f"evt-{name}-{identity}", "readOnly": False, "eventType": "AwsApiCall",
        "managementEvent": True, "recipientAccountId": ACCOUNT,
    }
    rec.update(extra)
    return rec


def corpus() -> list[tuple[dict[str, Any], list[str], str]]:
    """One record per call, identity types rotating: (record, expected ARNs, expected CreatedBy)."""
    kinds = list(IDENTITIES)
    out = []
    for i, (source, name, req, resp, arns) in enumerate(CALLS):
        kind = kinds[i % len(kinds)]
        out.append((record(source, name, req, resp, identity=kind), arns, IDENTITIES[kind][1]))
    return out
