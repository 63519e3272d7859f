"""Shared fixtures: AWS credentials that can never reach a real account."""

from __future__ import annotations

import os

import boto3
import pytest
from moto import mock_aws

from edgeguard_tools.local import moto_ext
from edgeguard_tools.local.telegram_server import TelegramStandIn

# Set before any boto3 client exists: moto intercepts, and a missed mock fails closed.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "edgeguard",
        "POWERTOOLS_SERVICE_NAME": "edgeguard",
    }
)

# moto gap fills for every test, so no result depends on which test ran first.
moto_ext.install()


@pytest.fixture
def telegram():
    """A running local Telegram Bot API stand-in on 127.0.0.1."""
    with TelegramStandIn(
        token="123456789:AAH-secret-token-value-xyz-12345678", chat_ids=("42",)
    ) as server:
        yield server


@pytest.fixture
def waf():
    """A wafv2 client on moto (with edgeguard's gap fills, installed above)."""
    with mock_aws():
        yield boto3.client("wafv2", region_name="us-east-1")
