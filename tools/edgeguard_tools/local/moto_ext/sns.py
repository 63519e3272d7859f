"""SNS: an email subscription waits for its recipient's confirmation, as in AWS.

moto 5.2.5 confirms every subscription at once: ListSubscriptionsByTopic shows its ARN and
GetSubscriptionAttributes says PendingConfirmation false. In AWS an email, email-json,
http or https subscription stays pending until the endpoint confirms it; until then
ListSubscriptions and ListSubscriptionsByTopic show ``SubscriptionArn`` as
``PendingConfirmation`` and the attribute PendingConfirmation is ``true`` ("Amazon SNS API
Reference": ListSubscriptionsByTopic, GetSubscriptionAttributes; "Amazon SNS Developer
Guide": Email notifications). ``confirm_subscription(topic_arn, endpoint)`` is what the
recipient's click on the link does (AWS's ConfirmSubscription needs the mailed token).
"""

from __future__ import annotations

from typing import Any

from moto.sns.models import SNSBackend, sns_backends
from moto.sns.responses import SNSResponse

from edgeguard_tools.local.moto_ext._registry import attach, original

CONFIRMED_BY_RECIPIENT = frozenset({"email", "email-json", "http", "https"})
PENDING = "PendingConfirmation"


def _subscribe(self: SNSBackend, topic_arn: str, endpoint: str, protocol: str) -> Any:
    existed = self._find_subscription(topic_arn, endpoint, protocol) is not None
    subscription = original(SNSBackend, "subscribe")(self, topic_arn, endpoint, protocol)
    if not existed and protocol in CONFIRMED_BY_RECIPIENT:
        subscription.attributes["PendingConfirmation"] = "true"
        subscription.attributes["ConfirmationWasAuthenticated"] = "false"
    return subscription


def _pending(subscription: Any) -> bool:
    return str(subscription.attributes.get("PendingConfirmation")).lower() == "true"


def _summaries(subscriptions: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "SubscriptionArn": PENDING if _pending(s) else s.arn,
            "Owner": s.owner,
            "Protocol": s.protocol,
            "Endpoint": s.endpoint,
            "TopicArn": s.topic_arn,
        }
        for s in subscriptions
    ]


def _list_subscriptions(self: SNSResponse) -> Any:
    from moto.core.responses import ActionResult  # noqa: PLC0415

    found, token = self.backend.list_subscriptions(next_token=self._get_param("NextToken"))
    return ActionResult({"Subscriptions": _summaries(found), "NextToken": token})


def _list_subscriptions_by_topic(self: SNSResponse) -> Any:
    from moto.core.responses import ActionResult  # noqa: PLC0415

    found, token = self.backend.list_subscriptions_by_topic(
        self._get_param("TopicArn"), next_token=self._get_param("NextToken")
    )
    return ActionResult({"Subscriptions": _summaries(found), "NextToken": token})


def confirm_subscription(
    topic_arn: str, endpoint: str, account_id: str = "123456789012", region: str = "us-east-1"
) -> None:
    """Confirm a pending subscription as its recipient would; KeyError when none."""
    backend = sns_backends[account_id][region]
    for subscription in backend.subscriptions.values():
        if subscription.topic_arn == topic_arn and subscription.endpoint == endpoint:
            subscription.attributes["PendingConfirmation"] = "false"
            subscription.confirmed = True
            return
    raise KeyError(f"no subscription of {endpoint} to {topic_arn}")


def install() -> None:
    """Pending email/http subscriptions (idempotent)."""
    for name in ("list_subscriptions", "list_subscriptions_by_topic"):
        original(SNSResponse, name)
    original(SNSBackend, "subscribe")
    attach(SNSBackend, {"subscribe": _subscribe})
    attach(
        SNSResponse,
        {
            "list_subscriptions": _list_subscriptions,
            "list_subscriptions_by_topic": _list_subscriptions_by_topic,
        },
    )
