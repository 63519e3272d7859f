"""The local cloud's CloudFormation API: its deployment seen as a stack.

The local cloud creates the template's resources itself (moto's CloudFormation skips
WAFv2 resources, and cannot even be imported here without its extra's dependencies), so
no CloudFormation stack exists for what it created. ``StackApi`` answers the calls that
edgeguard's commands make against a deployed stack (DescribeStacks, ListStackResources,
GetTemplate, DeleteStack) from a ``RecordedStack``, through the botocore hook in
``edgeguard_tools.local.hooks``; the same code then runs against AWS and the local cloud.

DeleteStack does what CloudFormation does ("AWS CloudFormation User Guide": DeletionPolicy
attribute; "AWS CloudFormation API Reference": DeleteStack):

- resources are deleted in the reverse of creation order; one whose DeletionPolicy is
  Retain, RetainExceptOnCreate or Snapshot is left as it is (DELETE_SKIPPED);
- a resource whose deletion fails (an S3 bucket that is not empty) is DELETE_FAILED with
  the error as its reason; the stack stays, DELETE_FAILED, its reason naming them;
- RetainResources is accepted only for a stack in DELETE_FAILED;
- afterwards DescribeStacks, ListStackResources (retained resources DELETE_SKIPPED) and
  GetTemplate answer by stack id, not by name, and ListStacks lists it DELETE_COMPLETE.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

RETAINING_POLICIES = frozenset({"Retain", "RetainExceptOnCreate", "Snapshot"})


@dataclass
class RecordedResource:
    """One resource of a recorded stack."""

    logical_id: str
    physical_id: str
    type: str
    deletion_policy: str = "Delete"
    status: str = "CREATE_COMPLETE"
    reason: str = ""


Deleter = Callable[[RecordedResource], None]


@dataclass
class RecordedStack:
    """A stack of resources that already exist: what DescribeStacks, ListStackResources
    and GetTemplate answer, and how DeleteStack deletes them (``deleter``)."""

    name: str
    stack_id: str
    template: dict[str, Any]
    parameters: dict[str, str]
    outputs: dict[str, str]
    resources: list[RecordedResource]  # creation order
    deleter: Deleter
    status: str = "CREATE_COMPLETE"
    reason: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    deleted: datetime | None = None

    def delete(self, retain: frozenset[str]) -> None:
        """Delete as CloudFormation does (module docstring)."""
        failed = []
        for resource in reversed(self.resources):
            if resource.status in {"DELETE_COMPLETE", "DELETE_SKIPPED"}:
                continue
            if resource.deletion_policy in RETAINING_POLICIES or resource.logical_id in retain:
                resource.status, resource.reason = "DELETE_SKIPPED", ""
                continue
            try:
                self.deleter(resource)
            except Exception as error:  # CloudFormation records any failure and goes on
                resource.status, resource.reason = "DELETE_FAILED", str(error)
                failed.append(resource.logical_id)
            else:
                resource.status, resource.reason = "DELETE_COMPLETE", ""
        if failed:
            self.status = "DELETE_FAILED"
            self.reason = f"The following resource(s) failed to delete: [{', '.join(failed)}]. "
        else:
            self.status, self.reason = "DELETE_COMPLETE", ""
            self.deleted = datetime.now(UTC)

    def describe(self) -> dict[str, Any]:
        """The stack as DescribeStacks gives it."""
        out: dict[str, Any] = {
            "StackId": self.stack_id,
            "StackName": self.name,
            "CreationTime": self.created,
            "StackStatus": self.status,
            "Parameters": [
                {"ParameterKey": k, "ParameterValue": v} for k, v in self.parameters.items()
            ],
            "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()],
        }
        if self.reason:
            out["StackStatusReason"] = self.reason
        return out


class StackError(Exception):
    """A CloudFormation error response: ``code`` and ``message`` as AWS sends them."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StackApi:
    """The recorded stacks of the running local cloud, and the calls answered for them."""

    def __init__(self) -> None:
        self.stacks: list[RecordedStack] = []

    def record(self, stack: RecordedStack) -> None:
        """Add a stack; ValueError when one of that name exists (and is not deleted)."""
        if any(s.name == stack.name and s.status != "DELETE_COMPLETE" for s in self.stacks):
            raise ValueError(f"a stack named {stack.name!r} exists")
        self.stacks.append(stack)

    def find(self, name_or_id: str) -> RecordedStack:
        """The stack by name (not deleted) or by id (any status); StackError otherwise."""
        for stack in self.stacks:
            if stack.stack_id == name_or_id or (
                stack.name == name_or_id and stack.status != "DELETE_COMPLETE"
            ):
                return stack
        raise StackError("ValidationError", f"Stack with id {name_or_id} does not exist")

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Answer one API call; raises StackError as CloudFormation would."""
        if operation == "DescribeStacks" and not params.get("StackName"):
            live = [s for s in self.stacks if s.status != "DELETE_COMPLETE"]
            return {"Stacks": [s.describe() for s in live]}
        if operation == "ListStacks":
            wanted = set(params.get("StackStatusFilter") or [])
            return {
                "StackSummaries": [
                    {
                        "StackId": s.stack_id,
                        "StackName": s.name,
                        "StackStatus": s.status,
                        "CreationTime": s.created,
                        **({"DeletionTime": s.deleted} if s.deleted else {}),
                    }
                    for s in reversed(self.stacks)
                    if not wanted or s.status in wanted
                ]
            }
        stack = self.find(str(params.get("StackName")))
        if operation == "DescribeStacks":
            return {"Stacks": [stack.describe()]}
        if operation == "ListStackResources":
            return {"StackResourceSummaries": [_summary(r, stack) for r in stack.resources]}
        if operation == "GetTemplate":
            return {"TemplateBody": copy.deepcopy(stack.template)}
        if operation == "DeleteStack":
            retain = frozenset(params.get("RetainResources") or [])
            if retain and stack.status != "DELETE_FAILED":
                raise StackError(
                    "ValidationError",
                    "Invalid operation on stack: RetainResources can only be specified "
                    "when the stack is in DELETE_FAILED state",
                )
            if stack.status != "DELETE_COMPLETE":
                stack.delete(retain)
            return {}
        raise StackError("ValidationError", f"{operation} is not emulated by the local cloud")


def _summary(resource: RecordedResource, stack: RecordedStack) -> dict[str, Any]:
    out = {
        "LogicalResourceId": resource.logical_id,
        "PhysicalResourceId": resource.physical_id,
        "ResourceType": resource.type,
        "LastUpdatedTimestamp": stack.created,
        "ResourceStatus": resource.status,
    }
    if resource.reason:
        out["ResourceStatusReason"] = resource.reason
    return out
