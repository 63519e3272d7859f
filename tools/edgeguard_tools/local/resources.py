"""Create a template's stateful resources in moto and answer Ref/GetAtt for every resource.

Each supported type has a creator that turns the resolved CloudFormation properties
into the boto3 calls CloudFormation would make. Types that exist only as wiring
(functions, rules, subscriptions, permissions, roles) get deterministic physical
names without being created; anything else is listed in ``skipped`` with the reason.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edgeguard_tools.local.template import ACCOUNT_ID, REGION, Template, TemplateError

# Types that exist only as wiring: the local cloud delivers to/through them itself.
WIRING_TYPES = {
    "AWS::Serverless::Function": "runs in process (edgeguard_tools.local.handlers)",
    "AWS::Lambda::Function": "runs in process (edgeguard_tools.local.handlers)",
    "AWS::Events::Rule": "routed by the local cloud with EventBridge semantics",
    "AWS::Scheduler::Schedule": "fired by LocalCloud.tick",
    "AWS::SNS::Subscription": "delivered by the local cloud (sqs subscriptions: by moto)",
    "AWS::Lambda::EventSourceMapping": "polled by the local cloud",
    "AWS::SecretsManager::RotationSchedule": "driven by LocalCloud.rotate_secret",
    "AWS::Lambda::EventInvokeConfig": "async retries and destinations applied in process",
}
# The protected edge's network and compute: locally the origin stand-in (127.0.0.1, deciding
# with the live REGIONAL web ACL) plays the ALB with its listener, targets and Fargate tasks;
# security groups, the VPC and the prefix list lookup only restrict who may connect.
STAND_IN_TYPES = {
    "AWS::EC2::VPC": "network of the origin: the stand-in listens on 127.0.0.1",
    "AWS::EC2::InternetGateway": "network of the origin",
    "AWS::EC2::VPCGatewayAttachment": "network of the origin",
    "AWS::EC2::Subnet": "network of the origin",
    "AWS::EC2::RouteTable": "network of the origin",
    "AWS::EC2::Route": "network of the origin",
    "AWS::EC2::SubnetRouteTableAssociation": "network of the origin",
    "AWS::EC2::SecurityGroup": "who may connect to the origin: not enforced on 127.0.0.1",
    "AWS::EC2::SecurityGroupEgress": "who may connect to the origin: not enforced on 127.0.0.1",
    "AWS::EC2::SecurityGroupIngress": "who may connect to the origin: not enforced on 127.0.0.1",
    "Custom::ManagedPrefixList": "feeds only the ALB security group",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "played by the origin stand-in",
    "AWS::ElasticLoadBalancingV2::Listener": "played by the origin stand-in",
    "AWS::ElasticLoadBalancingV2::ListenerRule": "played by the origin stand-in",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "played by the origin stand-in",
    "AWS::ECS::Cluster": "the application behind the origin stand-in",
    "AWS::ECS::TaskDefinition": "the application behind the origin stand-in",
    "AWS::ECS::Service": "the application behind the origin stand-in",
    "AWS::WAFv2::WebACLAssociation": "the stand-in always applies OriginWebAcl",
    "AWS::WAFv2::LoggingConfiguration": "WAF does not log locally",
}
# Types with nothing to emulate locally (permissions are not enforced by moto).
INERT_TYPES = {
    "AWS::Serverless::LayerVersion",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Permission",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::S3::BucketPolicy",
    "AWS::CloudWatch::Dashboard",
}


@dataclass
class Physical:
    """What CloudFormation would answer for a resource: Ref and GetAtt attributes."""

    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)
    created: bool = False


ClientFactory = Callable[[str], Any]


def _arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


def function_name(template: Template, logical_id: str, props: dict[str, Any]) -> str:
    return str(props.get("FunctionName") or f"{template.stack_name}-{logical_id}")


def virtual_physical(
    template: Template, logical_id: str, kind: str, props: dict[str, Any]
) -> Physical:
    """Deterministic names for resources that are not created in moto."""
    name = f"{template.stack_name}-{logical_id}"
    if kind in {"AWS::Serverless::Function", "AWS::Lambda::Function"}:
        fn = function_name(template, logical_id, props)
        arn = _arn("lambda", f"function:{fn}")
        return Physical(fn, {"Arn": arn})
    if kind == "AWS::Events::Rule":
        rule = str(props.get("Name") or name)
        return Physical(rule, {"Arn": _arn("events", f"rule/{rule}")})
    if kind in {"AWS::IAM::Role", "AWS::IAM::ManagedPolicy"}:
        role = str(props.get("RoleName") or name)
        return Physical(role, {"Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{role}", "RoleId": role})
    if kind in {"AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"}:
        layer = str(props.get("LayerName") or name)
        return Physical(_arn("lambda", f"layer:{layer}:1"))
    if kind == "AWS::Logs::LogGroup":
        group = str(props.get("LogGroupName") or name)
        return Physical(group, {"Arn": _arn("logs", f"log-group:{group}:*")})
    if kind == "AWS::SecurityHub::ActionTarget":
        target = str(props.get("Id") or logical_id)
        return Physical(_arn("securityhub", f"action/custom/{target}"))
    if kind == "AWS::SecurityHub::Hub":
        return Physical(
            _arn("securityhub", "hub/default"), {"ARN": _arn("securityhub", "hub/default")}
        )
    if kind == "AWS::ElasticLoadBalancingV2::LoadBalancer":
        # Not created: locally the origin stand-in is the load balancer. Names only, in
        # AWS's forms, so the distribution's origin and outputs resolve.
        lb = str(props.get("Name") or logical_id)[:32]
        full = f"app/{lb}/0123456789abcdef"
        return Physical(
            _arn("elasticloadbalancing", f"loadbalancer/{full}"),
            {
                "DNSName": f"{lb}-1234567890.{REGION}.elb.amazonaws.com",
                "LoadBalancerFullName": full,
                "LoadBalancerName": lb,
                "CanonicalHostedZoneID": "Z35SXDOTRQ7X7K",
            },
        )
    return Physical(name, {"Arn": _arn("local", name)})


def virtual_attribute(logical_id: str, name: str) -> str:
    """A stable stand-in for an attribute of a resource that is not emulated."""
    slug = logical_id.lower()
    if name.endswith("Arn") or name == "Arn":
        return _arn("local", f"{slug}/{name.lower()}")
    if name.endswith(("DNSName", "DomainName")):
        return f"{slug}.local.{REGION}.amazonaws.com"
    return f"{slug}-{name.lower()}-local"


# ------------------------------------------------------------------ creators
def _kms_key(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    kms = clients("kms")
    args: dict[str, Any] = {"Description": props.get("Description", "")}
    if props.get("KeyPolicy"):
        args["Policy"] = json.dumps(props["KeyPolicy"])
    for key in ("KeyUsage", "KeySpec"):
        if key in props:
            args[key] = props[key]
    meta = kms.create_key(**args)["KeyMetadata"]
    if props.get("EnableKeyRotation"):
        kms.enable_key_rotation(KeyId=meta["KeyId"])
    return Physical(meta["KeyId"], {"Arn": meta["Arn"], "KeyId": meta["KeyId"]}, True)


def _kms_alias(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    clients("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
    return Physical(props["AliasName"], {}, True)


def _topic(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    attributes = {
        key: str(props[key])
        for key in ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication")
        if key in props
    }
    topic = str(props.get("TopicName") or name)
    arn = clients("sns").create_topic(Name=topic, Attributes=attributes)["TopicArn"]
    return Physical(arn, {"TopicArn": arn, "TopicName": topic}, True)


_QUEUE_ATTRIBUTES = (
    "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled",
    "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
)  # fmt: skip


def _queue(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    attributes = {}
    for key in _QUEUE_ATTRIBUTES:
        if key in props:
            value = props[key]
            attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
    for key in ("RedrivePolicy", "RedriveAllowPolicy"):
        if key in props:
            value = props[key]
            attributes[key] = value if isinstance(value, str) else json.dumps(value)
    queue = str(props.get("QueueName") or name)
    if str(props.get("FifoQueue")).lower() == "true" and not queue.endswith(".fifo"):
        queue += ".fifo"
    sqs = clients("sqs")
    url = sqs.create_queue(QueueName=queue, Attributes=attributes)["QueueUrl"]
    arn = _arn("sqs", queue)
    return Physical(url, {"Arn": arn, "QueueName": queue, "QueueUrl": url}, True)


def _bucket(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    s3 = clients("s3")
    bucket = str(props.get("BucketName") or name.lower())
    s3.create_bucket(Bucket=bucket)
    encryption = props.get("BucketEncryption")
    if encryption:
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                        **(
                            {"BucketKeyEnabled": rule["BucketKeyEnabled"]}
                            if "BucketKeyEnabled" in rule
                            else {}
                        ),
                    }
                    for rule in encryption.get("ServerSideEncryptionConfiguration", [])
                ]
            },
        )
    versioning = (props.get("VersioningConfiguration") or {}).get("Status")
    if versioning:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": versioning})
    notification = props.get("NotificationConfiguration") or {}
    queues = [
        _s3_notification(item, "Queue") for item in notification.get("QueueConfigurations", [])
    ]
    topics = [
        _s3_notification(item, "Topic") for item in notification.get("TopicConfigurations", [])
    ]
    config: dict[str, Any] = {}
    if queues:
        config["QueueConfigurations"] = queues
    if topics:
        config["TopicConfigurations"] = topics
    if notification.get("EventBridgeConfiguration") is not None:
        config["EventBridgeConfiguration"] = {}
    if config:
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration=config, SkipDestinationValidation=True
        )
    attrs = {
        "Arn": f"arn:aws:s3:::{bucket}",
        "DomainName": f"{bucket}.s3.amazonaws.com",
        "RegionalDomainName": f"{bucket}.s3.{REGION}.amazonaws.com",
        "DualStackDomainName": f"{bucket}.s3.dualstack.{REGION}.amazonaws.com",
    }
    return Physical(bucket, attrs, True)


def _s3_notification(item: dict[str, Any], kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {f"{kind}Arn": item[kind], "Events": [item["Event"]]}
    rules = ((item.get("Filter") or {}).get("S3Key") or {}).get("Rules")
    if rules:
        out["Filter"] = {"Key": {"FilterRules": rules}}
    return out


def _table(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    ddb = clients("dynamodb")
    table = str(props.get("TableName") or name)
    args: dict[str, Any] = {
        "TableName": table,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if args["BillingMode"] == "PROVISIONED":
        args["ProvisionedThroughput"] = props.get(
            "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        )
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if key in props:
            args[key] = props[key]
    sse = props.get("SSESpecification")
    if sse:
        args["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled", True))} | {
            key: sse[key] for key in ("SSEType", "KMSMasterKeyId") if key in sse
        }
    stream = props.get("StreamSpecification")
    if stream:
        args["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    description = ddb.create_table(**args)["TableDescription"]
    if (props.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled"):
        ddb.update_continuous_backups(
            TableName=table,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        ddb.update_time_to_live(
            TableName=table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    attrs = {"Arn": description["TableArn"]}
    if description.get("LatestStreamArn"):
        attrs["StreamArn"] = description["LatestStreamArn"]
    return Physical(table, attrs, True)


def _simple_table(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    key = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
    kind = {"String": "S", "Number": "N", "Binary": "B"}[key.get("Type", "String")]
    return _table(
        clients,
        name,
        {
            "TableName": props.get("TableName") or name,
            "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": kind}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )


def _secret(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    sm = clients("secretsmanager")
    args: dict[str, Any] = {"Name": str(props.get("Name") or name)}
    for key in ("Description", "KmsKeyId"):
        if key in props:
            args[key] = props[key]
    if "SecretString" in props:
        args["SecretString"] = props["SecretString"]
    elif "GenerateSecretString" in props:
        spec = dict(props["GenerateSecretString"])
        template_text = spec.pop("SecretStringTemplate", None)
        key = spec.pop("GenerateStringKey", None)
        allowed = {
            "PasswordLength", "ExcludeCharacters", "ExcludeNumbers", "ExcludePunctuation",
            "ExcludeUppercase", "ExcludeLowercase", "IncludeSpace", "RequireEachIncludedType",
        }  # fmt: skip
        password = sm.get_random_password(**{k: v for k, v in spec.items() if k in allowed})
        value = password["RandomPassword"]
        if template_text and key:
            data = json.loads(template_text)
            data[key] = value
            value = json.dumps(data)
        args["SecretString"] = value
    response = sm.create_secret(**args)
    return Physical(response["ARN"], {"Id": response["ARN"]}, True)


def _waf_set(kind: str) -> Callable[[ClientFactory, str, dict[str, Any]], Physical]:
    def create(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
        waf = clients("wafv2")
        args: dict[str, Any] = {
            "Name": str(props.get("Name") or name),
            "Scope": props["Scope"],
            "Description": props.get("Description") or "-",
        }
        if kind == "ip":
            args |= {
                "IPAddressVersion": props["IPAddressVersion"],
                "Addresses": props.get("Addresses", []),
            }
            summary = waf.create_ip_set(**args)["Summary"]
        else:
            args["RegularExpressionList"] = [
                {"RegexString": item if isinstance(item, str) else item["RegexString"]}
                for item in props.get("RegularExpressionList", [])
            ]
            summary = waf.create_regex_pattern_set(**args)["Summary"]
        ref = f"{summary['Name']}|{summary['Id']}|{props['Scope']}"
        return Physical(ref, {"Arn": summary["ARN"], "Id": summary["Id"]}, True)

    return create


def _web_acl(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    args: dict[str, Any] = {
        "Name": str(props.get("Name") or name),
        "Scope": props["Scope"],
        "DefaultAction": props["DefaultAction"],
        "VisibilityConfig": props["VisibilityConfig"],
        "Rules": props.get("Rules", []),
    }
    for key in (
        "Description",
        "CustomResponseBodies",
        "CaptchaConfig",
        "ChallengeConfig",
        "TokenDomains",
        "AssociationConfig",
    ):
        if key in props:
            args[key] = props[key]
    wafv2 = clients("wafv2")
    shape = wafv2.meta.service_model.operation_model("CreateWebACL").input_shape
    summary = wafv2.create_web_acl(**api_params(args, shape))["Summary"]
    ref = f"{summary['Name']}|{summary['Id']}|{props['Scope']}"
    attrs = {"Arn": summary["ARN"], "Id": summary["Id"], "LabelNamespace": ""}
    return Physical(ref, attrs, True)


def api_params(value: Any, shape: Any) -> Any:
    """CloudFormation property values -> what the API's shape expects, as CloudFormation
    itself converts them: member names matched case-insensitively (``Arn`` -> ``ARN``),
    numbers and booleans from their string form (parameters resolve to strings)."""
    kind = getattr(shape, "type_name", None)
    if kind == "structure" and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        out = {}
        for key, item in value.items():
            name = members.get(str(key).lower(), key)
            member = shape.members.get(name)
            out[name] = api_params(item, member) if member is not None else item
        return out
    if kind == "list" and isinstance(value, list):
        return [api_params(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: api_params(item, shape.value) for key, item in value.items()}
    if kind in ("integer", "long") and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if kind in ("float", "double") and isinstance(value, str | int):
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _trail(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    cloudtrail = clients("cloudtrail")
    trail = str(props.get("TrailName") or name)
    args: dict[str, Any] = {"Name": trail, "S3BucketName": props["S3BucketName"]}
    for key in (
        "S3KeyPrefix", "SnsTopicName", "IncludeGlobalServiceEvents", "IsMultiRegionTrail",
        "EnableLogFileValidation", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn",
        "KmsKeyId", "IsOrganizationTrail",
    ):  # fmt: skip
        if key in props:
            args[key] = props[key]
    response = cloudtrail.create_trail(**args)
    if props.get("IsLogging", True):
        cloudtrail.start_logging(Name=trail)
    return Physical(trail, {"Arn": response["TrailARN"]}, True)


def _hub(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    clients("securityhub").enable_security_hub(
        EnableDefaultStandards=bool(props.get("EnableDefaultStandards", False))
    )
    arn = _arn("securityhub", "hub/default")
    return Physical(arn, {"ARN": arn}, True)


def _action_target(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    response = clients("securityhub").create_action_target(
        Name=props["Name"], Description=props["Description"], Id=props["Id"]
    )
    return Physical(response["ActionTargetArn"], {}, True)


def _ssm_parameter(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    parameter = str(props.get("Name") or name)
    args = {"Name": parameter, "Value": str(props["Value"]), "Type": props.get("Type", "String")}
    if "Description" in props:
        args["Description"] = props["Description"]
    clients("ssm").put_parameter(**args)
    return Physical(parameter, {"Type": args["Type"], "Value": args["Value"]}, True)


def _log_group(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    group = str(props.get("LogGroupName") or name)
    clients("logs").create_log_group(logGroupName=group)
    return Physical(group, {"Arn": _arn("logs", f"log-group:{group}:*")}, True)


_ALARM_KEYS = (
    "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions", "InsufficientDataActions",
    "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit",
    "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator",
    "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId",
)  # fmt: skip


def _alarm(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    alarm = str(props.get("AlarmName") or name)
    args = {key: props[key] for key in _ALARM_KEYS if key in props}
    cloudwatch = clients("cloudwatch")
    shape = cloudwatch.meta.service_model.operation_model("PutMetricAlarm").input_shape
    cloudwatch.put_metric_alarm(AlarmName=alarm, **api_params(args, shape))
    # AWS starts every alarm in INSUFFICIENT_DATA (moto: OK)
    cloudwatch.set_alarm_state(
        AlarmName=alarm,
        StateValue="INSUFFICIENT_DATA",
        StateReason="Unchecked: Initial alarm creation",
    )
    return Physical(alarm, {"Arn": _arn("cloudwatch", f"alarm:{alarm}")}, True)


def _event_bus(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    bus = str(props.get("Name") or name)
    arn = clients("events").create_event_bus(Name=bus)["EventBusArn"]
    return Physical(bus, {"Arn": arn, "Name": bus}, True)


def _distribution(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    config = cloudfront_config(props["DistributionConfig"], caller_reference=name)
    response = clients("cloudfront").create_distribution(DistributionConfig=config)
    distribution = response["Distribution"]
    attrs = {"DomainName": distribution["DomainName"], "Id": distribution["Id"]}
    return Physical(distribution["Id"], attrs, True)


def _items(values: list[Any] | None) -> dict[str, Any]:
    values = list(values or [])
    return {"Quantity": len(values), "Items": values} if values else {"Quantity": 0}


def cloudfront_config(cfn: dict[str, Any], caller_reference: str) -> dict[str, Any]:
    """CloudFormation's DistributionConfig shape -> the API's (Quantity/Items lists)."""
    origins = []
    for origin in cfn.get("Origins", []):
        item: dict[str, Any] = {
            "Id": origin["Id"],
            "DomainName": origin["DomainName"],
            "OriginPath": origin.get("OriginPath", ""),
            "CustomHeaders": _items(
                [
                    {"HeaderName": h["HeaderName"], "HeaderValue": h["HeaderValue"]}
                    for h in origin.get("OriginCustomHeaders", [])
                ]
            ),
        }
        custom = origin.get("CustomOriginConfig")
        if custom is not None:
            item["CustomOriginConfig"] = {
                "HTTPPort": int(custom.get("HTTPPort", 80)),
                "HTTPSPort": int(custom.get("HTTPSPort", 443)),
                "OriginProtocolPolicy": custom.get("OriginProtocolPolicy", "https-only"),
                "OriginSslProtocols": _items(custom.get("OriginSSLProtocols", ["TLSv1.2"])),
                "OriginReadTimeout": int(custom.get("OriginReadTimeout", 30)),
                "OriginKeepaliveTimeout": int(custom.get("OriginKeepaliveTimeout", 5)),
            }
        else:
            item["S3OriginConfig"] = {"OriginAccessIdentity": ""}
        origins.append(item)
    behavior = dict(cfn.get("DefaultCacheBehavior") or {})
    default_behavior: dict[str, Any] = {
        "TargetOriginId": behavior.get("TargetOriginId", origins[0]["Id"] if origins else ""),
        "ViewerProtocolPolicy": behavior.get("ViewerProtocolPolicy", "redirect-to-https"),
    }
    if "CachePolicyId" in behavior:
        default_behavior["CachePolicyId"] = behavior["CachePolicyId"]
    else:
        default_behavior |= {
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        }
    if "OriginRequestPolicyId" in behavior:
        default_behavior["OriginRequestPolicyId"] = behavior["OriginRequestPolicyId"]
    config: dict[str, Any] = {
        "CallerReference": caller_reference,
        "Origins": _items(origins),
        "DefaultCacheBehavior": default_behavior,
        "Comment": cfn.get("Comment", ""),
        "Enabled": bool(cfn.get("Enabled", True)),
    }
    if "WebACLId" in cfn:
        config["WebACLId"] = cfn["WebACLId"]
    if "Aliases" in cfn:
        config["Aliases"] = _items(cfn["Aliases"])
    return config


def state_machine_definition(template: Template, props: dict[str, Any]) -> str:
    """The definition text with DefinitionSubstitutions applied (``${Name}``)."""
    if "Definition" in props:
        text = json.dumps(props["Definition"])
    elif "DefinitionString" in props:
        text = str(props["DefinitionString"])
    elif "DefinitionUri" in props and isinstance(props["DefinitionUri"], str):
        text = (template.root / props["DefinitionUri"]).read_text(encoding="utf-8")
    else:
        raise TemplateError("a state machine needs Definition, DefinitionString or DefinitionUri")
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        text = text.replace("${" + key + "}", str(value))
    return text


CREATORS: dict[str, Callable[[ClientFactory, str, dict[str, Any]], Physical]] = {
    "AWS::KMS::Key": _kms_key,
    "AWS::KMS::Alias": _kms_alias,
    "AWS::SNS::Topic": _topic,
    "AWS::SQS::Queue": _queue,
    "AWS::S3::Bucket": _bucket,
    "AWS::DynamoDB::Table": _table,
    "AWS::Serverless::SimpleTable": _simple_table,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::WAFv2::IPSet": _waf_set("ip"),
    "AWS::WAFv2::RegexPatternSet": _waf_set("regex"),
    "AWS::WAFv2::WebACL": _web_acl,
    "AWS::CloudTrail::Trail": _trail,
    "AWS::SecurityHub::Hub": _hub,
    "AWS::SecurityHub::ActionTarget": _action_target,
    "AWS::SSM::Parameter": _ssm_parameter,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::CloudFront::Distribution": _distribution,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::Events::EventBus": _event_bus,
}


def unique_suffix() -> str:
    return uuid.uuid4().hex[:12]
