"""IAM least privilege, read from the real template.yaml.

Every identity policy the template declares (function and state machine ``Policies``,
SAM policy templates expanded, ``AWS::IAM::Role`` inline policies, standalone IAM
policies) and every resource policy (KMS key, SNS topic, S3 bucket, SQS queue) is
walked. An Allow statement may grant a mutating action on ``Resource: "*"`` only when
the action is on ``UNSCOPABLE_WRITES`` below (AWS offers no resource to scope it to);
no Allow statement anywhere grants ``*`` or ``service:*`` except the KMS key policy's
account-root statement (without it the key becomes unmanageable).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from edgeguard_tools.local.template import default_template_path, load_template

# Mutating actions that AWS does not let a policy scope to a resource; each needs "*".
UNSCOPABLE_WRITES = {
    # X-Ray and CloudWatch metrics are not resource-scoped (SAM adds X-Ray for Tracing).
    "xray:PutTraceSegments": "X-Ray has no resource type for trace segments",
    "xray:PutTelemetryRecords": "X-Ray has no resource type for telemetry",
    "cloudwatch:PutMetricData": "metrics are scoped by the cloudwatch:namespace condition only",
    # Step Functions logging to CloudWatch Logs: the AWS documentation's required policy
    # ("IAM policies for logging to CloudWatch Logs") grants these vended-log-delivery
    # actions on "*"; they have no resource-level permissions.
    "logs:CreateLogDelivery": "vended log delivery, no resource-level permission",
    "logs:UpdateLogDelivery": "vended log delivery, no resource-level permission",
    "logs:DeleteLogDelivery": "vended log delivery, no resource-level permission",
    "logs:PutResourcePolicy": "CloudWatch Logs resource policies are account-level",
}

# Verbs of actions that only read. Anything else counts as mutating.
READ_VERBS = ("Get", "List", "Describe", "BatchGet", "Query", "Scan", "Lookup", "Search", "Head")

# Resource policies: a "*" Resource there means the resource the policy is attached to.
RESOURCE_POLICY_PROPERTIES = {
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
}


@dataclass(frozen=True)
class Located:
    """One policy statement and where it came from (for a readable failure)."""

    where: str
    statement: dict[str, Any]
    resource_policy: bool


def _sam_policy_template(name: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
    """Expand the SAM policy templates the template uses (as SAM's policy_templates.json does)."""
    if name == "LambdaInvokePolicy":
        function = parameters["FunctionName"]
        return [
            {
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunction"],
                "Resource": {
                    "Fn::Sub": ["arn:...:function:${functionName}*", {"functionName": function}]
                },
            }
        ]
    raise AssertionError(f"SAM policy template {name} is not expanded by this test; add it")


def _statements(document: Any) -> list[dict[str, Any]]:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return statements if isinstance(statements, list) else [statements]


def _identity_policies(policies: Any, where: str) -> Iterator[Located]:
    if isinstance(policies, str | dict):
        policies = [policies]
    for index, policy in enumerate(policies or []):
        here = f"{where}.Policies[{index}]"
        if isinstance(policy, str):
            raise AssertionError(f"{here}: managed policy {policy!r}; grant scoped statements")
        if "Statement" in policy:
            for statement in _statements(policy):
                yield Located(here, statement, False)
            continue
        for name, parameters in policy.items():
            for statement in _sam_policy_template(name, parameters or {}):
                yield Located(f"{here}.{name}", statement, False)


def all_statements(template: dict[str, Any]) -> Iterator[Located]:
    """Every IAM statement the template declares, identity and resource policies alike."""
    for logical_id, resource in template["Resources"].items():
        kind = resource.get("Type", "")
        props = resource.get("Properties", {}) or {}
        if kind in {"AWS::Serverless::Function", "AWS::Serverless::StateMachine"}:
            assert "Role" not in props, f"{logical_id}: explicit Role; declare Policies instead"
            yield from _identity_policies(props.get("Policies"), logical_id)
        elif kind == "AWS::IAM::Role":
            assert not props.get("ManagedPolicyArns"), f"{logical_id}: managed policies"
            for policy in props.get("Policies", []):
                for statement in _statements(policy.get("PolicyDocument")):
                    yield Located(f"{logical_id}.{policy.get('PolicyName')}", statement, False)
        elif kind in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            for statement in _statements(props.get("PolicyDocument")):
                yield Located(logical_id, statement, False)
        elif kind in RESOURCE_POLICY_PROPERTIES:
            for statement in _statements(props.get(RESOURCE_POLICY_PROPERTIES[kind])):
                yield Located(logical_id, statement, True)
    for kind in ("Function", "StateMachine"):
        assert "Policies" not in template.get("Globals", {}).get(kind, {}), "Globals Policies"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def is_mutating(action: str) -> bool:
    """True unless the action only reads (a wildcard could match writes, so it mutates)."""
    _, _, name = action.partition(":")
    return "*" in name or not name.startswith(READ_VERBS)


def is_account_root_key_admin(located: Located, template: dict[str, Any]) -> bool:
    """The KMS key policy's statement that lets the account (its IAM) manage the key."""
    resource = template["Resources"].get(located.where, {})
    principal = located.statement.get("Principal", {})
    aws = principal.get("AWS") if isinstance(principal, dict) else None
    root = isinstance(aws, dict) and str(aws.get("Fn::Sub", "")).endswith(":root")
    return resource.get("Type") == "AWS::KMS::Key" and root


def violations(template: dict[str, Any]) -> list[str]:
    """Every least-privilege breach in the template, as readable lines."""
    found: list[str] = []
    for located in all_statements(template):
        statement = located.statement
        sid = f"{located.where} {statement.get('Sid', '')}".strip()
        if statement.get("Effect") != "Allow":
            continue  # a Deny only takes away (e.g. the TLS-only bucket statements)
        if "NotAction" in statement or "NotResource" in statement:
            found.append(f"{sid}: Allow with NotAction/NotResource")
            continue
        actions = [str(action) for action in _listed(statement.get("Action", []))]
        for action in actions:
            service_wide = action == "*" or action.endswith(":*")
            if service_wide and not is_account_root_key_admin(located, template):
                found.append(f"{sid}: grants {action}")
        if located.resource_policy:
            continue  # "*" is the resource the policy is attached to
        if "*" not in _listed(statement.get("Resource")):
            continue
        for action in actions:
            if is_mutating(action) and action not in UNSCOPABLE_WRITES:
                found.append(f'{sid}: {action} on Resource "*"')
    return found


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(default_template_path())


def test_template_declares_the_policies_this_test_reads(template: dict[str, Any]) -> None:
    where = {located.where.split(".")[0] for located in all_statements(template)}
    functions = {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert functions and functions <= where  # every function has a scoped policy of its own
    assert {"EdgeguardKey", "AppExecutionRole", "AutoBlockStateMachine"} <= where


def test_no_wildcard_or_unscoped_write_in_any_allow_statement(template: dict[str, Any]) -> None:
    assert violations(template) == []


def test_the_check_catches_what_it_is_for() -> None:
    bad = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Policies": [
                        {
                            "Statement": [
                                {"Effect": "Allow", "Action": "wafv2:UpdateIPSet", "Resource": "*"},
                                {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:x"},
                                {"Effect": "Allow", "Action": "sns:Publish", "Resource": ["*"]},
                                {"Effect": "Allow", "Action": "wafv2:ListWebACLs", "Resource": "*"},
                                {
                                    "Effect": "Allow",
                                    "Action": "xray:PutTraceSegments",
                                    "Resource": "*",
                                },
                                {"Effect": "Deny", "Action": "*", "Resource": "*"},
                            ]
                        }
                    ]
                },
            },
            "Topic": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [{"Effect": "Allow", "Action": "sns:*", "Resource": "*"}]
                    }
                },
            },
        }
    }
    assert violations(bad) == [
        'Fn.Policies[0]: wafv2:UpdateIPSet on Resource "*"',
        "Fn.Policies[0]: grants s3:*",
        'Fn.Policies[0]: sns:Publish on Resource "*"',
        "Topic: grants sns:*",
    ]


def test_read_and_write_verbs() -> None:
    assert not is_mutating("wafv2:ListWebACLs")
    assert not is_mutating("ec2:DescribeManagedPrefixLists")
    assert is_mutating("wafv2:UpdateIPSet")
    assert is_mutating("kms:GenerateDataKey*")
    assert is_mutating("cloudtrail:StartLogging")
