"""Issue 14 items 7 and 8, which moto cannot enforce (it checks neither IAM nor KMS), read
from template.yaml: a function whose dead-letter queue is encrypted with the stack's key
may use that key to send to it, and every function logs to a declared log group with
retention and the stack's key."""

from __future__ import annotations

from typing import Any

import pytest

from edgeguard_tools.local.template import default_template_path, load_template

TEMPLATE = load_template(default_template_path())
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = sorted(k for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function")
KEY_ARN = {"Fn::GetAtt": ["EdgeguardKey", "Arn"]}
# "Amazon SQS Developer Guide: Key management": a producer sending to a queue encrypted
# with a customer managed key needs kms:GenerateDataKey and kms:Decrypt on it.
SEND_TO_ENCRYPTED_QUEUE = {"kms:GenerateDataKey", "kms:Decrypt"}


def allowed_on(function: str, resource: Any) -> set[str]:
    """Actions the function's inline policy statements allow on ``resource``."""
    actions: set[str] = set()
    for policy in RESOURCES[function]["Properties"].get("Policies", []):
        if not isinstance(policy, dict):
            continue
        for statement in policy.get("Statement", []):
            targets = statement["Resource"]
            targets = targets if isinstance(targets, list) else [targets]
            if statement["Effect"] == "Allow" and resource in targets:
                listed = statement["Action"]
                actions.update(listed if isinstance(listed, list) else [listed])
    return actions


def test_every_function_is_checked() -> None:
    assert len(FUNCTIONS) >= 12 and "NotifierFunction" in FUNCTIONS


def test_the_notifier_may_send_to_its_encrypted_dead_letter_queue() -> None:
    props = RESOURCES["NotifierFunction"]["Properties"]
    queue = props["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0]
    assert RESOURCES[queue]["Properties"]["KmsMasterKeyId"] == {"Ref": "EdgeguardKey"}
    assert allowed_on("NotifierFunction", KEY_ARN) >= SEND_TO_ENCRYPTED_QUEUE


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_with_an_encrypted_dead_letter_queue_may_use_its_key(function) -> None:
    target = RESOURCES[function]["Properties"].get("DeadLetterQueue", {}).get("TargetArn")
    destination = (
        RESOURCES[function]["Properties"]
        .get("EventInvokeConfig", {})
        .get("DestinationConfig", {})
        .get("OnFailure", {})
        .get("Destination")
    )
    for arn in (target, destination):
        if not arn:
            continue
        queue = RESOURCES[arn["Fn::GetAtt"][0]]["Properties"]
        key = queue.get("KmsMasterKeyId")
        if key:
            assert key == {"Ref": "EdgeguardKey"}
            assert allowed_on(function, KEY_ARN) >= SEND_TO_ENCRYPTED_QUEUE, function


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_logs_to_a_declared_encrypted_group_with_retention(function) -> None:
    config = RESOURCES[function]["Properties"]["LoggingConfig"]
    group = RESOURCES[config["LogGroup"]["Ref"]]
    assert group["Type"] == "AWS::Logs::LogGroup"
    props = group["Properties"]
    assert props["RetentionInDays"] == {"Ref": "FunctionLogRetentionDays"}
    assert props["KmsKeyId"] == KEY_ARN
    assert props["LogGroupName"]["Fn::Sub"].startswith("/edgeguard/${Environment}/lambda/")


def test_log_groups_are_one_per_function_and_retention_is_a_parameter() -> None:
    groups = [RESOURCES[f]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for f in FUNCTIONS]
    assert len(set(groups)) == len(FUNCTIONS)
    parameter = TEMPLATE["Parameters"]["FunctionLogRetentionDays"]
    assert parameter["Default"] in parameter["AllowedValues"]


def test_the_key_admits_cloudwatch_logs_for_these_groups() -> None:
    statements = RESOURCES["EdgeguardKey"]["Properties"]["KeyPolicy"]["Statement"]
    (logs,) = [s for s in statements if s.get("Sid") == "CloudWatchLogsEncrypt"]
    assert logs["Principal"]["Service"] == {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}
    assert "kms:GenerateDataKey*" in logs["Action"]
    context = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]["Fn::Sub"]
    assert context.endswith(":log-group:*")


def test_the_custom_resource_dlq_skip_says_how_cloudformation_invokes_it() -> None:
    skips = RESOURCES["PrefixListLookupFunction"]["Metadata"]["checkov"]["skip"]
    (reason,) = [s["comment"] for s in skips if s["id"] == "CKV_AWS_116"]
    assert "asynchronously" in reason and "synchronously by" not in reason
