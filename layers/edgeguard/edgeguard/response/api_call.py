"""The CloudTrail API event ("AWS API Call via CloudTrail") that stopped or weakened a trail."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from edgeguard.errors import EdgeguardError
from edgeguard.response.actor import Actor
from edgeguard.response.trail import InvalidTrail, TrailRef

DETAIL_TYPE = "AWS API Call via CloudTrail"
EVENT_SOURCE = "cloudtrail.amazonaws.com"
# The calls that stop or weaken a trail. PutInsightSelectors counts: removing
# Insights silences the unusual-activity detection an intruder would trip.
WEAKENING_CALLS = (
    "StopLogging",
    "DeleteTrail",
    "UpdateTrail",
    "PutEventSelectors",
    "PutInsightSelectors",
)
# UpdateTrail request parameters and what they mean to a person.
UPDATE_TRAIL_FIELDS = {
    "s3BucketName": "S3 bucket",
    "s3KeyPrefix": "S3 key prefix",
    "snsTopicName": "SNS topic",
    "includeGlobalServiceEvents": "global service events",
    "isMultiRegionTrail": "multi-region",
    "enableLogFileValidation": "log file validation",
    "cloudWatchLogsLogGroupArn": "CloudWatch Logs group",
    "cloudWatchLogsRoleArn": "CloudWatch Logs role",
    "kmsKeyId": "KMS key",
    "isOrganizationTrail": "organization trail",
}


class NotATrailCall(EdgeguardError, ValueError):
    """The event is not a CloudTrail API call edgeguard guards against."""


@dataclass(frozen=True)
class ApiCall:
    """One call that stopped or weakened a trail, as CloudTrail recorded it."""

    event_id: str
    event_name: str
    event_time: str
    region: str
    account: str
    trail: TrailRef
    actor: Actor
    source_ip: str
    user_agent: str
    request: dict[str, Any] = field(default_factory=dict)
    error_code: str = ""
    error_message: str = ""

    @property
    def failed(self) -> bool:
        """The call was refused (e.g. AccessDenied): nothing changed, but someone tried."""
        return bool(self.error_code)

    def changes(self) -> dict[str, Any]:
        """What the call asked to change, in plain words (from requestParameters)."""
        if self.event_name == "UpdateTrail":
            return {
                label: self.request[key]
                for key, label in UPDATE_TRAIL_FIELDS.items()
                if key in self.request
            }
        if self.event_name == "PutEventSelectors":
            if "advancedEventSelectors" in self.request:
                return {"advanced event selectors": self.request["advancedEventSelectors"]}
            return {"event selectors": self.request.get("eventSelectors", [])}
        if self.event_name == "PutInsightSelectors":
            return {"insight selectors": self.request.get("insightSelectors", [])}
        if self.event_name == "DeleteTrail":
            return {"trail": "deleted"}
        if self.event_name == "StopLogging":
            return {"logging": "stopped"}
        return {}


def parse_api_call(event: Any) -> ApiCall:
    """Read an EventBridge CloudTrail event; raise NotATrailCall for anything else.

    Accepted: detail-type "AWS API Call via CloudTrail", eventSource
    cloudtrail.amazonaws.com and an eventName in ``WEAKENING_CALLS``, naming a valid
    trail in requestParameters (fields per "AWS CloudTrail User Guide: CloudTrail record
    contents"). A refused call (``errorCode``) is parsed too: see ``ApiCall.failed``.
    """
    if not isinstance(event, dict) or event.get("detail-type") != DETAIL_TYPE:
        raise NotATrailCall("not an 'AWS API Call via CloudTrail' event")
    detail = event.get("detail")
    if not isinstance(detail, dict) or detail.get("eventSource") != EVENT_SOURCE:
        raise NotATrailCall("not a CloudTrail (cloudtrail.amazonaws.com) API call")
    name = detail.get("eventName")
    if name not in WEAKENING_CALLS:
        raise NotATrailCall(f"eventName {name!r} is not one edgeguard guards against")
    request = detail.get("requestParameters")
    request = request if isinstance(request, dict) else {}
    raw_trail = request.get("name") or request.get("trailName")
    try:
        trail = TrailRef.parse(raw_trail)
    except InvalidTrail as error:
        raise NotATrailCall(f"{name}: {error}") from error
    return ApiCall(
        event_id=_text(detail.get("eventID")) or _text(event.get("id")),
        event_name=name,
        event_time=_text(detail.get("eventTime")) or _text(event.get("time")),
        region=_text(detail.get("awsRegion")) or _text(event.get("region")),
        account=_text(detail.get("recipientAccountId")) or _text(event.get("account")),
        trail=trail,
        actor=Actor.from_user_identity(detail.get("userIdentity")),
        source_ip=_text(detail.get("sourceIPAddress")),
        user_agent=_text(detail.get("userAgent")),
        request=request,
        error_code=_text(detail.get("errorCode")),
        error_message=_text(detail.get("errorMessage")),
    )


_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):(role|assumed-role)/(.+)$")


def role_of(arn: str) -> tuple[str, str] | None:
    """(account, role name) of a role ARN (any path) or an assumed-role session ARN."""
    match = _ROLE_ARN.match(arn or "")
    if not match:
        return None
    account, kind, rest = match.groups()
    name = rest.rsplit("/", 1)[-1] if kind == "role" else rest.split("/", 1)[0]
    return account, name


def is_suite_call(actor: Actor, suite_role_arns: frozenset[str]) -> bool:
    """True when edgeguard's own role made the call (so it never fights itself).

    Matched on the role (session issuer, or the role in an assumed-role ARN, both
    set by AWS), never on the session name, which any caller chooses freely."""
    wanted = {role for arn in suite_role_arns if (role := role_of(arn))}
    return any(role_of(arn) in wanted for arn in (actor.issuer_arn, actor.arn) if arn)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
