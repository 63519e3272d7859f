"""Every sample event in events/ runs through ``edgeguard invoke`` against a fresh local
cloud: exit 0, stdout is the target's JSON result and nothing else.

Each event is mapped to what consumes it in the deployed stack (its rule's target, its
queue's or topic's subscriber), with the template parameters under which that consumer
exists. A new file in events/ without a mapping fails the first test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from edgeguard.clock import utcnow
from edgeguard_tools.cli import main

EVENTS = Path(__file__).resolve().parents[2] / "events"

# event file stem -> (target logical id, template parameters, a subset of the result)
TARGETS: dict[str, tuple[str, list[str], dict[str, Any]]] = {
    "cloudformation_custom_resource_create": ("PrefixListLookupFunction", [], {}),
    "cloudtrail_delete_trail": ("TrailGuardFunction", [], {"event_name": "DeleteTrail"}),
    "cloudtrail_put_event_selectors": ("TrailGuardFunction", [], {"trail": "management-events"}),
    "cloudtrail_stop_logging": ("TrailGuardFunction", [], {"action": "restarted", "logging": True}),
    "cloudtrail_update_trail": ("TrailGuardFunction", [], {"trail": "management-events"}),
    "cloudwatch_alarm_waf_blocked": ("AlarmCollectFunction", [], {"web_acl": "edgeguard-dev-edge"}),
    "cloudwatch_alarm_waf_rate_limited": ("AlarmCollectFunction", [], {}),
    "cloudwatch_logs_waf_subscription": (
        "LogAnalyzerFunction",
        ["WafLogDestination=CloudWatchLogs"],
        {"analyzed": True},
    ),
    "dynamodb_decision_stream": ("IpSetSyncFunction", [], {"failed": []}),
    "eventbridge_cloudtrail_stoplogging": ("TrailGuardFunction", [], {"action": "restarted"}),
    "guardduty_attack_sequence": ("GuardDutyBlockFunction", [], {"action": "ban"}),
    "guardduty_aws_api_call": ("GuardDutyBlockFunction", [], {"action": "ban"}),
    "guardduty_cloudtrail_logging_disabled": ("RespondStateMachine", [], {}),
    "guardduty_dns_request": ("GuardDutyBlockFunction", [], {"action": "ban"}),
    "guardduty_kubernetes_api_call": ("GuardDutyBlockFunction", [], {"action": "ban"}),
    "guardduty_lambda_network": ("GuardDutyBlockFunction", [], {"action": "ban"}),
    "guardduty_network_connection": ("GuardDutyBlockFunction", [], {"action": "ban"}),
    "guardduty_port_probe": ("GuardDutyBlockFunction", [], {"skipped": "severity 2.0 below 4.0"}),
    "guardduty_rds_login_attempt": ("GuardDutyBlockFunction", [], {"action": "ban"}),
    "guardduty_runtime_network": ("GuardDutyBlockFunction", [], {"action": "ban"}),
    "schedule_hunt": ("HuntFunction", ["ScheduledHunt=enabled"], {"findings": []}),
    "schedule_ipset_sync": ("IpSetSyncFunction", [], {"failed": []}),
    "scheduled_trail_snapshot": ("TrailGuardFunction", [], {}),
    "secretsmanager_rotation": (
        "OriginSecretRotationFunction",
        [],
        {"step": "createSecret", "changed": ["AWSPENDING value"]},
    ),
    "securityhub_custom_action_block_ip": (
        "SecurityHubBlockFunction",
        ["EnableSecurityHubAction=true"],
        {"action": "ban"},
    ),
    "securityhub_custom_action_enable_cloudtrail": (
        "RespondStateMachine",
        ["EnableSecurityHubAction=true"],
        {},
    ),
    "securityhub_imported_cloudtrail_disabled": ("RespondStateMachine", [], {}),
    "securityhub_imported_v2_cloudtrail_disabled": ("RespondStateMachine", [], {}),
    "securityhub_imported_v2_network": (
        "OcsfBlockFunction",
        ["OcsfBlockProducers=Acme Network Sensor"],
        {"action": "ban"},
    ),
    "sns_cloudwatch_alarm": ("NotifierFunction", [], {"records": 1, "messages_sent": 1}),
    "sns_edgeguard_alert": ("NotifierFunction", [], {"records": 1, "messages_sent": 1}),
    "sns_plain_text": ("NotifierFunction", [], {"records": 1, "messages_sent": 1}),
    "sqs_s3_alb_log": ("LogAnalyzerFunction", [], {"batchItemFailures": []}),
    "sqs_s3_cloudfront_log": ("LogAnalyzerFunction", [], {"batchItemFailures": []}),
    "sqs_s3_test_event": ("LogAnalyzerFunction", [], {"batchItemFailures": []}),
    "sqs_s3_waf_log": ("LogAnalyzerFunction", [], {"batchItemFailures": []}),
}


def _argv(stem: str) -> list[str]:
    target, parameters, _ = TARGETS[stem]
    argv = ["invoke", target, "--event", str(EVENTS / f"{stem}.json")]
    for pair in parameters:
        argv += ["--param", pair]
    return argv


def test_every_event_file_has_a_target():
    stems = {path.stem for path in EVENTS.glob("*.json")}
    assert stems - TARGETS.keys() == set(), "map each new events/ file to its consumer here"
    assert TARGETS.keys() - stems == set(), "a mapped event file is gone"


@pytest.mark.parametrize("stem", sorted(TARGETS))
def test_the_event_runs_to_a_json_result(stem, capsys):
    code = main(_argv(stem))
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    result = json.loads(captured.out)
    expected = TARGETS[stem][2]
    assert {key: result.get(key) for key in expected} == expected
    assert "Warning" not in captured.err


def test_the_custom_resource_answers_cloudformation_on_a_local_receiver(capsys):
    assert main(_argv("cloudformation_custom_resource_create")) == 0
    err = capsys.readouterr().err
    (line,) = [x for x in err.splitlines() if x.startswith("CloudFormation received: ")]
    response = json.loads(line.removeprefix("CloudFormation received: "))
    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"]


def test_the_alarm_is_collected_over_the_last_minutes_not_the_samples_date(capsys):
    assert main(_argv("cloudwatch_alarm_waf_blocked")) == 0
    window = json.loads(capsys.readouterr().out)["alarm"]
    end = datetime.fromisoformat(window["end"])
    assert utcnow() - timedelta(minutes=10) < end <= utcnow() + timedelta(minutes=1)


@pytest.mark.parametrize("stem", ["sns_plain_text", "sqs_s3_alb_log", "cloudtrail_stop_logging"])
def test_stdout_is_the_result_alone_and_the_logs_go_to_stderr(stem):
    done = subprocess.run(
        [sys.executable, "-m", "edgeguard_tools", *_argv(stem)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), dict)  # the whole of stdout is one JSON value
    assert '"service":"edgeguard"' in done.stderr  # Powertools' logs and metrics: stderr
    assert "Warning" not in done.stderr
