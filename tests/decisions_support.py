"""Create the decisions table and the WAF sets in moto from template.yaml's own definitions.

Used by the decisions/enforcer tests until they run inside the local cloud; nothing
here re-declares a schema: names, keys, streams and TTL come from the template.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT = "test"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form tags as {'Fn::X': ...} mappings."""


def _tag(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}


_CfnLoader.add_multi_constructor("!", _tag)


def template() -> dict[str, Any]:
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=_CfnLoader)


def _sub(text: Any) -> str:
    if isinstance(text, dict) and "Fn::Sub" in text:
        text = text["Fn::Sub"]
    return (
        str(text)
        .replace("${Environment}", ENVIRONMENT)
        .replace("${AWS::AccountId}", "123456789012")
    )


@dataclass
class DecisionsWorld:
    """Physical ids of what the decisions capability uses, created in moto."""

    table: str
    stream_arn: str
    topic_arn: str
    queue_url: str
    ip_sets: dict[str, str] = field(default_factory=dict)  # logical id -> ARN
    tenant_set_arn: str = ""
    parameters: dict[str, str] = field(default_factory=dict)

    def shards(self, version: int, count: int = 2) -> list[str]:
        return [self.ip_sets[f"BanIpV{version}Shard{n}"] for n in range(1, count + 1)]


def create_world(shards: int = 2, with_indexes: bool = True) -> DecisionsWorld:
    """Inside mock_aws: the table, the IP sets, the tenant set and the alerts topic.

    ``with_indexes=False`` creates the table as it was before its secondary indexes (an
    upgrade test adds them with UpdateTable, as CloudFormation does).

    A queue subscribed to the topic lets tests read what was announced.
    """
    resources = template()["Resources"]
    parameters = {
        name: str(spec.get("Default", "")) for name, spec in template()["Parameters"].items()
    }
    dynamodb = boto3.client("dynamodb")
    table_props = resources["DecisionsTable"]["Properties"]
    table_name = _sub(table_props["TableName"])
    key_schema = table_props["KeySchema"]
    created = dynamodb.create_table(
        TableName=table_name,
        AttributeDefinitions=[
            a
            for a in table_props["AttributeDefinitions"]
            if with_indexes or a["AttributeName"] in {k["AttributeName"] for k in key_schema}
        ],
        KeySchema=table_props["KeySchema"],
        BillingMode=table_props["BillingMode"],
        StreamSpecification={"StreamEnabled": True, **table_props["StreamSpecification"]},
        **(
            {"GlobalSecondaryIndexes": table_props["GlobalSecondaryIndexes"]}
            if with_indexes and "GlobalSecondaryIndexes" in table_props
            else {}
        ),
    )
    ttl = table_props["TimeToLiveSpecification"]
    dynamodb.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
    )
    waf = boto3.client("wafv2")
    ip_sets: dict[str, str] = {}
    tenant_arn = ""
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::WAFv2::IPSet":
            condition = resource.get("Condition", "")
            if condition.startswith("BanShard") and int(condition[8:]) > shards:
                continue
            summary = waf.create_ip_set(
                Name=_sub(props["Name"]),
                Scope=props["Scope"],
                IPAddressVersion=props["IPAddressVersion"],
                Addresses=[],
                Description=props["Description"],
            )["Summary"]
            ip_sets[logical_id] = summary["ARN"]
        elif resource["Type"] == "AWS::WAFv2::RegexPatternSet":
            summary = waf.create_regex_pattern_set(
                Name=_sub(props["Name"]),
                Scope=props["Scope"],
                RegularExpressionList=[{"RegexString": r} for r in props["RegularExpressionList"]],
                Description=props["Description"],
            )["Summary"]
            tenant_arn = summary["ARN"]
    sns = boto3.client("sns")
    topic_arn = sns.create_topic(Name=_sub(resources["AlertsTopic"]["Properties"]["TopicName"]))[
        "TopicArn"
    ]
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="alerts-seen")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return DecisionsWorld(
        table=table_name,
        stream_arn=created["TableDescription"]["LatestStreamArn"],
        topic_arn=topic_arn,
        queue_url=queue_url,
        ip_sets=ip_sets,
        tenant_set_arn=tenant_arn,
        parameters=parameters,
    )


def alerts_seen(world: DecisionsWorld) -> list[dict[str, Any]]:
    """Alerts published on the topic so far (drains the test queue)."""
    sqs = boto3.client("sqs")
    seen = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=world.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            return seen
        for message in messages:
            envelope = json.loads(message["Body"])
            seen.append(json.loads(envelope["Message"]))
            sqs.delete_message(QueueUrl=world.queue_url, ReceiptHandle=message["ReceiptHandle"])


def function_environment(
    world: DecisionsWorld, shards: int = 2, **overrides: str
) -> dict[str, str]:
    """IpSetSyncFunction's environment from template.yaml, resolved against this world."""
    spec = template()["Resources"]["IpSetSyncFunction"]["Properties"]["Environment"]["Variables"]
    physical = {
        "DecisionsTable": world.table,
        "AlertsTopic": world.topic_arn,
        "TenantBlockPatterns": world.tenant_set_arn,
        **world.ip_sets,
    }

    def resolve(value: Any) -> str | None:
        if isinstance(value, dict) and "Ref" in value:
            name = value["Ref"]
            if name == "AWS::NoValue":
                return None
            return physical.get(name) or world.parameters[name]
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            logical, attribute = target.split(".") if isinstance(target, str) else target
            return physical[logical].rsplit("/", 1)[1] if attribute == "Id" else physical[logical]
        if isinstance(value, dict) and "Fn::If" in value:
            condition, yes, no = value["Fn::If"]
            return resolve(yes if int(condition[8:]) <= shards else no)
        if isinstance(value, dict) and "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(p for p in map(resolve, parts) if p is not None)
        if isinstance(value, dict) and "Fn::Sub" in value:
            return re.sub(
                r"\$\{(\w+)\.(\w+)\}",
                lambda m: str(resolve({"Fn::GetAtt": [m.group(1), m.group(2)]})),
                value["Fn::Sub"],
            )
        return str(value)

    env = {key: resolve(value) for key, value in spec.items()}
    env = {key: value for key, value in env.items() if value is not None}
    env.update(overrides)
    return env
