"""Which CloudTrail calls create resources, and where each record names what it created.

One row per (eventSource, eventName). ``paths`` are dotted paths into the record (``[*]`` walks a
list; several alternatives are tried in order, since CloudTrail wraps some EC2 responses in
``<Action>Response``); ``arn`` turns the found value into an ARN unless it already is one.
``tagger`` names the tagging call that service needs (``tagging`` = Resource Groups Tagging API).

>>> spec = CREATE_CALLS[("s3.amazonaws.com", "CreateBucket")]
>>> spec.arn.format(partition="aws", region="us-east-1", account="1", value="logs")
'arn:aws:s3:::logs'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CreateSpec:
    paths: tuple[str, ...]
    arn: str  # format string with partition, region, account, value
    tagger: str = "tagging"
    resource_type: str = ""


def _ec2(kind: str, *paths: str, rtype: str) -> CreateSpec:
    return CreateSpec(paths, "arn:{partition}:ec2:{region}:{account}:" + kind + "/{value}", "tagging", rtype)


_RAW: dict[tuple[str, str], CreateSpec] = {
    # EC2 (RunInstances also yields its network interfaces and any block devices in the response)
    ("ec2.amazonaws.com", "RunInstances"): _ec2("instance", "responseElements.instancesSet.items[*].instanceId",
                                                rtype="AWS::EC2::Instance"),
    ("ec2.amazonaws.com", "CreateVolume"): _ec2("volume", "responseElements.volumeId", rtype="AWS::EC2::Volume"),
    ("ec2.amazonaws.com", "CreateSnapshot"): CreateSpec(("responseElements.snapshotId",),
                                                        "arn:{partition}:ec2:{region}::snapshot/{value}",
                                                        resource_type="AWS::EC2::Snapshot"),
    ("ec2.amazonaws.com", "CreateImage"): CreateSpec(("responseElements.imageId",),
                                                     "arn:{partition}:ec2:{region}::image/{value}",
                                                     resource_type="AWS::EC2::Image"),
    ("ec2.amazonaws.com", "CopyImage"): CreateSpec(("responseElements.imageId",),
                                                   "arn:{partition}:ec2:{region}::image/{value}",
                                                   resource_type="AWS::EC2::Image"),
    ("ec2.amazonaws.com", "CreateSecurityGroup"): _ec2("security-group", "responseElements.groupId",
                                                       rtype="AWS::EC2::SecurityGroup"),
    ("ec2.amazonaws.com", "CreateVpc"): _ec2("vpc", "responseElements.vpc.vpcId", rtype="AWS::EC2::VPC"),
    ("ec2.amazonaws.com", "CreateSubnet"): _ec2("subnet", "responseElements.subnet.subnetId",
                                                rtype="AWS::EC2::Subnet"),
    ("ec2.amazonaws.com", "CreateInternetGateway"): _ec2(
        "internet-gateway", "responseElements.internetGateway.internetGatewayId", rtype="AWS::EC2::InternetGateway"),
    ("ec2.amazonaws.com", "CreateNatGateway"): _ec2(
        "natgateway", "responseElements.CreateNatGatewayResponse.natGateway.natGatewayId",
        "responseElements.natGateway.natGatewayId", rtype="AWS::EC2::NatGateway"),
    ("ec2.amazonaws.com", "AllocateAddress"): _ec2("elastic-ip", "responseElements.allocationId",
                                                   rtype="AWS::EC2::EIP"),
    ("ec2.amazonaws.com", "CreateLaunchTemplate"): _ec2(
        "launch-template", "responseElements.CreateLaunchTemplateResponse.launchTemplate.launchTemplateId",
        "responseElements.launchTemplate.launchTemplateId", rtype="AWS::EC2::LaunchTemplate"),
    ("ec2.amazonaws.com", "CreateKeyPair"): _ec2("key-pair", "responseElements.keyPairId", rtype="AWS::EC2::KeyPair"),
    ("ec2.amazonaws.com", "CreateRouteTable"): _ec2("route-table", "responseElements.routeTable.routeTableId",
                                                    rtype="AWS::EC2::RouteTable"),
    ("ec2.amazonaws.com", "CreateNetworkAcl"): _ec2("network-acl", "responseElements.networkAcl.networkAclId",
                                                    rtype="AWS::EC2::NetworkAcl"),
    ("ec2.amazonaws.com", "CreateNetworkInterface"): _ec2(
        "network-interface", "responseElements.networkInterface.networkInterfaceId",
        rtype="AWS::EC2::NetworkInterface"),
    ("ec2.amazonaws.com", "CreateVpcEndpoint"): _ec2(
        "vpc-endpoint", "responseElements.CreateVpcEndpointResponse.vpcEndpoint.vpcEndpointId",
        "responseElements.vpcEndpoint.vpcEndpointId", rtype="AWS::EC2::VPCEndpoint"),
    ("ec2.amazonaws.com", "CreateDhcpOptions"): _ec2("dhcp-options", "responseElements.dhcpOptions.dhcpOptionsId",
                                                     rtype="AWS::EC2::DHCPOptions"),
    ("ec2.amazonaws.com", "CreateTransitGateway"): _ec2(
        "transit-gateway", "responseElements.CreateTransitGatewayResponse.transitGateway.transitGatewayId",
        "responseElements.transitGateway.transitGatewayId", rtype="AWS::EC2::TransitGateway"),
    # S3
    ("s3.amazonaws.com", "CreateBucket"): CreateSpec(("requestParameters.bucketName",), "arn:{partition}:s3:::{value}",
                                                     resource_type="AWS::S3::Bucket"),
    # RDS
    ("rds.amazonaws.com", "CreateDBInstance"): CreateSpec(("responseElements.dBInstanceArn",), "{value}",
                                                          resource_type="AWS::RDS::DBInstance"),
    ("rds.amazonaws.com", "CreateDBCluster"): CreateSpec(("responseElements.dBClusterArn",), "{value}",
                                                         resource_type="AWS::RDS::DBCluster"),
    ("rds.amazonaws.com", "CreateDBSnapshot"): CreateSpec(("responseElements.dBSnapshotArn",), "{value}",
                                                          resource_type="AWS::RDS::DBSnapshot"),
    ("rds.amazonaws.com", "CreateDBSubnetGroup"): CreateSpec(("responseElements.dBSubnetGroupArn",), "{value}",
                                                             resource_type="AWS::RDS::DBSubnetGroup"),
    # Lambda, DynamoDB
    ("lambda.amazonaws.com", "CreateFunction20150331"): CreateSpec(("responseElements.functionArn",), "{value}",
                                                                   resource_type="AWS::Lambda::Function"),
    ("dynamodb.amazonaws.com", "CreateTable"): CreateSpec(("responseElements.tableDescription.tableArn",), "{value}",
                                                          resource_type="AWS::DynamoDB::Table"),
    # ELBv2
    ("elasticloadbalancing.amazonaws.com", "CreateLoadBalancer"): CreateSpec(
        ("responseElements.loadBalancers[*].loadBalancerArn",), "{value}",
        resource_type="AWS::ElasticLoadBalancingV2::LoadBalancer"),
    ("elasticloadbalancing.amazonaws.com", "CreateTargetGroup"): CreateSpec(
        ("responseElements.targetGroups[*].targetGroupArn",), "{value}",
        resource_type="AWS::ElasticLoadBalancingV2::TargetGroup"),
    # ECS (its own tag call: lower-case key/value)
    ("ecs.amazonaws.com", "CreateCluster"): CreateSpec(("responseElements.cluster.clusterArn",), "{value}", "ecs",
                                                       "AWS::ECS::Cluster"),
    ("ecs.amazonaws.com", "CreateService"): CreateSpec(("responseElements.service.serviceArn",), "{value}", "ecs",
                                                       "AWS::ECS::Service"),
    ("ecs.amazonaws.com", "RegisterTaskDefinition"): CreateSpec(
        ("responseElements.taskDefinition.taskDefinitionArn",), "{value}", "ecs", "AWS::ECS::TaskDefinition"),
    # ECR, SNS, SQS, KMS
    ("ecr.amazonaws.com", "CreateRepository"): CreateSpec(("responseElements.repository.repositoryArn",), "{value}",
                                                          resource_type="AWS::ECR::Repository"),
    ("sns.amazonaws.com", "CreateTopic"): CreateSpec(("responseElements.topicArn",), "{value}",
                                                     resource_type="AWS::SNS::Topic"),
    ("sqs.amazonaws.com", "CreateQueue"): CreateSpec(("responseElements.queueUrl",), "sqs-url:{value}",
                                                     resource_type="AWS::SQS::Queue"),
    ("kms.amazonaws.com", "CreateKey"): CreateSpec(("responseElements.keyMetadata.arn",), "{value}",
                                                   resource_type="AWS::KMS::Key"),
    # IAM (global; its own tag calls)
    ("iam.amazonaws.com", "CreateUser"): CreateSpec(("responseElements.user.arn",), "{value}", "iam", "AWS::IAM::User"),
    ("iam.amazonaws.com", "CreateRole"): CreateSpec(("responseElements.role.arn",), "{value}", "iam", "AWS::IAM::Role"),
    ("iam.amazonaws.com", "CreatePolicy"): CreateSpec(("responseElements.policy.arn",), "{value}", "iam",
                                                      "AWS::IAM::Policy"),
    # CloudWatch Logs (tagged by group name)
    ("logs.amazonaws.com", "CreateLogGroup"): CreateSpec(
        ("requestParameters.logGroupName",), "arn:{partition}:logs:{region}:{account}:log-group:{value}", "logs",
        "AWS::Logs::LogGroup"),
    ("monitoring.amazonaws.com", "PutMetricAlarm"): CreateSpec(
        ("requestParameters.alarmName",), "arn:{partition}:cloudwatch:{region}:{account}:alarm:{value}",
        resource_type="AWS::CloudWatch::Alarm"),
    # EKS, Secrets Manager, Auto Scaling, ElastiCache, Step Functions
    ("eks.amazonaws.com", "CreateCluster"): CreateSpec(("responseElements.cluster.arn",), "{value}",
                                                       resource_type="AWS::EKS::Cluster"),
    ("eks.amazonaws.com", "CreateNodegroup"): CreateSpec(("responseElements.nodegroup.nodegroupArn",), "{value}",
                                                         resource_type="AWS::EKS::Nodegroup"),
    ("secretsmanager.amazonaws.com", "CreateSecret"): CreateSpec(("responseElements.aRN", "responseElements.arn"),
                                                                 "{value}", resource_type="AWS::SecretsManager::Secret"),
    ("autoscaling.amazonaws.com", "CreateAutoScalingGroup"): CreateSpec(
        ("requestParameters.autoScalingGroupName",),
        "arn:{partition}:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/{value}",
        "autoscaling", "AWS::AutoScaling::AutoScalingGroup"),
    ("elasticache.amazonaws.com", "CreateCacheCluster"): CreateSpec(
        ("responseElements.aRN", "responseElements.cacheCluster.aRN"), "{value}",
        resource_type="AWS::ElastiCache::CacheCluster"),
    ("elasticache.amazonaws.com", "CreateReplicationGroup"): CreateSpec(
        ("responseElements.aRN", "responseElements.replicationGroup.aRN"), "{value}",
        resource_type="AWS::ElastiCache::ReplicationGroup"),
    ("states.amazonaws.com", "CreateStateMachine"): CreateSpec(("responseElements.stateMachineArn",), "{value}",
                                                               resource_type="AWS::StepFunctions::StateMachine"),
    # Streams, storage, stacks and the rest
    ("kinesis.amazonaws.com", "CreateStream"): CreateSpec(
        ("requestParameters.streamName",), "arn:{partition}:kinesis:{region}:{account}:stream/{value}",
        resource_type="AWS::Kinesis::Stream"),
    ("firehose.amazonaws.com", "CreateDeliveryStream"): CreateSpec(
        ("responseElements.deliveryStreamARN",), "{value}", resource_type="AWS::KinesisFirehose::DeliveryStream"),
    ("cloudformation.amazonaws.com", "CreateStack"): CreateSpec(("responseElements.stackId",), "{value}",
                                                                resource_type="AWS::CloudFormation::Stack"),
    ("elasticfilesystem.amazonaws.com", "CreateFileSystem"): CreateSpec(
        ("responseElements.fileSystemArn",), "{value}", resource_type="AWS::EFS::FileSystem"),
    ("events.amazonaws.com", "CreateEventBus"): CreateSpec(("responseElements.eventBusArn",), "{value}",
                                                           resource_type="AWS::Events::EventBus"),
    ("codebuild.amazonaws.com", "CreateProject"): CreateSpec(("responseElements.project.arn",), "{value}",
                                                             resource_type="AWS::CodeBuild::Project"),
    ("acm.amazonaws.com", "RequestCertificate"): CreateSpec(("responseElements.certificateArn",), "{value}",
                                                            resource_type="AWS::CertificateManager::Certificate"),
    ("backup.amazonaws.com", "CreateBackupVault"): CreateSpec(("responseElements.backupVaultArn",), "{value}",
                                                              resource_type="AWS::Backup::BackupVault"),
    ("cognito-idp.amazonaws.com", "CreateUserPool"): CreateSpec(("responseElements.userPool.arn",), "{value}",
                                                                resource_type="AWS::Cognito::UserPool"),
    ("es.amazonaws.com", "CreateDomain"): CreateSpec(("responseElements.domainStatus.aRN",), "{value}",
                                                     resource_type="AWS::OpenSearchService::Domain"),
    ("redshift.amazonaws.com", "CreateCluster"): CreateSpec(
        ("requestParameters.clusterIdentifier",), "arn:{partition}:redshift:{region}:{account}:cluster:{value}",
        resource_type="AWS::Redshift::Cluster"),
    ("sagemaker.amazonaws.com", "CreateNotebookInstance"): CreateSpec(
        ("responseElements.notebookInstanceArn",), "{value}", resource_type="AWS::SageMaker::NotebookInstance"),
    ("apigateway.amazonaws.com", "CreateRestApi"): CreateSpec(
        ("responseElements.id",), "arn:{partition}:apigateway:{region}::/restapis/{value}",
        resource_type="AWS::ApiGateway::RestApi"),
    ("elasticmapreduce.amazonaws.com", "RunJobFlow"): CreateSpec(
        ("responseElements.clusterArn",), "{value}", resource_type="AWS::EMR::Cluster"),
}

CREATE_CALLS: dict[tuple[str, str], CreateSpec] = _RAW

# RunInstances also creates network interfaces (and, when the response lists them, volumes).
RUN_INSTANCES_EXTRA = (
    ("responseElements.instancesSet.items[*].networkInterfaceSet.items[*].networkInterfaceId",
     "arn:{partition}:ec2:{region}:{account}:network-interface/{value}", "AWS::EC2::NetworkInterface"),
    ("responseElements.instancesSet.items[*].blockDeviceMapping.items[*].ebs.volumeId",
     "arn:{partition}:ec2:{region}:{account}:volume/{value}", "AWS::EC2::Volume"),
)
