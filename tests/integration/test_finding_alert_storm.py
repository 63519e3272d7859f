"""Issue 19 storm control for findings: a GuardDuty burst sends FINDING_ALERTS_PER_HOUR
alerts one by one; the rest of the hour are held (never dropped) and told in one digest
(counts per finding type, top offenders with their organisation) by AlertDigestFunction.
The handler is the deployed one (functions/guardduty_block/app.py) on moto."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from edgeguard import clock
from edgeguard_tools.events import load_event
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from tests.decisions_support import alerts_seen, create_world
from tests.template_tables import create_table

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


@pytest.fixture
def deployed():
    with mock_aws():
        world = create_world()
        state = create_table(boto3.client("dynamodb"), "DetectionStateTable", "state")
        env = {
            "ALERTS_TOPIC_ARN": world.topic_arn,
            "DECISIONS_TABLE": world.table,
            "DETECTION_STATE_TABLE": state,
            "FINDING_ALERTS_PER_HOUR": "3",
            "ALLOWLIST_CIDRS": ",",
            "EDGEGUARD_STACK": "edgeguard-prod",
        }
        with environment(env):
            block = load_handler("functions/guardduty_block", fresh=True)
            digest = load_handler("functions/alert_digest", fresh=True)
        yield world, env, block, digest


def finding(n: int) -> dict:
    event = copy.deepcopy(load_event("guardduty_network_connection"))
    event["detail"]["id"] = f"finding{n:04d}"
    remote = event["detail"]["service"]["action"]["networkConnectionAction"]["remoteIpDetails"]
    remote["ipAddressV4"] = f"198.51.100.{10 + n}"
    return event


def test_a_burst_of_findings_sends_the_limit_then_one_digest(deployed) -> None:
    world, env, block, digest = deployed
    for n in range(8):
        with clock.frozen_at(NOW + timedelta(minutes=n)), environment(env):
            result = block(finding(n), LocalContext(function_name="guardduty-block"))
            assert result["recorded"][0]["value"] == f"198.51.100.{10 + n}/32"
    sent = alerts_seen(world)
    assert [a["kind"] for a in sent] == ["guardduty-block"] * 3  # the hourly limit
    assert [a["actions"][0]["target"] for a in sent] == [
        f"198.51.100.{10 + n}/32" for n in range(3)
    ]

    with clock.frozen_at(NOW + timedelta(minutes=30)), environment(env):
        assert digest({}, LocalContext(function_name="alert-digest")) == {"digests": 0}
    with clock.frozen_at(NOW + timedelta(minutes=61)), environment(env):
        assert digest({}, LocalContext(function_name="alert-digest")) == {"digests": 1}
    (summary,) = alerts_seen(world)
    assert summary["kind"] == "guardduty-block-digest"
    assert summary["fields"]["alerts grouped"] == 5
    assert summary["fields"]["by scenario or type"] == {"UnauthorizedAccess:EC2/SSHBruteForce": 5}
    offenders = summary["fields"]["top offenders"]
    assert len(offenders) == 5
    assert all("Example Hosting Ltd, AS64500, Netherlands" in o for o in offenders)
    assert {o.split(" ")[0] for o in offenders} == {f"198.51.100.{10 + n}/32" for n in range(3, 8)}
    # the command looks back to the first held finding (minute 3 of the hour), now 61
    assert "edgeguard decisions --origin guardduty --since 59m" in summary["undo"]
    assert summary["actions"] == []

    # the next hour starts afresh
    with clock.frozen_at(NOW + timedelta(minutes=62)), environment(env):
        block(finding(9), LocalContext(function_name="guardduty-block"))
    assert [a["kind"] for a in alerts_seen(world)] == ["guardduty-block"]
