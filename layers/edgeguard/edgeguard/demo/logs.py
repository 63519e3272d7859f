"""Demo chapter: an attacker's CloudFront log lands in the log bucket and becomes bans.

Runs the analyzer exactly as deployed (S3 object -> SQS record shaped like
events/sqs_s3_cloudfront_log.json -> Powertools partial batch -> DynamoDB state
and decision tables created from template.yaml), in moto.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from edgeguard.demo.story import Story
from edgeguard.events import load_event, project_root

TITLE = "Log-driven blocking: a CloudFront log file becomes ban decisions"
ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.10"
BUCKET = "edgeguard-demo-logs-123456789012"


def _tables_from_template(dynamodb: Any) -> tuple[str, str]:
    import yaml  # noqa: PLC0415 - dev dependency, the demo runs from a checkout

    class Loader(yaml.SafeLoader):
        pass

    def tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return {suffix: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {suffix: loader.construct_sequence(node, deep=True)}
        return {suffix: loader.construct_mapping(node, deep=True)}

    Loader.add_multi_constructor("!", tag)
    resources = yaml.load((project_root() / "template.yaml").read_text(), Loader=Loader)[  # noqa: S506 - SafeLoader subclass
        "Resources"
    ]
    names = []
    for logical_id in ("DetectionStateTable", "DecisionsTable"):
        props = resources[logical_id]["Properties"]
        name = f"demo-{logical_id}"
        dynamodb.create_table(
            TableName=name,
            KeySchema=props["KeySchema"],
            AttributeDefinitions=props["AttributeDefinitions"],
            BillingMode=props["BillingMode"],
        )
        names.append(name)
    return names[0], names[1]


def _attack_log(start: datetime) -> bytes:
    from edgeguard.logs import samples  # noqa: PLC0415

    lines = []
    probes = ["/.env", "/.git/config", "/.aws/credentials", "/backup.sql", "/wp-config.php.bak"]
    for i, path in enumerate(probes):
        lines.append(samples.cloudfront_line(start + timedelta(seconds=i * 2), ATTACKER, path, 404))
    for i, query in enumerate(
        ["id=1%27%20OR%20%271%27=%271", "id=1%20UNION%20SELECT%20null--", "id=1%20AND%20SLEEP(5)"]
    ):
        lines.append(
            samples.cloudfront_line(
                start + timedelta(seconds=20 + i), ATTACKER, "/products", 200, query
            )
        )
    for i in range(3000):  # a busy office behind one address, doing nothing wrong
        uri = ("/", "/dashboard", "/static/app.js", "/api/v2/me")[i % 4]
        status = 304 if uri.startswith("/static") else 200
        lines.append(
            samples.cloudfront_line(start + timedelta(seconds=i * 0.5), OFFICE, uri, status)
        )
    return samples.cloudfront_object(lines)


def _record(key: str, message_id: str) -> dict[str, Any]:
    record = copy.deepcopy(load_event("sqs_s3_cloudfront_log")["Records"][0])
    body = json.loads(record["body"])
    body["Records"][0]["s3"]["bucket"]["name"] = BUCKET
    body["Records"][0]["s3"]["object"]["key"] = key
    record["body"], record["messageId"] = json.dumps(body), message_id
    return record


def run(story: Story) -> None:
    import boto3  # noqa: PLC0415
    from aws_lambda_powertools.utilities.batch import (  # noqa: PLC0415
        BatchProcessor,
        EventType,
        process_partial_response,
    )
    from moto import mock_aws  # noqa: PLC0415

    from edgeguard.decisions import MemorySink  # noqa: PLC0415
    from edgeguard.decisions.store import DynamoDecisionStore  # noqa: PLC0415
    from edgeguard.logs.analyzer import Replay  # noqa: PLC0415
    from edgeguard.logs.function import Dependencies, record_handler_for  # noqa: PLC0415
    from edgeguard.logs.settings import DetectionSettings  # noqa: PLC0415
    from edgeguard.logs.state import DynamoStateStore  # noqa: PLC0415

    start = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    body = _attack_log(start)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        state_table, decisions_table = _tables_from_template(dynamodb)
        decisions = DynamoDecisionStore(decisions_table, client=dynamodb)
        deps = Dependencies(
            s3=s3,
            store=DynamoStateStore(dynamodb, state_table),
            sink=decisions,
            settings=DetectionSettings(),
        )
        key = "cloudfront/E2EXAMPLE1234.2026-11-20-14.4f8a3c21.gz"
        story.step(f"{ATTACKER} sweeps for /.env, /.git/config, backups and tries SQL injection;")
        story.step(f"{OFFICE} (an office NAT) browses all along: 3,000 requests, 304s included")
        story.step(f"CloudFront delivers s3://{BUCKET}/{key} ({len(body):,} bytes gzip)")
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        s3.put_object(
            Bucket=BUCKET,
            Key="cloudfront/E2EXAMPLE1234.2026-11-20-14.broken.gz",
            Body=b"\x1f\x8b\x08\x00" + b"\x00" * 32,
        )
        story.step("S3 notifies the log queue; the analyzer gets a batch of two records")
        reports: list = []
        response = process_partial_response(
            event={
                "Records": [
                    _record(key, "good"),
                    _record("cloudfront/E2EXAMPLE1234.2026-11-20-14.broken.gz", "broken"),
                ]
            },
            record_handler=record_handler_for(deps, reports),
            processor=BatchProcessor(event_type=EventType.SQS),
        )
        for report in reports:
            story.step(
                f"analyzed {report.lines:,} lines ({report.skipped} skipped) of {report.format} log"
            )
            for outcome in report.outcomes:
                story.step(
                    f"  {outcome.request.action} {outcome.verdict.client}: "
                    f"{outcome.verdict.scenario}, {outcome.verdict.events} events, "
                    f"e.g. {outcome.request.details.get('sample', '')}"
                )
        stored = decisions.get(f"{ATTACKER}/32")
        story.expect(
            "the attacker is banned (origin log)",
            any(d.action == "ban" and d.origin == "log" for d in stored),
        )
        story.expect("the office NAT is not banned", decisions.get(f"{OFFICE}/32") == [])
        story.expect(
            "the corrupt object fails alone (partial batch response)",
            [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["broken"],
        )

    story.step("edgeguard replay: the same file, offline, no AWS")
    replay = Replay()
    replay.add_bytes(body)
    offline = {(o.verdict.client, o.verdict.scenario) for o in replay.decide(MemorySink())}
    online = {(o.verdict.client, o.verdict.scenario) for r in reports for o in r.outcomes}
    story.expect(
        "replay decides the same clients for the same reasons",
        offline == online,
        f"offline {sorted(offline)} vs online {sorted(online)}",
    )
