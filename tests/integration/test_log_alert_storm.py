"""Issue 19 storm control, through the deployed handlers on moto (DynamoDB, S3, SNS):
300 bans from one log file give one alert that is one Telegram message; ten files of one
source within five minutes give the first file's alert and then one digest (published
by AlertDigestFunction once the window ended), and nothing is lost or sent twice."""

from __future__ import annotations

import json
import re
import shlex
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from edgeguard import clock
from edgeguard.notify.telegram_format import TELEGRAM_MESSAGE_LIMIT, render, telegram_length
from edgeguard_tools import log_samples as samples
from edgeguard_tools.events import load_event
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from edgeguard_tools.local.telegram_server import check_entities
from tests.decisions_support import alerts_seen, create_world
from tests.integration.test_log_analyzer import sqs_record
from tests.template_tables import create_table

T0 = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
BUCKET = "edgeguard-test-logs-123456789012"
STACK = "edgeguard-prod"


def client(file: int, i: int) -> str:
    return f"45.{40 + file}.{i // 256}.{i % 256}"


def traversal_object(file: int, clients: int) -> bytes:
    """A CloudFront log object in which each client sends two path-traversal requests
    (the scenario bans on the second); the first request carries a session token."""
    lines = [
        samples.cloudfront_line(T0 + timedelta(seconds=i % 240 + n), client(file, i), path, 400)
        for i in range(clients)
        for n, path in enumerate(
            ("/../../etc/passwd?session=s3cr3tS3ss10nV4lue", "/static/../../../etc/shadow")
        )
    ]
    return samples.cloudfront_object(lines)


@pytest.fixture
def deployed():
    with mock_aws():
        world = create_world()
        state = create_table(boto3.client("dynamodb"), "DetectionStateTable", "state")
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        env = {
            "DETECTION_STATE_TABLE": state,
            "DECISIONS_TABLE": world.table,
            "ALERTS_TOPIC_ARN": world.topic_arn,
            "DETECTION_OVERRIDES": "{}",
            "ALLOWLIST_CIDRS": ",",
            "EDGEGUARD_STACK": STACK,
        }
        with environment(env):
            analyzer = load_handler("functions/log_analyzer", fresh=True)
            digest = load_handler("functions/alert_digest", fresh=True)
        yield world, env, analyzer, digest


def deliver(env, analyzer, file: int, clients: int) -> str:
    """Put log object number ``file`` and deliver its S3 notification to the analyzer."""
    key = f"cloudfront/E2EXAMPLE1234.2026-11-30-03.f{file:02d}.gz"
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=traversal_object(file, clients))
    event = {"Records": [sqs_record(load_event("sqs_s3_cloudfront_log"), BUCKET, key, f"m{file}")]}
    with environment(env):
        assert analyzer(event, LocalContext(function_name="log-analyzer")) == {
            "batchItemFailures": []
        }
    return key


def one_telegram_message(alert: dict) -> str:
    messages = render(json.dumps(alert))
    assert len(messages) == 1, [telegram_length(m) for m in messages]
    (html,) = messages
    # Telegram counts the text after entity parsing; the HTML is never shorter.
    assert telegram_length(html) <= TELEGRAM_MESSAGE_LIMIT
    error, plain = check_entities(html)
    assert error is None
    return plain


def test_300_bans_from_one_file_are_one_alert_in_one_telegram_message(deployed) -> None:
    world, env, analyzer, _ = deployed
    with clock.frozen_at(T0 + timedelta(minutes=10)):
        key = deliver(env, analyzer, 1, 300)
    (alert,) = alerts_seen(world)
    assert alert["kind"] == "log-ban"
    assert len(alert["fields"]["clients"]) == 300  # email and JSON keep every client
    assert alert["fields"]["by scenario"] == {"path_traversal": 300}
    assert len(alert["fields"]["top offenders"]) == 10
    assert alert["happened"].startswith("300 clients banned from one cloudfront log file")
    # the scenario's ban, relative and absolute, from the frozen now of 03:10 UTC
    assert re.search(
        r"worst: \S+/32 \(path_traversal, 2 requests\) for \d+ [hd]", alert["happened"]
    )
    assert re.search(r", until (\w{3} \d\d \w{3} )?\d\d:\d\d UTC$", alert["happened"])
    # undo: the first clients' commands, then the command for all of them
    lines = alert["undo"].splitlines()
    assert (
        lines[0] == f"edgeguard unblock {client(1, 0)}/32 --stack-name {STACK} --region us-east-1"
    )
    assert lines[-1].startswith("all 300: edgeguard decisions --origin log --since 1h")
    assert alert["actions"] == []  # many bans: no buttons
    links = dict((link["label"], link["url"]) for link in alert["links"])
    s3_link = urlsplit(links["Log object"])
    assert s3_link.path == f"/s3/object/{BUCKET}"
    assert parse_qs(s3_link.query)["prefix"] == [key]
    plain = one_telegram_message(alert)
    assert "What happened" in plain and "Undo" in plain and "+" in plain  # lists shortened
    assert "s3cr3tS3ss10nV4lue" not in json.dumps(alert)  # sample request redacted


def test_one_ban_carries_its_scenario_evidence_sample_and_buttons(deployed) -> None:
    world, env, analyzer, _ = deployed
    with clock.frozen_at(T0 + timedelta(minutes=10)):
        deliver(env, analyzer, 2, 1)
    (alert,) = alerts_seen(world)
    value = f"{client(2, 0)}/32"
    assert alert["happened"].startswith(f"Path traversal from {value}: 2 requests")
    assert "e.g. '/../../etc/passwd?session=[redacted]'" in alert["happened"]
    assert "s3cr3tS3ss10nV4lue" not in json.dumps(alert)
    assert alert["undo"] == f"edgeguard unblock {value} --stack-name {STACK} --region us-east-1"
    assert [a["op"] for a in alert["actions"]] == ["unblock", "extend", "details"]
    assert {a["target"] for a in alert["actions"]} == {value}
    one_telegram_message(alert)


def test_ten_files_in_five_minutes_give_one_alert_then_one_digest(deployed) -> None:
    world, env, analyzer, digest = deployed
    start = T0 + timedelta(minutes=10)
    for file in range(10):  # one source, one file every 25 seconds
        with clock.frozen_at(start + timedelta(seconds=25 * file)):
            deliver(env, analyzer, 10 + file, 30)
    (first,) = alerts_seen(world)
    assert first["kind"] == "log-ban" and len(first["fields"]["clients"]) == 30

    # Within the window the flusher has nothing to say.
    with clock.frozen_at(start + timedelta(minutes=4)), environment(env):
        assert digest({}, LocalContext(function_name="alert-digest")) == {"digests": 0}
    assert alerts_seen(world) == []

    # After it, exactly one digest tells the other nine files.
    with clock.frozen_at(start + timedelta(minutes=6)), environment(env):
        assert digest({}, LocalContext(function_name="alert-digest")) == {"digests": 1}
        assert digest({}, LocalContext(function_name="alert-digest")) == {"digests": 0}
    (summary,) = alerts_seen(world)
    assert summary["kind"] == "log-ban-digest"
    assert summary["fields"]["alerts grouped"] == 9
    assert summary["fields"]["by scenario or type"] == {"path_traversal": 270}
    assert len(summary["fields"]["top offenders"]) == 10
    assert summary["actions"] == []
    command = summary["undo"].split(": ", 1)[1]
    words = shlex.split(command)
    # back to the first held file (25 s into the storm), a minute of margin: 7 minutes
    assert words[:6] == ["edgeguard", "decisions", "--origin", "log", "--since", "7m"]
    assert words[6:8] == ["--stack-name", STACK]
    one_telegram_message(summary)

    # A storm from the same source after the window starts a new one: announced at once.
    with clock.frozen_at(start + timedelta(minutes=7)):
        deliver(env, analyzer, 30, 5)
    (again,) = alerts_seen(world)
    assert again["kind"] == "log-ban" and len(again["fields"]["clients"]) == 5


def test_a_digest_that_cannot_be_published_is_published_later(deployed) -> None:
    world, env, analyzer, digest = deployed
    start = T0 + timedelta(minutes=10)
    for file in range(3):
        with clock.frozen_at(start + timedelta(seconds=30 * file)):
            deliver(env, analyzer, 50 + file, 4)
    alerts_seen(world)
    gone = {**env, "ALERTS_TOPIC_ARN": world.topic_arn.replace("alerts", "gone")}
    with environment(gone):
        broken = load_handler("functions/alert_digest", fresh=True)
    with (
        clock.frozen_at(start + timedelta(minutes=6)),
        environment(gone),
        pytest.raises(ClientError, match="NotFound"),
    ):
        broken({}, LocalContext(function_name="alert-digest"))
    # the claim of the failed run lapses after five minutes; then the digest goes out
    with clock.frozen_at(start + timedelta(minutes=12)), environment(env):
        assert digest({}, LocalContext(function_name="alert-digest")) == {"digests": 1}
    (summary,) = alerts_seen(world)
    assert summary["fields"]["alerts grouped"] == 2
