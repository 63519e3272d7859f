"""Take an edgeguard stack down completely, so that the same Environment deploys again.

``sam delete`` alone leaves two things behind ("AWS CloudFormation User Guide":
DeletionPolicy attribute; "Delete a stack"): resources whose DeletionPolicy is Retain
(the decisions table, under a fixed name, ``edgeguard-<env>-decisions``: the next deploy
fails with "already exists"), and it fails on S3 buckets that still hold objects (the
log buckets), leaving the stack DELETE_FAILED.

``teardown`` reads the stack's resources and each one's DeletionPolicy (GetTemplate,
processed stage) before anything is deleted, empties the stack's buckets (every object
version and delete marker), deletes the stack and waits for it, then deletes what
CloudFormation retained. With ``keep_data`` the data stays: buckets are not emptied
(CloudFormation is then asked to retain the ones it could not delete) and retained
tables are kept. Every step is reported through ``say``; what was deleted and what was
kept are returned.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

RETAINING_POLICIES = frozenset({"Retain", "RetainExceptOnCreate", "Snapshot"})
DATA_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::S3::Bucket"})
POLL_SECONDS = 10.0
TIMEOUT_SECONDS = 3600.0  # a CloudFront distribution alone takes many minutes to disable


class TeardownError(RuntimeError):
    """The stack could not be taken down; the message says what is left and what to do."""


@dataclass(frozen=True)
class StackResource:
    """A resource of the stack: ids, type and DeletionPolicy (``Delete`` when unset)."""

    logical_id: str
    physical_id: str
    type: str
    policy: str = "Delete"

    @property
    def label(self) -> str:
        return f"{self.logical_id} {self.physical_id} ({self.type})"


@dataclass
class TeardownReport:
    """What one teardown did: stack deleted or not, resources deleted and kept."""

    stack: str
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    emptied: list[str] = field(default_factory=list)


def _template(cfn: Any, stack_id: str) -> dict[str, Any]:
    body = cfn.get_template(StackName=stack_id, TemplateStage="Processed")["TemplateBody"]
    if isinstance(body, dict):
        return body
    try:
        return dict(json.loads(body))
    except ValueError:
        return dict(yaml.load(body, Loader=_CfnLoader))  # noqa: S506 - tags only, below


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags read as plain values (only the
    resources' Type and DeletionPolicy are used)."""


_CfnLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
    ),
)


def _deleted_stack_id(cfn: Any, stack_name: str) -> str | None:
    """The id of the latest deleted stack of that name (CloudFormation keeps deleted
    stacks visible by id for 90 days: ListStacks), or None."""
    latest: tuple[Any, str] | None = None
    for page in cfn.get_paginator("list_stacks").paginate(StackStatusFilter=["DELETE_COMPLETE"]):
        for summary in page["StackSummaries"]:
            if summary["StackName"] == stack_name:
                when = summary.get("DeletionTime") or summary.get("CreationTime")
                if latest is None or when > latest[0]:
                    latest = (when, summary["StackId"])
    return latest[1] if latest else None


def read_stack(cfn: Any, stack_name: str) -> tuple[str, list[StackResource], bool]:
    """The stack's id, its resources with each one's DeletionPolicy, and whether the
    stack was deleted already (then the resources are what its deletion left: those it
    skipped, i.e. retained).

    Raises TeardownError when no stack of that name exists or ever did, or when it is
    being deleted right now.
    """
    from botocore.exceptions import ClientError  # noqa: PLC0415

    deleted = False
    try:
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        stack_id = stack["StackId"]
    except ClientError as error:
        found = _deleted_stack_id(cfn, stack_name)
        if found is None:
            raise TeardownError(f"no stack {stack_name!r}: {error}") from None
        stack_id, deleted = found, True
    else:
        if stack["StackStatus"] == "DELETE_IN_PROGRESS":
            raise TeardownError(
                f"stack {stack_name!r} is being deleted already; wait and run again"
            )
    declared = _template(cfn, stack_id).get("Resources") or {}
    resources = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id):
        for summary in page["StackResourceSummaries"]:
            if deleted and summary["ResourceStatus"] != "DELETE_SKIPPED":
                continue
            logical = summary["LogicalResourceId"]
            policy = (declared.get(logical) or {}).get("DeletionPolicy", "Delete")
            resources.append(
                StackResource(
                    logical,
                    summary.get("PhysicalResourceId", ""),
                    summary["ResourceType"],
                    "Retain" if deleted else str(policy),
                )
            )
    return stack_id, resources, deleted


def empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker of ``bucket``; returns how many."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    removed = 0
    try:
        pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return 0
        raise
    for page in pages:
        keys = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
            chunk = keys[start : start + 1000]
            s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
            removed += len(chunk)
    return removed


def _wait(
    cfn: Any, stack_id: str, sleep: Callable[[float], None], timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
        if stack["StackStatus"] in {"DELETE_COMPLETE", "DELETE_FAILED"}:
            return dict(stack)
        if time.monotonic() > deadline:
            raise TeardownError(
                f"stack {stack_id} is still {stack['StackStatus']} after {timeout:.0f} s; "
                "watch it in the CloudFormation console and run teardown again"
            )
        sleep(POLL_SECONDS)


def _failed(cfn: Any, stack_id: str) -> list[dict[str, Any]]:
    return [
        s
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id)
        for s in page["StackResourceSummaries"]
        if s["ResourceStatus"] == "DELETE_FAILED"
    ]


def delete_retained(session: Any, resource: StackResource) -> bool:
    """Delete one resource CloudFormation left behind (the types edgeguard retains or
    that hold data); False when it was gone already. Raises TeardownError for a type it
    does not know; other botocore errors propagate."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    try:
        _delete_retained(session, resource)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in GONE:
            return False
        raise
    return True


GONE = frozenset({"ResourceNotFoundException", "NoSuchBucket", "NotFoundException"})


def _delete_retained(session: Any, resource: StackResource) -> None:
    kind, ref = resource.type, resource.physical_id
    if kind == "AWS::DynamoDB::Table":
        dynamodb = session.client("dynamodb")
        table = dynamodb.describe_table(TableName=ref)["Table"]
        if table.get("DeletionProtectionEnabled"):
            dynamodb.update_table(TableName=ref, DeletionProtectionEnabled=False)
            dynamodb.get_waiter("table_exists").wait(TableName=ref)
        dynamodb.delete_table(TableName=ref)
    elif kind == "AWS::S3::Bucket":
        s3 = session.client("s3")
        empty_bucket(s3, ref)
        s3.delete_bucket(Bucket=ref)
    elif kind == "AWS::Logs::LogGroup":
        session.client("logs").delete_log_group(logGroupName=ref)
    elif kind == "AWS::KMS::Key":
        session.client("kms").schedule_key_deletion(KeyId=ref, PendingWindowInDays=7)
    elif kind == "AWS::SecretsManager::Secret":
        session.client("secretsmanager").delete_secret(
            SecretId=ref, ForceDeleteWithoutRecovery=True
        )
    else:
        raise TeardownError(f"{resource.label} was retained; delete it by hand")


def purge_scheduled_secrets(session: Any, secrets: list[StackResource]) -> list[StackResource]:
    """Delete at once the secrets among ``secrets`` that wait out a recovery window.

    A secret deleted with a recovery window keeps its name until the window ends (7-30
    days), so a redeploy with the same Environment would fail with "a secret with this
    name is already scheduled for deletion" ("AWS Secrets Manager API Reference:
    DeleteSecret"). Returns the secrets purged; a secret already gone is skipped.
    """
    from botocore.exceptions import ClientError  # noqa: PLC0415

    client = session.client("secretsmanager")
    purged = []
    for secret in secrets:
        try:
            scheduled = client.describe_secret(SecretId=secret.physical_id).get("DeletedDate")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in GONE:
                continue
            raise
        if scheduled and delete_retained(session, secret):  # its force-delete, GONE-tolerant
            purged.append(secret)
    return purged


def teardown(
    session: Any,
    stack_name: str,
    *,
    keep_data: bool = False,
    say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = TIMEOUT_SECONDS,
) -> TeardownReport:
    """Delete the stack and what CloudFormation leaves behind (see the module docstring).

    Raises TeardownError (what is left, and what to do) when the stack does not exist or
    cannot be deleted; botocore errors of the clean-up calls propagate.
    """
    cfn = session.client("cloudformation")
    s3 = session.client("s3")
    stack_id, resources, deleted = read_stack(cfn, stack_name)
    report = TeardownReport(stack_name)
    if deleted:
        say(f"stack {stack_name} was deleted already; deleting what it retained")
        _purge_secrets(session, resources, report)
        _delete_retained_all(session, resources, keep_data, report, say)
        return report
    by_logical = {r.logical_id: r for r in resources}
    buckets = [r for r in resources if r.type == "AWS::S3::Bucket"]
    if not keep_data:
        for bucket in buckets:
            count = empty_bucket(s3, bucket.physical_id)
            report.emptied.append(f"{bucket.label}: {count} object version(s)")
            say(f"emptied {bucket.label}: {count} object version(s)")
    say(f"deleting stack {stack_name} ({len(resources)} resources); this can take minutes")
    cfn.delete_stack(StackName=stack_id)
    stack = _wait(cfn, stack_id, sleep, timeout)
    retained_on_request: list[StackResource] = []
    if stack["StackStatus"] == "DELETE_FAILED":
        failed = [by_logical.get(s["LogicalResourceId"]) for s in _failed(cfn, stack_id)]
        blocking = [r for r in failed if r is not None]
        if keep_data:
            retained_on_request = [r for r in blocking if r.type in DATA_TYPES]
        else:
            for bucket in (r for r in blocking if r.type == "AWS::S3::Bucket"):
                empty_bucket(s3, bucket.physical_id)  # objects that arrived meanwhile
        cfn.delete_stack(
            StackName=stack_id, RetainResources=[r.logical_id for r in retained_on_request]
        )
        stack = _wait(cfn, stack_id, sleep, timeout)
        if stack["StackStatus"] != "DELETE_COMPLETE":
            left = ", ".join(s["LogicalResourceId"] for s in _failed(cfn, stack_id))
            raise TeardownError(
                f"stack {stack_name} is DELETE_FAILED ({stack.get('StackStatusReason', '')}); "
                f"left: {left}. Fix the cause shown in the stack's events and run teardown again"
            )
    retained = [r for r in resources if r.policy in RETAINING_POLICIES]
    others = len(resources) - len(retained) - len(retained_on_request)
    report.deleted.append(f"stack {stack_name} and its other {others} resources")
    _purge_secrets(session, resources, report)
    for resource in retained_on_request:
        report.kept.append(f"{resource.label}: kept (--keep-data)")
    _delete_retained_all(session, retained, keep_data, report, say)
    return report


def _purge_secrets(session: Any, resources: list[StackResource], report: TeardownReport) -> None:
    secrets = [r for r in resources if r.type == "AWS::SecretsManager::Secret"]
    for secret in purge_scheduled_secrets(session, secrets):
        report.deleted.append(f"{secret.label}: scheduled for deletion, purged now")


def _delete_retained_all(
    session: Any,
    retained: list[StackResource],
    keep_data: bool,
    report: TeardownReport,
    say: Callable[[str], None],
) -> None:
    for resource in retained:
        if keep_data and resource.type in DATA_TYPES:
            report.kept.append(f"{resource.label}: kept (--keep-data)")
        elif delete_retained(session, resource):
            report.deleted.append(f"{resource.label}: retained by CloudFormation, deleted")
        else:
            report.deleted.append(f"{resource.label}: retained by CloudFormation, already gone")
    for line in report.deleted:
        say(f"deleted {line}")
    for line in report.kept:
        say(f"kept    {line}")
