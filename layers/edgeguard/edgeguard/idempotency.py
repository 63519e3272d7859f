"""Idempotency for any edgeguard function: the shared ``IdempotencyTable`` (DynamoDB,
KMS-encrypted, TTL on ``expiration``) through Powertools.

Use at cold start::

    store = idempotency.persistence()                 # reads IDEMPOTENCY_TABLE
    config = idempotency.config("[step, key]")        # which part of the data is the key

    @idempotent_function(data_keyword_argument="task", config=config, persistence_store=store)
    def do(task: dict) -> dict: ...

Records expire after a day by default (``IDEMPOTENCY_TTL_SECONDS``): a duplicate
delivery within that time returns the first result and repeats no effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
)

from edgeguard.config import integer, require

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE_ENV = "IDEMPOTENCY_TABLE"
TTL_ENV = "IDEMPOTENCY_TTL_SECONDS"
DEFAULT_TTL_SECONDS = 86_400


def persistence(
    table_name: str | None = None,
    boto3_client: DynamoDBClient | None = None,
    environ: Mapping[str, str] | None = None,
) -> DynamoDBPersistenceLayer:
    """A Powertools DynamoDB persistence layer on the shared table.

    ``table_name`` defaults to the IDEMPOTENCY_TABLE variable (of ``environ``, default
    ``os.environ``).

    Raises:
        ConfigError: no ``table_name`` and IDEMPOTENCY_TABLE is not set.
    """
    name = table_name or require(TABLE_ENV, environ)
    return DynamoDBPersistenceLayer(table_name=name, boto3_client=boto3_client)


def config(
    key_jmespath: str,
    expires_after_seconds: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """An IdempotencyConfig keyed on ``key_jmespath``; a missing key is an error, not a pass.

    Records expire after ``expires_after_seconds``, else IDEMPOTENCY_TTL_SECONDS (of
    ``environ``, default ``os.environ``), else 86,400 seconds (one day).

    Raises:
        ConfigError: IDEMPOTENCY_TTL_SECONDS is not a whole number of at least 1.
    """
    ttl = expires_after_seconds or integer(TTL_ENV, DEFAULT_TTL_SECONDS, environ, minimum=1)
    return IdempotencyConfig(
        event_key_jmespath=key_jmespath,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=ttl,
    )
