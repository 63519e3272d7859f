"""SNS: a topic's publications delivered to its subscribed functions.

``publication_message`` turns a Publish (or PublishBatch entry) into the message SNS
keeps; ``SnsDelivery.deliver`` sends it to every function subscription of the topic
whose filter policy (attributes or body scope, the event-pattern operators) passes, as
the ``{"Records": [{"EventSource": "aws:sns", "Sns": ...}]}`` event Lambda receives.
SNS -> SQS subscriptions are moto's own and not handled here.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from edgeguard_tools.local.patterns import matches
from edgeguard_tools.local.wiring import Wiring


class SnsDelivery:
    """Delivers publications to the template's function subscriptions.

    ``wiring().subscriptions`` lists them; ``topic_of(arn)`` gives a topic ARN's logical id (None
    for a topic the template does not declare); ``invoke_async(logical_id, event, source)``
    invokes a function as SNS does, asynchronously.
    """

    def __init__(
        self,
        wiring: Callable[[], Wiring],
        topic_of: Callable[[str], str | None],
        invoke_async: Callable[[str, Any, str], Any],
    ) -> None:
        self._wiring = wiring
        self._topic_of = topic_of
        self._invoke_async = invoke_async

    def deliver(self, message: dict[str, Any]) -> None:
        """Deliver one message (``publication_message``'s shape) to its subscribers."""
        topic = self._topic_of(message["TopicArn"])
        if topic is None:
            return
        for subscription in self._wiring().subscriptions:
            if subscription.topic != topic:
                continue
            if subscription.filter_policy and not passes_filter(subscription, message):
                continue
            event = notification_event(message, f"{message['TopicArn']}:{uuid.uuid4()}")
            self._invoke_async(subscription.function, event, f"topic {topic}")


def publication_message(params: dict[str, Any], topic: str, message_id: str) -> dict[str, Any]:
    """The message a Publish's parameters make (the ``lambda`` part of a JSON structure)."""
    message = params.get("Message", "")
    if params.get("MessageStructure") == "json":
        structured = json.loads(message)
        message = structured.get("lambda", structured.get("default", ""))
    return {
        "TopicArn": topic,
        "MessageId": message_id,
        "Message": message,
        "Subject": params.get("Subject"),
        "MessageAttributes": params.get("MessageAttributes") or {},
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }


def notification_event(message: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """The event Lambda receives from an SNS subscription (one record per message)."""
    attributes = {
        name: {
            "Type": value.get("DataType", "String"),
            "Value": value.get("StringValue")
            if "StringValue" in value
            else base64.b64encode(value.get("BinaryValue", b"")).decode(),
        }
        for name, value in message["MessageAttributes"].items()
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message["MessageId"],
                    "TopicArn": message["TopicArn"],
                    "Subject": message["Subject"],
                    "Message": message["Message"],
                    "Timestamp": message["Timestamp"],
                    "SignatureVersion": "1",
                    "Signature": "LOCAL",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/local.pem",
                    "UnsubscribeUrl": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
                    "MessageAttributes": attributes,
                },
            }
        ]
    }


def passes_filter(subscription: Any, message: dict[str, Any]) -> bool:
    """SNS filter policies use the same operators as event patterns."""
    if subscription.filter_scope == "MessageBody":
        try:
            body = json.loads(message["Message"])
        except ValueError:
            return False
        return isinstance(body, dict) and matches(subscription.filter_policy, body)
    attributes: dict[str, Any] = {}
    for name, value in message["MessageAttributes"].items():
        text = value.get("StringValue")
        kind = value.get("DataType", "String")
        if kind == "Number":
            attributes[name] = float(text)
        elif kind == "String.Array":
            attributes[name] = json.loads(text)
        else:
            attributes[name] = text
    return matches(subscription.filter_policy, attributes)
