"""The local cloud as a CloudFormation stack: recorded, described and deleted like one.

``LocalStacks.record_stack(stack, client)`` registers what provisioning created as a
CloudFormation stack (``edgeguard_tools.local.cloudformation``): every resource with its logical id,
physical id, type and DeletionPolicy, the template's parameters and its outputs (those
that resolve locally). ``edgeguard teardown``, ``edgeguard selftest`` and the circuit
breaker then reach the local cloud through the CloudFormation API, as they reach AWS.

DeleteStack calls ``delete`` for each resource: the API call CloudFormation makes for
that type. A resource that was not created in moto (wiring, stand-ins) has nothing to
delete. A type that is created but has no deleter here fails its deletion, so a gap
shows as DELETE_FAILED rather than as a resource silently left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edgeguard_tools.local import moto_ext
from edgeguard_tools.local.cloudformation import (
    RecordedResource,
    RecordedStack,
    StackApi,
    StackError,
)
from edgeguard_tools.local.hooks import api_response
from edgeguard_tools.local.resources import ClientFactory
from edgeguard_tools.local.stack import Stack
from edgeguard_tools.local.template import TemplateError, topological_order


def _waf(kind: str) -> Callable[[ClientFactory, str], None]:
    def delete(client: ClientFactory, ref: str) -> None:
        name, item_id, scope = ref.split("|")
        waf = client("wafv2")
        getter = getattr(waf, f"get_{kind}")
        lock = getter(Name=name, Scope=scope, Id=item_id)["LockToken"]
        getattr(waf, f"delete_{kind}")(Name=name, Scope=scope, Id=item_id, LockToken=lock)

    return delete


def _distribution(client: ClientFactory, distribution_id: str) -> None:
    # CloudFormation disables a distribution, waits for it to deploy, then deletes it.
    cloudfront = client("cloudfront")
    current = cloudfront.get_distribution_config(Id=distribution_id)
    config = current["DistributionConfig"]
    etag = current["ETag"]
    if config.get("Enabled"):
        config["Enabled"] = False
        etag = cloudfront.update_distribution(
            Id=distribution_id, IfMatch=etag, DistributionConfig=config
        )["ETag"]
        moto_ext.settle_distribution(distribution_id)
    cloudfront.delete_distribution(Id=distribution_id, IfMatch=etag)


def _glue_table(client: ClientFactory, name: str) -> None:
    # A table's Ref is its name; CloudFormation knows its database, so find it.
    glue = client("glue")
    for database in glue.get_databases()["DatabaseList"]:
        tables = glue.get_tables(DatabaseName=database["Name"])["TableList"]
        if any(table["Name"] == name for table in tables):
            glue.delete_table(DatabaseName=database["Name"], Name=name)


_DELETERS: dict[str, Callable[[ClientFactory, str], Any]] = {
    "AWS::DynamoDB::Table": lambda c, ref: c("dynamodb").delete_table(TableName=ref),
    "AWS::Serverless::SimpleTable": lambda c, ref: c("dynamodb").delete_table(TableName=ref),
    "AWS::S3::Bucket": lambda c, ref: c("s3").delete_bucket(Bucket=ref),
    "AWS::SQS::Queue": lambda c, ref: c("sqs").delete_queue(QueueUrl=ref),
    "AWS::SNS::Topic": lambda c, ref: c("sns").delete_topic(TopicArn=ref),
    # AWS::KMS::Key PendingWindowInDays defaults to 30 (AWS::KMS::Key, CloudFormation docs)
    "AWS::KMS::Key": lambda c, ref: c("kms").schedule_key_deletion(
        KeyId=ref, PendingWindowInDays=30
    ),
    "AWS::KMS::Alias": lambda c, ref: c("kms").delete_alias(AliasName=ref),
    "AWS::SecretsManager::Secret": lambda c, ref: c("secretsmanager").delete_secret(
        SecretId=ref, ForceDeleteWithoutRecovery=True
    ),
    "AWS::WAFv2::IPSet": _waf("ip_set"),
    "AWS::WAFv2::RegexPatternSet": _waf("regex_pattern_set"),
    "AWS::WAFv2::WebACL": _waf("web_acl"),
    "AWS::CloudTrail::Trail": lambda c, ref: c("cloudtrail").delete_trail(Name=ref),
    "AWS::SecurityHub::Hub": lambda c, ref: c("securityhub").disable_security_hub(),
    "AWS::SecurityHub::ActionTarget": lambda c, ref: c("securityhub").delete_action_target(
        ActionTargetArn=ref
    ),
    "AWS::SSM::Parameter": lambda c, ref: c("ssm").delete_parameter(Name=ref),
    "AWS::Logs::LogGroup": lambda c, ref: c("logs").delete_log_group(logGroupName=ref),
    "AWS::CloudFront::Distribution": _distribution,
    "AWS::CloudWatch::Alarm": lambda c, ref: c("cloudwatch").delete_alarms(AlarmNames=[ref]),
    "AWS::Events::EventBus": lambda c, ref: c("events").delete_event_bus(Name=ref),
    "AWS::Kinesis::Stream": lambda c, ref: c("kinesis").delete_stream(
        StreamName=ref, EnforceConsumerDeletion=True
    ),
    "AWS::Glue::Table": _glue_table,
    "AWS::Glue::Database": lambda c, ref: c("glue").delete_database(Name=ref),
    "AWS::Athena::WorkGroup": lambda c, ref: c("athena").delete_work_group(
        WorkGroup=ref, RecursiveDeleteOption=True
    ),
    "AWS::StepFunctions::StateMachine": lambda c, ref: c("stepfunctions").delete_state_machine(
        stateMachineArn=ref
    ),
    "AWS::Serverless::StateMachine": lambda c, ref: c("stepfunctions").delete_state_machine(
        stateMachineArn=ref
    ),
}


class LocalStacks(StackApi):
    """The running local cloud's stack, answered through the botocore hook.

    ``on_delete()`` runs before a DeleteStack deletes anything: the cloud stops
    delivering along the wiring (its queues and streams are going away).
    """

    def __init__(self, on_delete: Callable[[], None]) -> None:
        super().__init__()
        self.on_delete = on_delete

    def answer(self, operation: str, params: dict[str, Any]) -> Any:
        """The hook's answer to any CloudFormation call (moto's CloudFormation is not
        used: it imports every moto service and needs its extra's dependencies)."""
        try:
            if operation == "DeleteStack":
                self.on_delete()
            return api_response("cloudformation", 200, self.call(operation, params))
        except StackError as error:
            body = {"Error": {"Code": error.code, "Message": error.message, "Type": "Sender"}}
            return api_response("cloudformation", 400, body)

    def record_stack(self, stack: Stack, client: ClientFactory) -> str:
        """Record the provisioned ``stack`` under the template's stack name; its id."""
        recorded = recorded_stack(stack, client)
        self.record(recorded)
        return recorded.stack_id


def recorded_stack(stack: Stack, client: ClientFactory) -> RecordedStack:
    """The provisioned ``stack`` as a RecordedStack (resources in creation order)."""
    template = stack.template
    raw = template.raw
    created = {k for k, p in stack.physical.items() if p.created}

    def delete(resource: RecordedResource) -> None:
        if resource.logical_id not in created:
            return  # wiring or a stand-in: nothing exists in moto
        deleter = _DELETERS.get(resource.type)
        if deleter is None:
            raise NotImplementedError(f"no local deleter for {resource.type}")
        deleter(client, resource.physical_id)

    ordered = topological_order(template, list(stack.physical))
    resources = [
        RecordedResource(
            logical_id=logical_id,
            physical_id=str(stack.physical[logical_id].ref),
            type=str(raw["Resources"][logical_id]["Type"]),
            deletion_policy=str(raw["Resources"][logical_id].get("DeletionPolicy", "Delete")),
        )
        for logical_id in ordered
    ]
    outputs = {}
    for key, output in (raw.get("Outputs") or {}).items():
        if output.get("Condition") and not template.condition(output["Condition"]):
            continue
        try:
            value = stack.resolve(output.get("Value"))
        except (KeyError, ValueError, TemplateError):
            continue  # refers to what is not emulated locally
        if isinstance(value, str | int | float):
            outputs[key] = str(value)
    return RecordedStack(
        name=template.stack_name,
        stack_id=str(template.pseudo("AWS::StackId")),
        template=raw,
        parameters={
            k: ",".join(v) if isinstance(v, list) else str(v)
            for k, v in template.parameters.items()
        },
        outputs=outputs,
        resources=resources,
        deleter=delete,
    )
