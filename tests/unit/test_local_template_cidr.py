"""Fn::Cidr in the local cloud's resolver, as CloudFormation documents it."""

from __future__ import annotations

import pytest

from edgeguard_tools.local.template import TemplateError, _cidr


def test_cidr_carves_consecutive_subnets_with_the_given_host_bits():
    assert _cidr("10.80.0.0/16", 2, 12) == ["10.80.0.0/20", "10.80.16.0/20"]
    assert _cidr("192.168.0.0/24", 6, 5) == [f"192.168.0.{i * 32}/27" for i in range(6)]
    assert _cidr("2001:db8::/56", 2, 64) == ["2001:db8::/64", "2001:db8:0:1::/64"]


@pytest.mark.parametrize(("block", "count", "bits"), [("10.0.0.0/24", 2, 9), ("10.0.0.0/28", 9, 1)])
def test_impossible_cidr_requests_get_a_clear_error(block, count, bits):
    with pytest.raises(TemplateError, match="Fn::Cidr"):
        _cidr(block, count, bits)
