"""Collecting a WAF alarm's offenders from WAF (moto + moto_ext), then recording them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from edgeguard import clock
from edgeguard.alarms.collect import WebAclNotConfigured
from edgeguard.alarms.record import AlarmSettings
from edgeguard.alarms.service import CollectSettings, collect_step, record_step
from edgeguard.config import ConfigError
from edgeguard.decisions import BanPolicy, MemoryStore
from edgeguard.errors import Throttled
from edgeguard_tools.events import load_event
from edgeguard_tools.local import moto_ext
from tests.alarm_support import create_edge_web_acl

NOW = datetime(2026, 11, 21, 23, 56, tzinfo=UTC)
IN_WINDOW = datetime(2026, 11, 21, 23, 52, tzinfo=UTC)


@pytest.fixture
def waf():
    moto_ext.install()
    with clock.frozen_at(NOW), mock_aws():
        client = boto3.client("wafv2", region_name="us-east-1")
        yield client, create_edge_web_acl(client)["ARN"]


def _blocked(ip, weight, at=IN_WINDOW, action="BLOCK"):
    return {
        "Request": {"ClientIP": ip, "URI": "/login"},
        "Weight": weight,
        "Timestamp": at,
        "Action": action,
    }


def _settings(arn, **kwargs):
    return CollectSettings(web_acl_arn=arn, min_requests=kwargs.pop("min_requests", 20), **kwargs)


def test_rate_limited_keys_and_top_blocked_clients_are_offenders(waf):
    client, arn = waf
    moto_ext.seed_rate_limited(arn, "edgeguard-rate", ["203.0.113.7", "2001:db8:1::5"])
    moto_ext.seed_sampled_requests(
        arn,
        "AWS-AWSManagedRulesSQLiRuleSet",
        [
            _blocked("198.51.100.9", 25),
            _blocked("198.51.100.9", 10),
            _blocked("192.0.2.44", 3),  # below the threshold
            _blocked("192.0.2.45", 50, action="COUNT"),  # not blocked
            _blocked("192.0.2.46", 90, at=NOW - timedelta(hours=2)),  # outside the window
        ],
    )
    moto_ext.seed_sampled_requests(arn, "edgeguard-rate", [_blocked("203.0.113.7", 40)])
    moto_ext.seed_sampled_requests(arn, "edgeguard-bans", [_blocked("192.0.2.99", 500)])
    moto_ext.seed_sampled_requests(arn, "edgeguard-tenant-breaker", [_blocked("192.0.2.98", 500)])

    collected = collect_step(load_event("cloudwatch_alarm_waf_blocked"), client, _settings(arn))

    assert [(o["ip"], o["requests"], o["rate_limited"]) for o in collected["offenders"]] == [
        ("203.0.113.7", 40, True),
        ("2001:db8:1::5", 0, True),
        ("198.51.100.9", 35, False),
    ]
    assert collected["rules_sampled"] == ["edgeguard-rate", "AWS-AWSManagedRulesSQLiRuleSet"]
    assert collected["below_threshold"] == 1
    assert "notification" not in collected
    json.dumps(collected)  # the state machine carries it as JSON


def test_an_alarm_on_one_rule_samples_only_that_rule(waf):
    client, arn = waf
    moto_ext.seed_sampled_requests(
        arn, "AWS-AWSManagedRulesSQLiRuleSet", [_blocked("198.51.100.9", 99)]
    )
    late = datetime(2026, 11, 21, 23, 52, tzinfo=UTC)  # the rate alarm evaluated 23:50-23:55
    moto_ext.seed_sampled_requests(arn, "edgeguard-rate", [_blocked("203.0.113.8", 30, at=late)])
    collected = collect_step(
        load_event("cloudwatch_alarm_waf_rate_limited"), client, _settings(arn)
    )
    assert collected["rules_sampled"] == ["edgeguard-rate"]
    assert [o["ip"] for o in collected["offenders"]] == ["203.0.113.8"]


def test_nothing_to_ban_comes_with_its_alert(waf):
    client, arn = waf
    moto_ext.seed_sampled_requests(
        arn, "AWS-AWSManagedRulesSQLiRuleSet", [_blocked("192.0.2.44", 3)]
    )
    collected = collect_step(load_event("cloudwatch_alarm_waf_blocked"), client, _settings(arn))
    assert collected["count"] == 0
    alert = json.loads(json.loads(collected["notification"]["Message"])["default"])
    assert alert["title"] == "WAF alarm edgeguard-dev-waf-blocked: no offender to ban"
    assert alert["fields"]["clients below threshold"] == 1


def test_throttling_becomes_the_error_the_state_machine_retries(waf):
    client, arn = waf

    def throttle(**_):
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
            "GetRateBasedStatementManagedKeys",
        )

    client.meta.events.register("before-call.wafv2.GetRateBasedStatementManagedKeys", throttle)
    with pytest.raises(Throttled, match="ThrottlingException"):
        collect_step(load_event("cloudwatch_alarm_waf_blocked"), client, _settings(arn))


def test_without_a_web_acl_the_step_fails_naming_the_setting(waf):
    client, _ = waf
    with pytest.raises(WebAclNotConfigured, match="WEB_ACL_ARN"):
        collect_step(load_event("cloudwatch_alarm_waf_blocked"), client, CollectSettings(""))
    with pytest.raises(WebAclNotConfigured, match="edgeguard-prod-edge"):
        collect_step(
            load_event("cloudwatch_alarm_waf_blocked"),
            client,
            CollectSettings("", web_acl_name="edgeguard-prod-edge"),
        )


def test_without_a_web_acl_setting_the_function_refuses_to_start():
    with pytest.raises(ConfigError, match="WEB_ACL_NAME"):
        CollectSettings.from_env({"RATE_RULE_NAME": "edgeguard-rate"})
    assert CollectSettings.from_env({"WEB_ACL_NAME": "edgeguard-dev-edge"}).web_acl_name


def test_the_web_acl_is_found_by_name_without_an_arn(waf):
    client, arn = waf
    moto_ext.seed_rate_limited(arn, "edgeguard-rate", ["203.0.113.7"])
    settings = CollectSettings("", web_acl_name="edgeguard-dev-edge", min_requests=20)
    collected = collect_step(load_event("cloudwatch_alarm_waf_blocked"), client, settings)
    assert collected["web_acl"] == "edgeguard-dev-edge"
    assert [o["ip"] for o in collected["offenders"]] == ["203.0.113.7"]


def test_offenders_become_alarm_decisions_allowlist_honoured(waf):
    client, arn = waf
    moto_ext.seed_rate_limited(arn, "edgeguard-rate", ["203.0.113.7", "198.51.100.77"])
    collected = collect_step(load_event("cloudwatch_alarm_waf_blocked"), client, _settings(arn))
    sink = MemoryStore(policy=BanPolicy.from_cidrs(["198.51.100.0/24"]))
    result = record_step(collected, sink, AlarmSettings(duration=timedelta(hours=4)), NOW)
    assert [r["value"] for r in result["recorded"]] == ["203.0.113.7/32"]
    assert result["refused"][0]["ip"] == "198.51.100.77"
    decision = sink.decisions[("203.0.113.7/32", "ban")]
    assert decision.origin == "alarm"
    assert decision.reason.startswith("WAF alarm edgeguard-dev-waf-blocked")
    assert decision.expires_at == NOW + timedelta(hours=4)
    alert = json.loads(json.loads(result["notification"]["Message"])["default"])
    assert alert["title"] == "WAF alarm edgeguard-dev-waf-blocked: 1 address banned"
    assert alert["fields"]["refused"][0].startswith("198.51.100.77")


def test_dry_run_records_count(waf):
    client, arn = waf
    moto_ext.seed_rate_limited(arn, "edgeguard-rate", ["203.0.113.7"])
    collected = collect_step(load_event("cloudwatch_alarm_waf_blocked"), client, _settings(arn))
    sink = MemoryStore()
    result = record_step(collected, sink, AlarmSettings(dry_run=True), NOW)
    assert list(sink.decisions) == [("203.0.113.7/32", "count")]
    assert result["notification"]["Subject"].startswith("edgeguard MEDIUM: WAF alarm")


def test_a_throttled_decisions_table_is_the_same_retried_error(waf):
    client, arn = waf
    moto_ext.seed_rate_limited(arn, "edgeguard-rate", ["203.0.113.7"])
    collected = collect_step(load_event("cloudwatch_alarm_waf_blocked"), client, _settings(arn))

    class ThrottledSink(MemoryStore):
        def record(self, request, now=None):
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                "UpdateItem",
            )

    with pytest.raises(Throttled, match="ProvisionedThroughputExceededException"):
        record_step(collected, ThrottledSink(), AlarmSettings(), NOW)


def test_offenders_over_the_cap_are_counted_and_reported(waf):
    client, arn = waf
    moto_ext.seed_rate_limited(arn, "edgeguard-rate", [f"203.0.113.{i}" for i in range(1, 6)])
    moto_ext.seed_sampled_requests(
        arn, "AWS-AWSManagedRulesSQLiRuleSet", [_blocked("198.51.100.9", 500)]
    )
    settings = CollectSettings(arn, min_requests=20, max_offenders=3)
    collected = collect_step(load_event("cloudwatch_alarm_waf_blocked"), client, settings)
    assert collected["count"] == 3
    assert collected["truncated"] == 3
    assert all(o["rate_limited"] for o in collected["offenders"])  # rate-limited come first
    result = record_step(collected, MemoryStore(), AlarmSettings(), NOW)
    alert = json.loads(json.loads(result["notification"]["Message"])["default"])
    assert alert["fields"]["offenders over the per-run cap, not banned"] == 3
