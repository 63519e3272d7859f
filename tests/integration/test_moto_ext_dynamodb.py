"""moto gap fill: concurrent DynamoDB requests are applied one at a time, as DynamoDB
applies a conditional write atomically: of 16 concurrent "create if absent" writes,
exactly one wins. (Without the fill, moto let two win in about one round of 20 here,
and readers saw items without their attributes: tests/integration/
test_decision_concurrent_writers.py failed with "Invalid isoformat string".)"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3
from moto import mock_aws

from tests.template_tables import create_table

ROUNDS, WRITERS = 40, 16


def test_exactly_one_concurrent_conditional_create_wins_every_round() -> None:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        table = create_table(dynamodb, "DetectionStateTable", "state")

        def create(key: str, writer: int) -> int:
            try:
                dynamodb.update_item(
                    TableName=table,
                    Key={"pk": {"S": key}, "sk": {"S": "s"}},
                    UpdateExpression="SET v = :v, a1 = :v, a2 = :v, a3 = :v",
                    ConditionExpression="attribute_not_exists(pk)",
                    ExpressionAttributeValues={":v": {"S": str(writer)}},
                )
            except dynamodb.exceptions.ConditionalCheckFailedException:
                return 0
            return 1

        winners = []
        with ThreadPoolExecutor(WRITERS) as pool:
            for round_ in range(ROUNDS):
                keys = [f"r{round_}"] * WRITERS
                winners.append(sum(pool.map(create, keys, range(WRITERS))))
        assert winners == [1] * ROUNDS
