"""DynamoDB tables created in moto exactly as template.yaml declares them (keys, billing,
TTL), so no test re-declares a table schema by hand."""

from __future__ import annotations

from typing import Any

from edgeguard_tools.local.template import default_template_path, load_template


def create_table(dynamodb: Any, logical_id: str, table_name: str) -> str:
    """Create ``table_name`` with the keys, indexes and TTL of the template's ``logical_id``."""
    props = load_template(default_template_path())["Resources"][logical_id]["Properties"]
    dynamodb.create_table(
        TableName=table_name,
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
        **{k: props[k] for k in ("GlobalSecondaryIndexes",) if k in props},
    )
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    return table_name
