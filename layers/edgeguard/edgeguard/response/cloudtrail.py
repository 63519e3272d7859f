"""CloudTrail operations the response needs: start and verify logging, read a trail's
configuration, and put a recorded configuration back. Every call is safe to repeat."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from edgeguard.errors import EdgeguardError, Throttled, error_code, is_throttling
from edgeguard.response.trail import TrailRef

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_cloudtrail.type_defs import InsightSelectorTypeDef

GONE_CODES = frozenset({"TrailNotFoundException", "CloudTrailARNInvalidException"})


class TrailGone(EdgeguardError, RuntimeError):
    """The trail does not exist (deleted): logging cannot be restarted on it."""


class NotLoggingYet(EdgeguardError, RuntimeError):
    """StartLogging returned but GetTrailStatus does not say IsLogging yet."""


def translate(error: ClientError) -> Exception:
    """Map a CloudTrail client error onto what the response does about it.

    Returns (for the caller to raise) Throttled for a throttling code (the caller, Step
    Functions, retries with backoff), TrailGone for TrailNotFoundException /
    CloudTrailARNInvalidException, else ``error`` itself.
    """
    code = error_code(error)
    if is_throttling(code):
        return Throttled(f"CloudTrail throttled the request ({code})")
    if code in GONE_CODES:
        return TrailGone(f"the trail does not exist ({code})")
    return error


def start_logging(client: CloudTrailClient, trail: TrailRef) -> None:
    """StartLogging; starting a trail that already logs is a no-op for CloudTrail.

    Raises Throttled, TrailGone or ClientError (see ``translate``).
    """
    try:
        client.start_logging(Name=trail.api_id())
    except ClientError as error:
        raise translate(error) from error


def is_logging(client: CloudTrailClient, trail: TrailRef) -> bool:
    """GetTrailStatus(...).IsLogging.

    Raises Throttled, TrailGone or ClientError (see ``translate``).
    """
    try:
        return bool(client.get_trail_status(Name=trail.api_id()).get("IsLogging"))
    except ClientError as error:
        raise translate(error) from error


def start_and_verify(
    client: CloudTrailClient,
    trail: TrailRef,
    attempts: int = 3,
    wait_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Start logging and confirm it with GetTrailStatus; True when the trail logs.

    Checks up to ``attempts`` times, sleeping ``wait_seconds * 2**n`` seconds between
    checks; False when it still does not log. Raises Throttled, TrailGone or
    ClientError (see ``translate``).
    """
    start_logging(client, trail)
    for attempt in range(attempts):
        if is_logging(client, trail):
            return True
        if attempt + 1 < attempts:
            sleep(wait_seconds * (2**attempt))
    return False


# UpdateTrail parameter <-> GetTrail field. Restoring sends only what differs.
UPDATABLE = {
    "S3BucketName": "S3BucketName",
    "S3KeyPrefix": "S3KeyPrefix",
    "SnsTopicName": "SnsTopicARN",
    "IncludeGlobalServiceEvents": "IncludeGlobalServiceEvents",
    "IsMultiRegionTrail": "IsMultiRegionTrail",
    "EnableLogFileValidation": "LogFileValidationEnabled",
    "CloudWatchLogsLogGroupArn": "CloudWatchLogsLogGroupArn",
    "CloudWatchLogsRoleArn": "CloudWatchLogsRoleArn",
    "KmsKeyId": "KmsKeyId",
}


@dataclass(frozen=True)
class TrailConfig:
    """A trail's restorable configuration: UpdateTrail settings and selectors."""

    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    event_selectors: list[dict[str, Any]] = field(default_factory=list)
    advanced_event_selectors: list[dict[str, Any]] = field(default_factory=list)
    insight_selectors: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        """The record as canonical JSON (sorted keys; non-JSON values as strings)."""
        return json.dumps(asdict(self), sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> TrailConfig:
        """The record ``to_json`` wrote.

        Raises ValueError (not JSON) or KeyError (no ``name``).
        """
        data = json.loads(text)
        return cls(
            name=str(data["name"]),
            settings=dict(data.get("settings") or {}),
            event_selectors=list(data.get("event_selectors") or []),
            advanced_event_selectors=list(data.get("advanced_event_selectors") or []),
            insight_selectors=list(data.get("insight_selectors") or []),
        )


def read_config(client: CloudTrailClient, trail: TrailRef) -> TrailConfig:
    """GetTrail + GetEventSelectors + GetInsightSelectors, as one restorable record.

    Raises Throttled, TrailGone or ClientError (see ``translate``).
    """
    try:
        described = client.get_trail(Name=trail.api_id())["Trail"]
        selectors = client.get_event_selectors(TrailName=trail.api_id())
    except ClientError as error:
        raise translate(error) from error
    settings = {
        param: _settable(param, described.get(field_name))
        for param, field_name in UPDATABLE.items()
    }
    return TrailConfig(
        name=str(described.get("Name") or trail.name),
        settings=settings,
        event_selectors=_clean(selectors.get("EventSelectors") or []),
        advanced_event_selectors=_clean(selectors.get("AdvancedEventSelectors") or []),
        insight_selectors=_read_insights(client, trail)
        if described.get("HasInsightSelectors")
        else [],
    )


def _settable(param: str, value: Any) -> Any:
    """GetTrail reports the SNS topic as an ARN; UpdateTrail takes its name or ARN."""
    if value is None:
        return "" if param not in _BOOLEANS else False
    return value


_BOOLEANS = {"IncludeGlobalServiceEvents", "IsMultiRegionTrail", "EnableLogFileValidation"}
_CLOUDWATCH_PAIR = ("CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn")


def _read_insights(client: CloudTrailClient, trail: TrailRef) -> list[dict[str, Any]]:
    try:
        return _clean(
            client.get_insight_selectors(TrailName=trail.api_id()).get("InsightSelectors") or []
        )
    except ClientError as error:
        if error_code(error) == "InsightNotEnabledException":
            return []
        raise translate(error) from error


def _clean(items: list[Any]) -> list[dict[str, Any]]:
    """Drop response-only noise so a snapshot compares equal to a fresh read."""
    return json.loads(json.dumps(items, default=str))


@dataclass
class RestoreStep:
    """One setting put back (or not), for the alert."""

    what: str
    before: Any
    after: Any
    ok: bool
    error: str = ""


def restore(client: CloudTrailClient, trail: TrailRef, recorded: TrailConfig) -> list[RestoreStep]:
    """Put the recorded configuration back; only what differs is sent. Safe to repeat.

    Returns one RestoreStep per part sent (trail settings via UpdateTrail, event
    selectors, insight selectors); a refused call is a step with ``ok=False`` and the
    error, not an exception. Raises Throttled or TrailGone (see ``translate``) and
    ClientError when the current configuration cannot be read.
    """
    current = read_config(client, trail)
    steps: list[RestoreStep] = []
    changed = {
        param: value
        for param, value in recorded.settings.items()
        if current.settings.get(param) != value
    }
    if changed:
        # CloudWatch Logs group and role go together or not at all.
        if any(param in changed for param in _CLOUDWATCH_PAIR):
            for param in _CLOUDWATCH_PAIR:
                changed.setdefault(param, recorded.settings.get(param, ""))
        before = {param: current.settings.get(param) for param in changed}
        update = partial(client.update_trail, Name=trail.api_id(), **changed)
        steps.append(_apply("trail settings", before, changed, update))
    recorded_selectors = (recorded.event_selectors, recorded.advanced_event_selectors)
    # A trail always has selectors; an empty record means "not recorded", not "none".
    if any(recorded_selectors) and recorded_selectors != (
        current.event_selectors,
        current.advanced_event_selectors,
    ):
        selectors: dict[str, Any] = (
            {"AdvancedEventSelectors": recorded.advanced_event_selectors}
            if recorded.advanced_event_selectors
            else {"EventSelectors": recorded.event_selectors}
        )
        put = partial(client.put_event_selectors, TrailName=trail.api_id(), **selectors)
        was = current.advanced_event_selectors or current.event_selectors
        steps.append(_apply("event selectors", was, next(iter(selectors.values())), put))
    if current.insight_selectors != recorded.insight_selectors:
        put_insights = partial(
            client.put_insight_selectors,
            TrailName=trail.api_id(),
            # as GetInsightSelectors returned them when the snapshot was taken
            InsightSelectors=cast("list[InsightSelectorTypeDef]", recorded.insight_selectors),
        )
        steps.append(
            _apply(
                "insight selectors",
                current.insight_selectors,
                recorded.insight_selectors,
                put_insights,
            )
        )
    return steps


def _apply(what: str, before: Any, after: Any, call: Callable[[], Any]) -> RestoreStep:
    try:
        call()
    except ClientError as error:
        problem = translate(error)
        if isinstance(problem, Throttled):
            raise problem from error
        return RestoreStep(
            what, before, after, ok=False, error=f"{error_code(error)}: {_message(error)}"
        )
    return RestoreStep(what, before, after, ok=True)


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))[:300]
