"""Encryption at rest and no secret in environment variables, read from the real template.yaml."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from edgeguard_tools.local.template import default_template_path, load_template


def _sns(props: dict[str, Any]) -> bool:
    return bool(props.get("KmsMasterKeyId"))


def _sqs(props: dict[str, Any]) -> bool:
    return bool(props.get("KmsMasterKeyId")) or props.get("SqsManagedSseEnabled") is True


def _dynamodb(props: dict[str, Any]) -> bool:
    sse = props.get("SSESpecification") or {}
    return sse.get("SSEEnabled") is True and sse.get("SSEType", "KMS") == "KMS"


def _s3(props: dict[str, Any]) -> bool:
    rules = (props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or []
    return bool(rules) and all(
        (rule.get("ServerSideEncryptionByDefault") or {}).get("SSEAlgorithm") for rule in rules
    )


def _kms_key_id(props: dict[str, Any]) -> bool:
    return bool(props.get("KmsKeyId"))


def _kinesis(props: dict[str, Any]) -> bool:
    encryption = props.get("StreamEncryption") or {}
    return encryption.get("EncryptionType") == "KMS" and bool(encryption.get("KeyId"))


ENCRYPTED: dict[str, Callable[[dict[str, Any]], bool]] = {
    "AWS::SNS::Topic": _sns,
    "AWS::SQS::Queue": _sqs,
    "AWS::DynamoDB::Table": _dynamodb,
    "AWS::S3::Bucket": _s3,
    "AWS::Logs::LogGroup": _kms_key_id,
    "AWS::SecretsManager::Secret": _kms_key_id,
    "AWS::Kinesis::Stream": _kinesis,
}
# Stores of data at rest whose encryption this test does not know how to read: fail loudly.
UNCHECKED_STORES = {"AWS::Serverless::SimpleTable", "AWS::EFS::FileSystem"}


def unencrypted(template: dict[str, Any]) -> list[str]:
    """Logical ids of data stores declared without encryption at rest."""
    found = []
    for logical_id, resource in template["Resources"].items():
        kind = resource.get("Type", "")
        if kind in UNCHECKED_STORES:
            found.append(f"{logical_id} ({kind}: not checked, declare an encrypted type)")
        check = ENCRYPTED.get(kind)
        if check is not None and not check(resource.get("Properties") or {}):
            found.append(logical_id)
    return found


SECRET_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure):", re.IGNORECASE)
SECRET_NAME = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|PRIVATE_KEY|API_KEY|CREDENTIAL", re.I)
# Values of a secret-looking variable that are only a pointer to the secret.
POINTER_RESOURCES = {"AWS::SecretsManager::Secret", "AWS::SSM::Parameter"}


def _environments(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    globals_env = template.get("Globals", {}).get("Function", {}).get("Environment") or {}
    yield "Globals", globals_env.get("Variables") or {}
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties") or {}
        if resource.get("Type") in {"AWS::Serverless::Function", "AWS::Lambda::Function"}:
            yield logical_id, (props.get("Environment") or {}).get("Variables") or {}
        if resource.get("Type") == "AWS::ECS::TaskDefinition":
            for container in props.get("ContainerDefinitions") or []:
                pairs = container.get("Environment") or []
                yield logical_id, {pair.get("Name"): pair.get("Value") for pair in pairs}


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                yield str(inner[0] if isinstance(inner, list) else inner).split(".")[0]
            else:
                yield from _refs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _refs(inner)


def _is_pointer(value: Any, template: dict[str, Any]) -> bool:
    """A value that names or points at a secret (its ARN or name), never holds it."""
    refs = list(_refs(value))
    if not refs:
        return False
    for ref in refs:
        resource = template["Resources"].get(ref)
        parameter = template.get("Parameters", {}).get(ref, {})
        if resource is not None and resource.get("Type") in POINTER_RESOURCES:
            continue
        if parameter and not parameter.get("NoEcho") and re.search(r"Arn$|Name$", ref):
            continue
        return False
    return True


def secrets_in_environment(template: dict[str, Any]) -> list[str]:
    """Environment variables that hold (or resolve to) a secret value."""
    found = []
    no_echo = {name for name, spec in template.get("Parameters", {}).items() if spec.get("NoEcho")}
    for where, variables in _environments(template):
        for name, value in variables.items():
            text = json.dumps(value)
            if SECRET_REFERENCE.search(text):
                found.append(f"{where}.{name}: dynamic secret reference")
            elif no_echo & set(_refs(value)):
                found.append(f"{where}.{name}: NoEcho parameter")
            elif SECRET_NAME.search(str(name)) and not _is_pointer(value, template):
                found.append(f"{where}.{name}: looks like a secret value")
    return found


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(default_template_path())


def test_every_data_store_is_encrypted_at_rest(template: dict[str, Any]) -> None:
    kinds = {resource["Type"] for resource in template["Resources"].values()}
    assert {"AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::DynamoDB::Table"} <= kinds
    assert {"AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::SecretsManager::Secret"} <= kinds
    assert unencrypted(template) == []


def test_no_environment_variable_holds_a_secret(template: dict[str, Any]) -> None:
    names = {name for _, variables in _environments(template) for name in variables}
    assert "TELEGRAM_TOKEN_SECRET" in names  # the notifier gets the secret's ARN, not the token
    assert secrets_in_environment(template) == []


def test_the_checks_catch_what_they_are_for() -> None:
    bad = {
        "Parameters": {
            "Password": {"Type": "String", "NoEcho": True},
            "TokenSecretArn": {"Type": "String"},
        },
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": True}},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
            "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}},
            "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"KmsKeyId": "k"}},
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Environment": {
                        "Variables": {
                            "A": "{{resolve:secretsmanager:origin:SecretString:value}}",
                            "DB": {"Ref": "Password"},
                            "BOT_TOKEN": "123:abc",
                            "TOKEN_SECRET": {"Ref": "Secret"},
                            "OTHER_SECRET": {"Ref": "TokenSecretArn"},
                        }
                    }
                },
            },
        },
    }
    assert unencrypted(bad) == ["Topic", "Table", "Bucket", "Logs", "Stream"]
    assert secrets_in_environment(bad) == [
        "Fn.A: dynamic secret reference",
        "Fn.DB: NoEcho parameter",
        "Fn.BOT_TOKEN: looks like a secret value",
    ]
