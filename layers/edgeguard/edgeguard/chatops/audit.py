"""The chat's audit trail: one DynamoDB item per update the webhook acted on or refused.

Table (template.yaml ``TelegramAuditTable``): string keys ``pk`` = ``audit#<YYYY-MM-DD>``
(UTC day of the update) and ``sk`` = ``<ISO time>#<update_id>``, TTL attribute
``expires_at`` (epoch seconds, ``RETENTION`` after the update). A day's trail is one
Query; the decisions themselves also keep who changed them (``updated_by``,
``lifted_by``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

RETENTION = timedelta(days=400)
FIELDS = ("kind", "outcome", "chat_id", "user_id", "user_name", "command", "detail")
TEXT_LIMIT = 1000  # characters kept of each text field


class AuditLog:
    """Writes audit items to ``table_name`` with ``client``."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def record(self, report: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """Put one item for ``report`` (the webhook's dict: update_id, kind, outcome,
        chat_id, user_id, user_name, command, detail) at ``now`` (aware UTC); returns the
        item's key. botocore ClientError propagates (the update is then retried)."""
        key = {
            "pk": {"S": f"audit#{now:%Y-%m-%d}"},
            "sk": {"S": f"{now.isoformat(timespec='milliseconds')}#{report.get('update_id')}"},
        }
        item: dict[str, Any] = dict(key)
        item["update_id"] = {"N": str(int(report.get("update_id") or 0))}
        item["expires_at"] = {"N": str(int((now + RETENTION).timestamp()))}
        for name in FIELDS:
            value = report.get(name)
            if value not in (None, ""):
                item[name] = {"S": str(value)[:TEXT_LIMIT]}
        self.client.put_item(TableName=self.table_name, Item=item)
        return {k: v["S"] for k, v in key.items()}


def read_day(client: DynamoDBClient, table_name: str, day: datetime) -> list[dict[str, str]]:
    """Every audit item of ``day`` (UTC), oldest first, as plain strings."""
    pages = client.get_paginator("query").paginate(
        TableName=table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"audit#{day:%Y-%m-%d}"}},
    )
    return [
        {name: str(next(iter(value.values()))) for name, value in item.items()}
        for page in pages
        for item in page.get("Items", [])
    ]
