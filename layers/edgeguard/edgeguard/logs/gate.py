"""Once per window: an alert about a recurring problem goes out the first time only.

Stand-in, with exactly its API, for the digest component the ``alerts`` branch builds
(``edgeguard.notify.digest``: ``AlertGate(client, table).first_in_window(kind, key,
window, now)`` and ``announce(sns, topic, alert, *, gate, key, window, now)``); when
that lands, callers import it from there and this module goes.

The gate is one conditional PutItem in a table with the DetectionStateTable schema
(``pk``, ``sk`` strings; ``expires_at`` epoch seconds, the table's TTL attribute): the
item for (kind, key) is written only when absent or expired, so concurrent functions
agree on who announces. Source of the semantics: "Amazon DynamoDB Developer Guide:
Condition expressions" (attribute_not_exists, comparison operators).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from edgeguard.clock import utcnow
from edgeguard.notify.alert import Alert, publish

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient

_PREFIX = "alert-gate#"


class AlertGate:
    """The first call for (kind, key) in each window says True; the others False."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        """``client``: a DynamoDB client; ``table``: a table with pk/sk/expires_at."""
        self.client, self.table = client, table

    def first_in_window(
        self, kind: str, key: str, window: timedelta, now: datetime | None = None
    ) -> bool:
        """True when no (kind, key) item is alive at ``now``; it then lives ``window``.

        Raises botocore's ClientError for anything but the condition failing.
        """
        moment = now or utcnow()
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": f"{_PREFIX}{kind}"},
                    "sk": {"S": key or "-"},
                    "expires_at": {"N": str(int((moment + window).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now",
                ExpressionAttributeValues={":now": {"N": str(int(moment.timestamp()))}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True


def announce(
    sns: SNSClient,
    topic: str,
    alert: Alert,
    *,
    gate: AlertGate | None = None,
    key: str = "",
    window: timedelta = timedelta(hours=1),
    now: datetime | None = None,
) -> bool:
    """Publish ``alert`` on ``topic`` unless ``gate`` says (kind, key) was told this window.

    Returns True when published. Errors of the gate and of SNS propagate.
    """
    if gate is not None and not gate.first_in_window(alert.kind, key, window, now):
        return False
    publish(sns, topic, alert)
    return True
