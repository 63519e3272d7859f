"""The guard knows its own identity, or carries on without it when STS cannot answer."""

from __future__ import annotations

import boto3
from botocore.config import Config
from moto import mock_aws

from edgeguard.response.identity import own_role_arns


def test_own_identity_is_the_callers_arn() -> None:
    with mock_aws():
        arns = own_role_arns(boto3.client("sts", region_name="us-east-1"))
    assert arns == frozenset({"arn:aws:sts::123456789012:user/moto"})


def test_an_unreachable_sts_is_not_fatal() -> None:
    # a real endpoint that refuses connections at once: 127.0.0.1 port 9 (discard, closed)
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )
    assert own_role_arns(sts) == frozenset()
