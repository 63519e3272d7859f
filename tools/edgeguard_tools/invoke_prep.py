"""Fit a sample event to the local cloud before ``edgeguard invoke`` runs it.

The files in events/ are what AWS sends, naming the resources of an example account.
Before the call, what an event names is made to exist in the local cloud and its times
are made current, so the function does its real work instead of failing on a resource
that is not there:

- CloudWatch alarm state change: every ISO 8601 time in it (``time``, the states'
  timestamps, the dates inside ``reasonData``) moves by one amount, so that the state
  changed now (WAF's GetSampledRequests only looks back three hours).
- Secrets Manager rotation step: ``SecretId`` becomes the secret this function rotates
  in the template, with an AWSPENDING version for ``ClientRequestToken`` as RotateSecret
  stages it.
- CloudFormation custom resource: ``ResponseURL`` becomes a receiver on 127.0.0.1 for the
  duration of the call; what the function PUT there is printed on stderr.
- A CloudTrail API call or a finding that names a trail: the trail is created (logging
  off for StopLogging and logging-disabled findings, on otherwise); not for DeleteTrail,
  whose trail is gone by definition.
- SQS messages carrying S3 notifications: a missing object is written at its key, a
  small log of the kind the key names (WAF, ALB, else CloudFront), dated now.

Anything else passes unchanged.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from contextlib import ExitStack
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote_plus

from edgeguard.clock import utcnow
from edgeguard_tools import log_samples
from edgeguard_tools.local.delivery.rotation import stage_pending_version
from edgeguard_tools.local.loopback import LoopbackServer, QuietHandler
from edgeguard_tools.local.template import ACCOUNT_ID

_ISO = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)")
_TRAIL_ARN = re.compile(r"arn:aws:cloudtrail:[a-z0-9-]+:\d{12}:trail/([A-Za-z0-9._-]+)")
TRAIL_BUCKET = f"edgeguard-local-trail-{ACCOUNT_ID}"
PROBE_ADDRESS = "203.0.113.50"  # RFC 5737 documentation range
PROBE_PATHS = ("/.env", "/.git/config", "/wp-login.php", "/admin/config.php", "/phpmyadmin/")


def prepare_account(parameters: dict[str, str], scope: ExitStack) -> None:
    """What the README asks of an account before a deploy with these parameters, done in
    the local cloud's account (moto, kept for ``scope``): Security Hub enabled when the
    stack creates a custom action (``EnableSecurityHubAction=true``)."""
    if str(parameters.get("EnableSecurityHubAction", "")).lower() != "true":
        return
    import boto3  # noqa: PLC0415 - only when asked
    from moto import mock_aws  # noqa: PLC0415

    scope.enter_context(mock_aws())  # the LocalCloud started inside keeps this account
    boto3.client("securityhub", region_name="us-east-1").enable_security_hub()


def prepare(cloud: Any, target: str, event: Any, scope: ExitStack) -> Any:
    """A copy of ``event`` fitted to ``cloud`` (see the module docstring); what it needs
    running for the call (the ResponseURL receiver) stays open until ``scope`` closes."""
    if not isinstance(event, dict):
        return event
    event = copy.deepcopy(event)
    if event.get("detail-type") == "CloudWatch Alarm State Change":
        event = alarm_now(event)
    if "Step" in event and "ClientRequestToken" in event:
        _stage_rotation(cloud, target, event)
    if "ResponseURL" in event and "RequestType" in event:
        receiver = scope.enter_context(ResponseReceiver())
        event["ResponseURL"] = f"{receiver.base_url}/cloudformation-response"
        scope.callback(receiver.report)
    _create_trails(cloud, event)
    _put_objects(cloud, event)
    return event


def alarm_now(event: dict[str, Any]) -> dict[str, Any]:
    """The alarm event with every ISO 8601 time moved so that its state changed now."""
    stamp = _ISO.match(str((event.get("detail") or {}).get("state", {}).get("timestamp", "")))
    if stamp is None:
        return event
    delta = utcnow() - _parse(stamp)

    def shift(match: re.Match[str]) -> str:
        moved = _parse(match) + delta
        fraction = match.group(2) or ""
        digits = f".{moved.microsecond:06d}"[: len(fraction)] if fraction else ""
        return f"{moved:%Y-%m-%dT%H:%M:%S}{digits}{match.group(3)}"

    return dict(json.loads(_ISO.sub(shift, json.dumps(event))))


def _parse(match: re.Match[str]) -> datetime:
    zone = match.group(3).replace("Z", "+00:00")
    if len(zone) == 5:
        zone = f"{zone[:3]}:{zone[3:]}"
    fraction = (match.group(2) or ".0")[1:7].ljust(6, "0")
    return datetime.fromisoformat(f"{match.group(1)}.{fraction}{zone}")


def _stage_rotation(cloud: Any, target: str, event: dict[str, Any]) -> None:
    rotation = next((r for r in cloud.wiring.rotations if r.function == target), None)
    if rotation is None:
        return
    event["SecretId"] = arn = cloud.resource(rotation.secret)
    versions = cloud.client("secretsmanager").describe_secret(SecretId=arn)
    if event["ClientRequestToken"] not in versions.get("VersionIdsToStages", {}):
        stage_pending_version(arn, event["ClientRequestToken"])


class ResponseReceiver(LoopbackServer):
    """CloudFormation's side of a custom resource: takes the PUT of the response."""

    name = "CloudFormation response receiver"

    def __init__(self) -> None:
        super().__init__()
        self.responses: list[dict[str, Any]] = []

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        responses = self.responses

        class Handler(QuietHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                responses.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler

    def report(self) -> None:
        """Say on stderr what CloudFormation would have received."""
        for response in self.responses:
            print(f"CloudFormation received: {json.dumps(response)}", file=sys.stderr)
        if not self.responses:
            print("CloudFormation received no response", file=sys.stderr)


def _trail_names(event: dict[str, Any]) -> set[str]:
    names = set(_TRAIL_ARN.findall(json.dumps(event)))
    detail = event.get("detail") or {}
    if detail.get("eventSource") == "cloudtrail.amazonaws.com":
        named = str((detail.get("requestParameters") or {}).get("name") or "")
        if named:
            names.add(named.rsplit("/", 1)[-1])
    return names


def _create_trails(cloud: Any, event: dict[str, Any]) -> None:
    detail = event.get("detail") or {}
    if detail.get("eventName") == "DeleteTrail":
        return
    names = _trail_names(event)
    if not names:
        return
    trails = cloud.client("cloudtrail")
    existing = {t["Name"] for t in trails.describe_trails()["trailList"]}
    stopped = detail.get("eventName") == "StopLogging" or "LoggingDisabled" in json.dumps(event)
    s3 = cloud.client("s3")
    for name in sorted(names - existing):
        s3.create_bucket(Bucket=TRAIL_BUCKET)
        trails.create_trail(Name=name, S3BucketName=TRAIL_BUCKET, IsMultiRegionTrail=True)
        if not stopped:
            trails.start_logging(Name=name)


def _put_objects(cloud: Any, event: dict[str, Any]) -> None:
    s3 = cloud.client("s3")
    for record in event.get("Records") or []:
        try:
            body = json.loads(record.get("body") or "")
        except (TypeError, json.JSONDecodeError):
            continue
        for notification in (body.get("Records") or []) if isinstance(body, dict) else []:
            where = notification.get("s3") or {}
            bucket = (where.get("bucket") or {}).get("name")
            key = unquote_plus(str((where.get("object") or {}).get("key") or ""))
            if not bucket or not key or _exists(s3, bucket, key) is not False:
                continue
            s3.put_object(Bucket=bucket, Key=key, Body=sample_log(bucket, key))


def _exists(s3: Any, bucket: str, key: str) -> bool | None:
    """True/False for the object; None when the bucket is not the local cloud's."""
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        return None
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError:
        return False
    return True


def sample_log(bucket: str, key: str) -> bytes:
    """A small gzip'd log of the kind ``key`` names: a client probing sensitive paths."""
    start = utcnow() - timedelta(minutes=5)
    times = [start + timedelta(seconds=3 * i) for i in range(len(PROBE_PATHS) * 4)]
    paths = [PROBE_PATHS[i % len(PROBE_PATHS)] for i in range(len(times))]
    if "WAFLogs" in key or bucket.startswith("aws-waf-logs-"):
        return log_samples.waf_object(
            [log_samples.waf_record(t, PROBE_ADDRESS, p) for t, p in zip(times, paths, strict=True)]
        )
    if "elasticloadbalancing" in key:
        return log_samples.alb_object(
            [
                log_samples.alb_line(t, PROBE_ADDRESS, p, 404)
                for t, p in zip(times, paths, strict=True)
            ]
        )
    return log_samples.cloudfront_object(
        [
            log_samples.cloudfront_line(t, PROBE_ADDRESS, p, 404)
            for t, p in zip(times, paths, strict=True)
        ]
    )
