"""Answering a CloudFormation custom resource request: PUT the result to its ResponseURL.

The response format is CloudFormation's documented one (Status, Reason, PhysicalResourceId,
StackId, RequestId, LogicalResourceId, Data). A request that is never answered leaves the
stack waiting for an hour, so every failure is answered FAILED with a reason.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

REQUIRED = ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId")


def respond(
    event: dict[str, Any],
    status: str,
    physical_id: str,
    *,
    data: dict[str, str] | None = None,
    reason: str = "",
    timeout: float = 10.0,
) -> int:
    """Send the result to CloudFormation's pre-signed URL; returns the HTTP status.

    ``status`` is "SUCCESS" or "FAILED"; ``reason`` is cut to 500 characters. Format:
    "AWS CloudFormation User Guide: Custom resource response objects".

    Raises:
        ValueError: ResponseURL is not an http(s) URL.
        KeyError: a required request field is missing.
        urllib.error.URLError: the PUT failed (HTTPError for a non-2xx answer).
    """
    url = str(event["ResponseURL"])
    if not url.startswith(("https://", "http://")):
        raise ValueError("ResponseURL must be an http(s) URL")
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:500] or f"{status}: see the function's log",
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "NoEcho": False,
            "Data": data or {},
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return int(response.status)
