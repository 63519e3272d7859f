"""Cross-file detection state keys stay within DynamoDB's key size for any S3 key."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import polars as pl
from moto import mock_aws

from edgeguard.logs.scenarios import OBSERVATION_SCHEMA
from edgeguard.logs.state import DynamoStateStore, Pending
from tests.template_tables import create_table

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _observations() -> pl.DataFrame:
    rows = [("cloudfront", "198.51.100.9", "path-probing", int(NOW.timestamp()) - 10, 3)]
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA, orient="row")


def test_a_400_character_multibyte_file_id_is_stored_and_read_back():
    # 400 characters of a 3-byte character: 1,200 bytes, over the 1,024-byte sort key.
    file_id = "logs/" + "€" * 395
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        store = DynamoStateStore(dynamodb, create_table(dynamodb, "DetectionStateTable", "s"))
        merged = store.merge(file_id, _observations(), NOW)
        assert merged["n"].sum() == 3
        entry = Pending("198.51.100.9/32", "ban", "path-probing", "created", "cloudfront")
        store.add_pending(file_id, entry, NOW)
        assert store.pending(file_id) == [entry]
        for item in dynamodb.scan(TableName="s")["Items"]:
            assert len(item["sk"]["S"].encode()) <= 1024
            assert len(item["pk"]["S"].encode()) <= 2048
