"""Creators: a template resource's resolved properties -> the boto3 calls CloudFormation makes.

``CREATORS`` maps each resource type the local cloud creates in moto to its creator,
``creator(clients, name, props) -> Physical``: ``clients(service)`` gives a boto3 client,
``name`` is the default physical name (``<stack>-<logical id>``) used when the properties
name none. KMS, SNS, SQS, S3, DynamoDB, Secrets Manager, CloudTrail, Security Hub, SSM,
CloudWatch Logs and alarms, EventBridge buses, and the hunt's Glue database and tables and
Athena workgroup are here; WAF and CloudFront, whose
properties need converting to their API's shapes, are in edgeguard_tools.local.creators_edge.
A creator raises what boto3 raises (moto refusing the properties) or ``KeyError`` for a
required property that is missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from edgeguard_tools.local.creators_edge import api_params, distribution, waf_set, web_acl
from edgeguard_tools.local.resources import ClientFactory, Physical, local_arn
from edgeguard_tools.local.template import REGION


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
    arn = local_arn("sqs", queue)
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
    arn = local_arn("securityhub", "hub/default")
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
    return Physical(group, {"Arn": local_arn("logs", f"log-group:{group}:*")}, True)


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
    return Physical(alarm, {"Arn": local_arn("cloudwatch", f"alarm:{alarm}")}, True)


def _event_bus(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    bus = str(props.get("Name") or name)
    arn = clients("events").create_event_bus(Name=bus)["EventBusArn"]
    return Physical(bus, {"Arn": arn, "Name": bus}, True)


def _kinesis_stream(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    """An AWS::Kinesis::Stream (provisioned shards, or on demand); Ref its name."""
    kinesis = clients("kinesis")
    stream = str(props.get("Name") or name)
    mode = (props.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
    args: dict[str, Any] = {"StreamName": stream, "StreamModeDetails": {"StreamMode": mode}}
    if mode == "PROVISIONED":
        args["ShardCount"] = int(props.get("ShardCount", 1))
    kinesis.create_stream(**args)
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    return Physical(stream, {"Arn": arn["StreamARN"]}, True)


def _glue_database(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    """An AWS::Glue::Database (the hunt's tables); Ref its name."""
    database = dict(props["DatabaseInput"])
    clients("glue").create_database(DatabaseInput=database)
    return Physical(database["Name"], {}, True)


def _glue_table(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    """An AWS::Glue::Table in its database, as declared (partition projection included);
    Ref its name."""
    table = dict(props["TableInput"])
    clients("glue").create_table(DatabaseName=props["DatabaseName"], TableInput=table)
    return Physical(table["Name"], {}, True)


def _athena_workgroup(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    """An AWS::Athena::WorkGroup: its WorkGroupConfiguration is the API's Configuration
    (result location and encryption, bytes cut-off, engine); Ref its name."""
    group = str(props.get("Name") or name)
    args: dict[str, Any] = {"Name": group, "Description": props.get("Description", "")}
    if props.get("WorkGroupConfiguration"):
        config = dict(props["WorkGroupConfiguration"])
        if "BytesScannedCutoffPerQuery" in config:
            config["BytesScannedCutoffPerQuery"] = int(config["BytesScannedCutoffPerQuery"])
        args["Configuration"] = config
    clients("athena").create_work_group(**args)
    return Physical(group, {}, True)


CREATORS: dict[str, Callable[[ClientFactory, str, dict[str, Any]], Physical]] = {
    "AWS::KMS::Key": _kms_key,
    "AWS::KMS::Alias": _kms_alias,
    "AWS::SNS::Topic": _topic,
    "AWS::SQS::Queue": _queue,
    "AWS::S3::Bucket": _bucket,
    "AWS::DynamoDB::Table": _table,
    "AWS::Serverless::SimpleTable": _simple_table,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::WAFv2::IPSet": waf_set("ip"),
    "AWS::WAFv2::RegexPatternSet": waf_set("regex"),
    "AWS::WAFv2::WebACL": web_acl,
    "AWS::CloudTrail::Trail": _trail,
    "AWS::SecurityHub::Hub": _hub,
    "AWS::SecurityHub::ActionTarget": _action_target,
    "AWS::SSM::Parameter": _ssm_parameter,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::CloudFront::Distribution": distribution,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::Events::EventBus": _event_bus,
    "AWS::Kinesis::Stream": _kinesis_stream,
    "AWS::Glue::Database": _glue_database,
    "AWS::Glue::Table": _glue_table,
    "AWS::Athena::WorkGroup": _athena_workgroup,
}
