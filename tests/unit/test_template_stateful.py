"""An existing stack upgraded to a new edgeguard keeps its state: no stateful resource
is renamed or replaced.

CloudFormation replaces a resource when its logical id goes away or when a property
that requires replacement changes (AWS CloudFormation User Guide: "Update behaviors of
stack resources"; each resource type's reference names them). Replacing the decisions
table or a ban IP set would drop every active ban; replacing a bucket, key, secret or
queue would lose logs, encrypted data, the origin secret or dead letters. This pins
the logical ids and the replacement-causing properties as deployed today; a change
here is a migration and needs a plan, not a test update.
"""

from __future__ import annotations

from typing import Any

from edgeguard_tools.local.template import default_template_path, load_template

# Properties whose change replaces the resource, by type.
REPLACING = {
    "AWS::DynamoDB::Table": ("TableName", "KeySchema"),
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::KMS::Key": ("KeySpec",),
    "AWS::SecretsManager::Secret": ("Name",),
    "AWS::WAFv2::IPSet": ("Name", "Scope", "IPAddressVersion"),
    "AWS::WAFv2::WebACL": ("Name", "Scope"),
    "AWS::WAFv2::RegexPatternSet": ("Name", "Scope"),
    "AWS::SQS::Queue": ("QueueName", "FifoQueue"),
    "AWS::Logs::LogGroup": ("LogGroupName",),
}


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _key(*names: tuple[str, str]) -> list[dict[str, str]]:
    return [{"AttributeName": name, "KeyType": kind} for name, kind in names]


def _table(name: str, *key: tuple[str, str]) -> dict[str, Any]:
    return {"TableName": _sub(f"edgeguard-${{Environment}}-{name}"), "KeySchema": _key(*key)}


def _ip_set(name: str, version: str) -> dict[str, Any]:
    return {
        "Name": _sub(f"edgeguard-${{Environment}}-{name}"),
        "Scope": "CLOUDFRONT",
        "IPAddressVersion": version,
    }


def _queue(name: str) -> dict[str, Any]:
    return {"QueueName": _sub(f"edgeguard-${{Environment}}-{name}")}


EXPECTED: dict[str, tuple[str, dict[str, Any]]] = {
    "DecisionsTable": (
        "AWS::DynamoDB::Table",
        _table("decisions", ("value", "HASH"), ("action", "RANGE")),
    ),
    "DetectionStateTable": (
        "AWS::DynamoDB::Table",
        _table("detection-state", ("pk", "HASH"), ("sk", "RANGE")),
    ),
    "IdempotencyTable": ("AWS::DynamoDB::Table", _table("idempotency", ("id", "HASH"))),
    "TrailSnapshotTable": ("AWS::DynamoDB::Table", _table("trail-snapshots", ("trail", "HASH"))),
    "LogBucket": (
        "AWS::S3::Bucket",
        {"BucketName": _sub("edgeguard-${Environment}-logs-${AWS::AccountId}")},
    ),
    "WafLogBucket": (
        "AWS::S3::Bucket",
        {"BucketName": _sub("aws-waf-logs-edgeguard-${Environment}-${AWS::AccountId}")},
    ),
    "EdgeguardKey": ("AWS::KMS::Key", {}),
    "TelegramBotTokenSecret": (
        "AWS::SecretsManager::Secret",
        {"Name": _sub("edgeguard/${Environment}/telegram-bot-token")},
    ),
    "OriginSecret": (
        "AWS::SecretsManager::Secret",
        {"Name": _sub("edgeguard/${Environment}/origin-verify")},
    ),
    **{
        f"BanIpV{v}Shard{n}": ("AWS::WAFv2::IPSet", _ip_set(f"ban-v{v}-{n}", f"IPV{v}"))
        for v in (4, 6)
        for n in (1, 2, 3, 4)
    },
    **{
        f"AllowlistIpV{v}": ("AWS::WAFv2::IPSet", _ip_set(f"allow-v{v}", f"IPV{v}")) for v in (4, 6)
    },
    **{
        f"CaptchaIpV{v}": ("AWS::WAFv2::IPSet", _ip_set(f"captcha-v{v}", f"IPV{v}")) for v in (4, 6)
    },
    "TenantBlockPatterns": (
        "AWS::WAFv2::RegexPatternSet",
        {"Name": _sub("edgeguard-${Environment}-tenant-block"), "Scope": "CLOUDFRONT"},
    ),
    "EdgeWebAcl": (
        "AWS::WAFv2::WebACL",
        {"Name": _sub("edgeguard-${Environment}-edge"), "Scope": "CLOUDFRONT"},
    ),
    "OriginWebAcl": (
        "AWS::WAFv2::WebACL",
        {"Name": _sub("edgeguard-${Environment}-origin"), "Scope": "REGIONAL"},
    ),
    "LogQueue": ("AWS::SQS::Queue", _queue("log-objects")),
    "LogDeadLetterQueue": ("AWS::SQS::Queue", _queue("log-dlq")),
    "NotifierDeadLetterQueue": ("AWS::SQS::Queue", _queue("notifier-dlq")),
    "IpSetSyncDeadLetterQueue": ("AWS::SQS::Queue", _queue("ipset-sync-dlq")),
    "FindingsDeadLetterQueue": ("AWS::SQS::Queue", _queue("findings-dlq")),
    "ResponseDeadLetterQueue": ("AWS::SQS::Queue", _queue("response-dlq")),
    "AppLogGroup": ("AWS::Logs::LogGroup", {"LogGroupName": _sub("/edgeguard/${Environment}/app")}),
    "RespondLogGroup": (
        "AWS::Logs::LogGroup",
        {"LogGroupName": _sub("/aws/vendedlogs/states/edgeguard-${Environment}-respond")},
    ),
    **{
        f"{function}FunctionLogGroup": (
            "AWS::Logs::LogGroup",
            {"LogGroupName": _sub(f"/edgeguard/${{Environment}}/lambda/{name}")},
        )
        for function, name in (
            ("Notifier", "notifier"),
            ("PrefixListLookup", "prefix-list-lookup"),
            ("OriginSecretRotation", "origin-secret-rotation"),
            ("IpSetSync", "ipset-sync"),
            ("LogAnalyzer", "log-analyzer"),
            ("GuardDutyBlock", "guardduty-block"),
            ("OcsfBlock", "ocsf-block"),
            ("SecurityHubBlock", "securityhub-block"),
            ("AlarmCollect", "alarm-collect"),
            ("AlarmRecord", "alarm-record"),
            ("TrailGuard", "trail-guard"),
            ("Respond", "respond"),
        )
    },
}


def stateful_resources() -> dict[str, tuple[str, dict[str, Any]]]:
    resources = load_template(default_template_path())["Resources"]
    found = {}
    for logical_id, resource in resources.items():
        kind = resource["Type"]
        if kind in REPLACING:
            props = resource.get("Properties") or {}
            found[logical_id] = (kind, {k: props[k] for k in REPLACING[kind] if k in props})
    return found


def test_stateful_resources_keep_their_logical_ids_and_replacing_properties() -> None:
    found = stateful_resources()
    assert set(found) >= set(EXPECTED), f"removed or renamed: {sorted(set(EXPECTED) - set(found))}"
    changed = {k: (found[k], v) for k, v in EXPECTED.items() if found[k] != v}
    assert changed == {}


def test_decisions_table_survives_stack_deletion_and_replacement() -> None:
    table = load_template(default_template_path())["Resources"]["DecisionsTable"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    attributes = {
        a["AttributeName"]: a["AttributeType"] for a in table["Properties"]["AttributeDefinitions"]
    }
    # The table's own key never changes (that would replace the table). Attributes added
    # for a global secondary index are an in-place update: DynamoDB requires a GSI's key
    # attributes in AttributeDefinitions ("Amazon DynamoDB API Reference: UpdateTable").
    assert {k["AttributeName"]: k["KeyType"] for k in table["Properties"]["KeySchema"]} == {
        "value": "HASH",
        "action": "RANGE",
    }
    assert {k: attributes[k] for k in ("value", "action")} == {"value": "S", "action": "S"}
    index_keys = {
        k["AttributeName"]
        for index in table["Properties"].get("GlobalSecondaryIndexes", [])
        for k in index["KeySchema"]
    }
    assert set(attributes) - {"value", "action"} <= index_keys
