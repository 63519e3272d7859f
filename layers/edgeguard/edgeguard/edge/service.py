"""Custom resource Custom::ManagedPrefixList: the id of an AWS-managed prefix list by name.

CloudFormation has no lookup for managed prefix lists, and their ids differ per region, so
the ALB's security group gets CloudFront's origin-facing list id at deploy time from
EC2 DescribeManagedPrefixLists instead of a hard-coded pl- id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edgeguard.edge.custom_resource import REQUIRED, respond
from edgeguard.errors import EdgeguardError

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"


class PrefixListNotFound(EdgeguardError, RuntimeError):
    """The prefix list does not exist in this region."""


def find_prefix_list(ec2: EC2Client, name: str) -> dict[str, str]:
    """Id and ARN of the managed prefix list called ``name``.

    Returns ``{"PrefixListId": ..., "PrefixListArn": ...}`` (ARN "" if EC2 gave none).

    Raises:
        PrefixListNotFound: no list of that name in the client's region.
        botocore.exceptions.ClientError: DescribeManagedPrefixLists failed.
    """
    response = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [name]}]
    )
    lists = [p for p in response.get("PrefixLists", []) if p.get("PrefixListName") == name]
    if not lists:
        raise PrefixListNotFound(f"no managed prefix list named {name} in this region")
    found = lists[0]
    return {"PrefixListId": found["PrefixListId"], "PrefixListArn": found.get("PrefixListArn", "")}


def handle(event: dict[str, Any], ec2: EC2Client) -> str:
    """Look the list up on Create/Update, do nothing on Delete; always answer. Returns status.

    ``PrefixListName`` (resource property) defaults to CloudFront's origin-facing list.
    A failed lookup is answered FAILED with the reason and returns "FAILED".

    Raises:
        ValueError: the event is not a custom resource request (a field is missing).
        urllib.error.URLError: the answer could not be sent (see ``respond``).
    """
    missing = [key for key in REQUIRED if not event.get(key)]
    if missing:
        raise ValueError(f"not a CloudFormation custom resource request: missing {missing}")
    kind = event["RequestType"]
    previous = str(event.get("PhysicalResourceId") or "")
    if kind == "Delete":
        respond(event, "SUCCESS", previous or "none")
        return "SUCCESS"
    name = str((event.get("ResourceProperties") or {}).get("PrefixListName") or "")
    name = name or CLOUDFRONT_ORIGIN_FACING
    try:
        data = find_prefix_list(ec2, name)
    except Exception as error:
        # A failed Create has no resource yet; keep the old id on a failed Update.
        respond(
            event, "FAILED", previous or "lookup-failed", reason=f"{type(error).__name__}: {error}"
        )
        return "FAILED"
    respond(event, "SUCCESS", data["PrefixListId"], data=data)
    return "SUCCESS"
