"""CloudWatch Logs subscription filters: log events put in a group reach the filter's function.

``subscription_filters`` reads the template's ``AWS::Logs::SubscriptionFilter``
resources (those whose Condition holds) whose destination is a function of the stack.
``LogsSubscriptionDelivery.put_log_events`` writes events into the group (moto keeps
them) and hands each matching filter's function what CloudWatch Logs hands a Lambda
destination: ``{"awslogs": {"data": base64(gzip(json))}}``, the JSON being a
``DATA_MESSAGE`` with owner, logGroup, logStream, subscriptionFilters and logEvents
(id, timestamp, message), invoked asynchronously (retries, then the function's DLQ).
Source of the shape: "Amazon CloudWatch Logs User Guide: Log group-level
subscription filters" (Example: Subscription filters with AWS Lambda).

Filter patterns: "" (every event) and plain terms (every term, case-sensitive, in the
message) are matched; any other pattern syntax raises ``NotImplementedError`` rather
than deliver what the deployed filter might not.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ACCOUNT = "123456789012"


@dataclass(frozen=True)
class SubscriptionFilter:
    """One template subscription filter: its group (physical name), function, pattern."""

    logical_id: str
    name: str
    log_group: str
    function: str
    pattern: str


def subscription_filters(
    resources: dict[str, dict[str, Any]],
    resolve: Callable[[Any], Any],
    owner_of: Callable[[str], str | None],
) -> list[SubscriptionFilter]:
    """The filters among ``resources`` (a template's, conditions applied) that reach a function.

    ``resolve`` resolves intrinsics; ``owner_of(arn)`` gives the logical id of a function
    ARN (None for a destination outside the stack, which is left out).
    """
    found = []
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Logs::SubscriptionFilter":
            continue
        props = resolve(resource.get("Properties") or {})
        function = owner_of(str(props["DestinationArn"]))
        if function is None:
            continue
        found.append(
            SubscriptionFilter(
                logical_id,
                str(props.get("FilterName") or logical_id),
                str(props["LogGroupName"]),
                function,
                str(props.get("FilterPattern") or ""),
            )
        )
    return found


def matches(pattern: str, message: str) -> bool:
    """Whether a filter pattern of plain terms matches ``message`` ("" matches all)."""
    text = pattern.strip()
    if not text:
        return True
    if text[0] in "{[" or any(term.startswith(("-", "?")) for term in text.split()):
        raise NotImplementedError(f"filter pattern {pattern!r} is not emulated locally")
    return all(term in message for term in shlex.split(text))


def subscription_event(
    log_group: str, log_stream: str, filter_name: str, events: list[dict[str, Any]]
) -> dict[str, Any]:
    """The event a Lambda destination receives for ``events`` ({id, timestamp, message})."""
    message = {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT,
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": [filter_name],
        "logEvents": events,
    }
    data = gzip.compress(json.dumps(message).encode())
    return {"awslogs": {"data": base64.b64encode(data).decode()}}


class LogsSubscriptionDelivery:
    """Puts log events and delivers them through the template's subscription filters.

    ``client(service)`` gives a boto3 client; ``filters()`` the current filters;
    ``invoke_async(logical_id, event, source)`` invokes a function as CloudWatch Logs does.
    """

    def __init__(
        self,
        client: Callable[[str], Any],
        filters: Callable[[], list[SubscriptionFilter]],
        invoke_async: Callable[[str, Any, str], Any],
    ) -> None:
        self._client = client
        self._filters = filters
        self._invoke_async = invoke_async
        self._sequence = 0

    def put_log_events(
        self, log_group: str, log_stream: str, messages: list[str], timestamp_ms: int
    ) -> list[str]:
        """Write ``messages`` (one event each, at ``timestamp_ms``) and deliver them.

        The stream is created when missing. Returns the functions invoked, once per
        matching filter with its matching events.
        """
        logs = self._client("logs")
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_stream(logGroupName=log_group, logStreamName=log_stream)
        logs.put_log_events(
            logGroupName=log_group,
            logStreamName=log_stream,
            logEvents=[{"timestamp": timestamp_ms, "message": m} for m in messages],
        )
        events: list[dict[str, Any]] = []
        for message in messages:
            self._sequence += 1
            events.append(
                {
                    "id": f"{timestamp_ms:020d}{self._sequence:016d}",
                    "timestamp": timestamp_ms,
                    "message": message,
                }
            )
        reached = []
        for subscription in self._filters():
            if subscription.log_group != log_group:
                continue
            chosen = [e for e in events if matches(subscription.pattern, str(e["message"]))]
            if not chosen:
                continue
            event = subscription_event(log_group, log_stream, subscription.name, chosen)
            self._invoke_async(subscription.function, event, f"log group {log_group}")
            reached.append(subscription.function)
        return reached
