"""WAFv2 gap fills: rate-based managed keys and sampled requests, read through boto3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from edgeguard import clock
from edgeguard_tools.local import moto_ext


def _visibility(name: str, sampled: bool = True) -> dict:
    return {"SampledRequestsEnabled": sampled, "CloudWatchMetricsEnabled": True, "MetricName": name}


RATE_RULE = {
    "Name": "rate-limit",
    "Priority": 1,
    "Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}},
    "Action": {"Block": {}},
    "VisibilityConfig": _visibility("RateLimit"),
}
GEO_RULE = {
    "Name": "geo",
    "Priority": 2,
    "Statement": {"GeoMatchStatement": {"CountryCodes": ["KP"]}},
    "Action": {"Block": {}},
    "VisibilityConfig": _visibility("Geo", sampled=False),
}
KEYED_RULE = {
    "Name": "per-path",
    "Priority": 3,
    "Statement": {
        "RateBasedStatement": {
            "Limit": 100,
            "AggregateKeyType": "CUSTOM_KEYS",
            "CustomKeys": [{"UriPath": {"TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}],
        }
    },
    "Action": {"Block": {}},
    "VisibilityConfig": _visibility("PerPath"),
}


@pytest.fixture
def acl(waf):
    return waf.create_web_acl(
        Name="edge",
        Scope="CLOUDFRONT",
        DefaultAction={"Allow": {}},
        VisibilityConfig=_visibility("EdgeAcl"),
        Rules=[RATE_RULE, GEO_RULE, KEYED_RULE],
    )["Summary"]


def _keys(waf, acl, rule="rate-limit", **extra):
    return waf.get_rate_based_statement_managed_keys(
        Scope="CLOUDFRONT", WebACLName=acl["Name"], WebACLId=acl["Id"], RuleName=rule, **extra
    )


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


# ---- GetRateBasedStatementManagedKeys --------------------------------------------------


def test_managed_keys_empty_until_something_is_limited(waf, acl):
    result = _keys(waf, acl)
    assert result["ManagedKeysIPV4"] == {"IPAddressVersion": "IPV4", "Addresses": []}
    assert result["ManagedKeysIPV6"] == {"IPAddressVersion": "IPV6", "Addresses": []}


def test_managed_keys_returns_seeded_addresses_as_cidrs_by_version(waf, acl):
    moto_ext.seed_rate_limited(
        acl["ARN"], "rate-limit", ["203.0.113.7", "2001:db8::1", "198.51.100.0/24"]
    )
    result = _keys(waf, acl)
    assert result["ManagedKeysIPV4"]["Addresses"] == ["198.51.100.0/24", "203.0.113.7/32"]
    assert result["ManagedKeysIPV6"]["Addresses"] == ["2001:db8::1/128"]


def test_seeding_replaces_the_current_set(waf, acl):
    moto_ext.seed_rate_limited(acl["ARN"], "rate-limit", ["203.0.113.7"])
    moto_ext.seed_rate_limited(acl["ARN"], "rate-limit", ["203.0.113.8"])
    assert _keys(waf, acl)["ManagedKeysIPV4"]["Addresses"] == ["203.0.113.8/32"]
    moto_ext.seed_rate_limited(acl["ARN"], "rate-limit", [])
    assert _keys(waf, acl)["ManagedKeysIPV4"]["Addresses"] == []


def test_rule_that_is_not_rate_based_is_invalid_parameter(waf, acl):
    with pytest.raises(ClientError) as excinfo:
        _keys(waf, acl, rule="geo")
    assert _code(excinfo) == "WAFInvalidParameterException"
    assert excinfo.value.response.get("Field") == "RULE"


def test_rate_rule_on_custom_keys_is_unsupported(waf, acl):
    with pytest.raises(ClientError) as excinfo:
        _keys(waf, acl, rule="per-path")
    assert _code(excinfo) == "WAFUnsupportedAggregateKeyTypeException"


def test_unknown_rule_or_web_acl_is_nonexistent(waf, acl):
    with pytest.raises(ClientError) as excinfo:
        _keys(waf, acl, rule="no-such-rule")
    assert _code(excinfo) == "WAFNonexistentItemException"
    with pytest.raises(ClientError) as excinfo:
        waf.get_rate_based_statement_managed_keys(
            Scope="CLOUDFRONT",
            WebACLName="edge",
            WebACLId="00000000-0000-0000-0000-000000000000",
            RuleName="rate-limit",
        )
    assert _code(excinfo) == "WAFNonexistentItemException"


def test_seeding_checks_the_rule(acl):
    with pytest.raises(ValueError):
        moto_ext.seed_rate_limited(acl["ARN"], "geo", ["203.0.113.7"])
    with pytest.raises(LookupError):
        moto_ext.seed_rate_limited(acl["ARN"], "no-such-rule", ["203.0.113.7"])
    with pytest.raises(LookupError):
        moto_ext.seed_rate_limited(acl["ARN"] + "x", "rate-limit", ["203.0.113.7"])
    with pytest.raises(ValueError):
        moto_ext.seed_rate_limited(acl["ARN"], "rate-limit", ["not-an-ip"])


def test_rate_rule_inside_a_rule_group(waf):
    group = waf.create_rule_group(
        Name="limits",
        Scope="REGIONAL",
        Capacity=10,
        Rules=[RATE_RULE],
        VisibilityConfig=_visibility("Limits"),
    )["Summary"]
    acl = waf.create_web_acl(
        Name="origin",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig=_visibility("OriginAcl"),
        Rules=[
            {
                "Name": "group-ref",
                "Priority": 0,
                "Statement": {"RuleGroupReferenceStatement": {"ARN": group["ARN"]}},
                "OverrideAction": {"None": {}},
                "VisibilityConfig": _visibility("GroupRef"),
            }
        ],
    )["Summary"]
    moto_ext.seed_rate_limited(
        acl["ARN"], "rate-limit", ["192.0.2.10"], rule_group_rule_name="group-ref"
    )
    result = waf.get_rate_based_statement_managed_keys(
        Scope="REGIONAL",
        WebACLName="origin",
        WebACLId=acl["Id"],
        RuleGroupRuleName="group-ref",
        RuleName="rate-limit",
    )
    assert result["ManagedKeysIPV4"]["Addresses"] == ["192.0.2.10/32"]


# ---- GetSampledRequests ----------------------------------------------------------------


def _sample(ip: str, minutes_ago: float, **extra) -> dict:
    return {
        "Request": {
            "ClientIP": ip,
            "Country": "NL",
            "URI": "/login",
            "Method": "POST",
            "HTTPVersion": "HTTP/2.0",
            "Headers": [{"Name": "Host", "Value": "app.example.com"}],
        },
        "Timestamp": clock.utcnow() - timedelta(minutes=minutes_ago),
        **extra,
    }


def _sampled(waf, acl, metric="RateLimit", minutes=60, max_items=100):
    now = clock.utcnow()
    return waf.get_sampled_requests(
        WebAclArn=acl["ARN"],
        RuleMetricName=metric,
        Scope="CLOUDFRONT",
        TimeWindow={"StartTime": now - timedelta(minutes=minutes), "EndTime": now},
        MaxItems=max_items,
    )


def test_sampled_requests_in_aws_shape(waf, acl):
    moto_ext.seed_sampled_requests(
        acl["ARN"],
        "RateLimit",
        [
            _sample(
                "203.0.113.7",
                5,
                Weight=4,
                Action="BLOCK",
                Labels=[{"Name": "awswaf:123456789012:webacl:edge:rate"}],
                ResponseCodeSent=403,
                RequestHeadersInserted=[{"Name": "x-amzn-waf-reason", "Value": "rate"}],
            )
        ],
    )
    result = _sampled(waf, acl)
    [sample] = result["SampledRequests"]
    assert sample["Request"]["ClientIP"] == "203.0.113.7"
    assert sample["Request"]["Headers"] == [{"Name": "Host", "Value": "app.example.com"}]
    assert (sample["Request"]["Country"], sample["Request"]["Method"]) == ("NL", "POST")
    assert sample["Weight"] == 4
    assert sample["Action"] == "BLOCK"
    assert sample["ResponseCodeSent"] == 403
    assert sample["Labels"] == [{"Name": "awswaf:123456789012:webacl:edge:rate"}]
    assert isinstance(sample["Timestamp"], datetime)
    assert result["PopulationSize"] == 4
    assert set(result["TimeWindow"]) == {"StartTime", "EndTime"}


def test_time_window_and_max_items_filter(waf, acl):
    moto_ext.seed_sampled_requests(
        acl["ARN"],
        "RateLimit",
        [_sample(f"203.0.113.{i}", minutes_ago=i * 10) for i in range(1, 10)],
    )
    recent = _sampled(waf, acl, minutes=35)
    assert [s["Request"]["ClientIP"] for s in recent["SampledRequests"]] == [
        "203.0.113.3",
        "203.0.113.2",
        "203.0.113.1",
    ]
    limited = _sampled(waf, acl, minutes=120, max_items=2)
    assert len(limited["SampledRequests"]) == 2
    assert limited["PopulationSize"] == 9


def test_samples_for_other_metrics_are_separate(waf, acl):
    moto_ext.seed_sampled_requests(acl["ARN"], "RateLimit", [_sample("203.0.113.7", 1)])
    moto_ext.seed_sampled_requests(acl["ARN"], "EdgeAcl", [_sample("198.51.100.1", 1)])
    default_action = _sampled(waf, acl, metric="EdgeAcl")
    assert [s["Request"]["ClientIP"] for s in default_action["SampledRequests"]] == ["198.51.100.1"]


def test_rule_with_sampling_disabled_has_no_samples(waf, acl):
    moto_ext.seed_sampled_requests(acl["ARN"], "Geo", [_sample("203.0.113.7", 1)])
    result = _sampled(waf, acl, metric="Geo")
    assert result["SampledRequests"] == []


@pytest.mark.parametrize(
    ("window", "max_items"),
    [
        ((timedelta(minutes=10), timedelta(minutes=20)), 10),  # end before start
        ((timedelta(hours=4), timedelta(0)), 10),  # more than three hours back
        ((timedelta(minutes=10), timedelta(0)), 501),  # MaxItems above 500
    ],
)
def test_invalid_sampled_request_parameters(waf, acl, window, max_items):
    now = clock.utcnow()
    with pytest.raises(ClientError) as excinfo:
        waf.get_sampled_requests(
            WebAclArn=acl["ARN"],
            RuleMetricName="RateLimit",
            Scope="CLOUDFRONT",
            TimeWindow={"StartTime": now - window[0], "EndTime": now - window[1]},
            MaxItems=max_items,
        )
    assert _code(excinfo) == "WAFInvalidParameterException"


def test_unknown_metric_or_web_acl_is_nonexistent(waf, acl):
    with pytest.raises(ClientError) as excinfo:
        _sampled(waf, acl, metric="NoSuchMetric")
    assert _code(excinfo) == "WAFNonexistentItemException"
    missing = dict(acl, ARN=acl["ARN"].rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000")
    with pytest.raises(ClientError) as excinfo:
        _sampled(waf, missing)
    assert _code(excinfo) == "WAFNonexistentItemException"


def test_sampled_requests_follow_edgeguard_clock(waf, acl):
    with clock.frozen_at(datetime(2026, 6, 1, 12, 0, tzinfo=UTC)):
        moto_ext.seed_sampled_requests(acl["ARN"], "RateLimit", [{"Request": {"ClientIP": "::1"}}])
        result = _sampled(waf, acl, minutes=5)
    [sample] = result["SampledRequests"]
    assert sample["Timestamp"] == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert sample["Request"]["Method"] == "GET"


def test_seed_sampled_requests_rejects_bad_input(acl):
    with pytest.raises(ValueError):
        moto_ext.seed_sampled_requests(acl["ARN"], "RateLimit", [{"Request": {}}])
    with pytest.raises(ValueError):
        moto_ext.seed_sampled_requests(
            acl["ARN"], "RateLimit", [{"Request": {"ClientIP": "1.2.3.4"}, "Action": "DROP"}]
        )
    with pytest.raises(LookupError):
        moto_ext.seed_sampled_requests(acl["ARN"], "NoSuchMetric", [])
