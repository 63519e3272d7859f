"""A CloudFront address never becomes a decision, whatever the origin (issue 13)."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest

from edgeguard.decisions import ORIGINS, BanPolicy, DecisionRequest, MemoryStore
from edgeguard.decisions.rules import cloudfront_ranges

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
EDGE = "130.176.89.14"  # the origin ACL case's clientIp: a CloudFront origin-facing server


def record(value: str, origin: str):
    request = DecisionRequest(value, "ban", origin, "test", timedelta(hours=1))
    return MemoryStore().record(request, NOW)


def test_the_shipped_snapshot_is_aws_ip_ranges_cloudfront_and_origin_facing():
    text = resources.files("edgeguard.decisions").joinpath("cloudfront_ranges.json").read_text()
    snapshot = json.loads(text)
    assert snapshot["services"] == ["CLOUDFRONT", "CLOUDFRONT_ORIGIN_FACING"]
    assert snapshot["createDate"]
    versions = {network.version for network in cloudfront_ranges()}
    assert versions == {4, 6}
    assert any(ipaddress.ip_address(EDGE) in network for network in cloudfront_ranges())


@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize("value", [EDGE, "130.176.89.0/24", "2600:9000:2000::1"])
def test_a_cloudfront_address_is_refused_from_every_origin(origin, value):
    outcome = record(value, origin)
    assert outcome.status == "refused"
    assert "CloudFront address range" in (outcome.reason or "")


def test_a_neighbouring_viewer_and_a_wide_operator_range_are_not_refused_for_it():
    assert record("198.51.100.200", "log").status == "created"  # the viewer behind the edge
    assert record("45.155.205.23", "log").status == "created"
    assert BanPolicy().refusal("130.0.0.0/8") is None  # overlaps CloudFront, names a provider
