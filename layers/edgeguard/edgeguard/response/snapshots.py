"""The trail configuration recorded beforehand, so a weakening change can be undone.

A scheduled run records each protected trail into a KMS-encrypted DynamoDB table
(one item per trail). A trail that is not logging is never recorded: its state is
already suspect, and recording it would make the tampered state the one we restore.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from edgeguard.clock import utcnow
from edgeguard.response import cloudtrail
from edgeguard.response.cloudtrail import TrailConfig, TrailGone
from edgeguard.response.trail import ProtectedTrails, TrailRef

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class Snapshot:
    """A trail's recorded configuration and when it was taken (``YYYY-MM-DDTHH:MM:SSZ``)."""

    config: TrailConfig
    taken_at: str


class SnapshotStore(Protocol):
    """Where snapshots are kept, one per trail name."""

    def get(self, trail_name: str) -> Snapshot | None:
        """The snapshot of ``trail_name``, or None if none was recorded."""

    def put(self, snapshot: Snapshot) -> None:
        """Record ``snapshot``, replacing the trail's previous one."""


class MemorySnapshots:
    """In-memory store (offline runs and tests of code that takes a store)."""

    def __init__(self) -> None:
        self.items: dict[str, Snapshot] = {}

    def get(self, trail_name: str) -> Snapshot | None:
        """See ``SnapshotStore.get``."""
        return self.items.get(trail_name)

    def put(self, snapshot: Snapshot) -> None:
        """See ``SnapshotStore.put``."""
        self.items[snapshot.config.name] = snapshot


class DynamoSnapshots:
    """Table with partition key ``trail`` (S); ``config`` holds the JSON record."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def get(self, trail_name: str) -> Snapshot | None:
        """See ``SnapshotStore.get`` (a strongly consistent GetItem).

        Raises ClientError on a DynamoDB error, ValueError/KeyError on a malformed item.
        """
        item = self.client.get_item(
            TableName=self.table_name, Key={"trail": {"S": trail_name}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        return Snapshot(TrailConfig.from_json(item["config"]["S"]), item["taken_at"]["S"])

    def put(self, snapshot: Snapshot) -> None:
        """See ``SnapshotStore.put`` (PutItem). Raises ClientError on a DynamoDB error."""
        self.client.put_item(
            TableName=self.table_name,
            Item={
                "trail": {"S": snapshot.config.name},
                "config": {"S": snapshot.config.to_json()},
                "taken_at": {"S": snapshot.taken_at},
            },
        )


@dataclass
class SnapshotReport:
    """What ``record_all`` did: trails recorded, and trail name -> why skipped."""

    recorded: list[str]
    skipped: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return {"recorded": self.recorded, "skipped": self.skipped}


def protected_trails(
    client: CloudTrailClient, protected: ProtectedTrails, region: str
) -> list[TrailRef]:
    """The trails to record: the named ones, or every trail homed in this region."""
    if not protected.everything:
        return [TrailRef(name) for name in sorted(protected.names)]
    found = client.describe_trails(includeShadowTrails=False).get("trailList", [])
    return [
        TrailRef(str(t["Name"]))
        for t in found
        if t.get("HomeRegion", region) == region and t.get("Name")
    ]


def record_all(
    client: CloudTrailClient, store: SnapshotStore, protected: ProtectedTrails, region: str
) -> SnapshotReport:
    """Record every protected trail that is logging; say why any other was skipped.

    Raises Throttled or ClientError from CloudTrail, and the store's errors.
    """
    report = SnapshotReport([], {})
    taken_at = _iso(utcnow())
    for trail in protected_trails(client, protected, region):
        try:
            if not cloudtrail.is_logging(client, trail):
                report.skipped[trail.name] = "not logging; its configuration is not trusted"
                continue
            config = cloudtrail.read_config(client, trail)
        except TrailGone:
            report.skipped[trail.name] = "trail does not exist"
            continue
        store.put(Snapshot(config, taken_at))
        report.recorded.append(trail.name)
    return report


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
