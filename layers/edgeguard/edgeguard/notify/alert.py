"""The structured alert every edgeguard automation publishes on the alerts topic.

Lambda subscribers receive the JSON form (the notifier renders it for Telegram);
email subscribers receive a readable plain-text rendering of the same alert.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

SEVERITIES = ("info", "low", "medium", "high", "critical")
_SUBJECT_LIMIT = 100  # SNS Subject: at most 100 printable ASCII characters


@dataclass(frozen=True)
class Alert:
    """One event worth telling the team about.

    ``kind`` names the automation (e.g. "log-ban"), ``severity`` is one of
    ``SEVERITIES``, ``fields`` are JSON-ready values shown one per line, ``link`` an
    optional URL.

    Raises (on construction):
        ValueError: an unknown severity, or an empty kind or title.
    """

    kind: str
    title: str
    severity: str = "info"
    fields: dict[str, Any] = field(default_factory=dict)
    link: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
        if not self.kind or not self.title:
            raise ValueError("an alert needs a kind and a title")

    def to_dict(self) -> dict[str, Any]:
        """The wire form on the alerts topic."""
        return {
            "kind": self.kind,
            "title": self.title,
            "severity": self.severity,
            "fields": {str(k): v for k, v in self.fields.items()},
            "link": self.link,
        }

    def to_text(self) -> str:
        """Plain text for email: title, then one field per line."""
        lines = [f"[{self.severity.upper()}] {self.title}", ""]
        lines += [f"{key}: {_as_text(value)}" for key, value in self.fields.items()]
        if self.link:
            lines += ["", self.link]
        return "\n".join(lines)

    def subject(self) -> str:
        """An SNS-safe subject line (ASCII, no newlines, at most 100 characters).

        Non-ASCII characters become ``?`` and runs of whitespace one space. Source of the
        constraint: "Amazon SNS API Reference: Publish" (Subject).
        """
        raw = f"edgeguard {self.severity.upper()}: {self.title}"
        ascii_only = raw.encode("ascii", "replace").decode("ascii")
        flat = " ".join(ascii_only.split())
        return flat[: _SUBJECT_LIMIT - 3] + "..." if len(flat) > _SUBJECT_LIMIT else flat


def _as_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def message_body(alert: Alert) -> str:
    """The ``Message`` parameter ``publish`` sends: a JSON object whose ``default`` is the
    JSON alert (Lambda subscribers) and ``email`` the text rendering.

    Its UTF-8 size counts against SNS's 256 KB message limit ("Amazon SNS API Reference:
    Publish", Message constraints); ``edgeguard.notify.digest.fit`` keeps it under.
    """
    message = {
        "default": json.dumps(alert.to_dict(), default=str),
        "email": alert.to_text(),
    }
    return json.dumps(message)


def publish(sns_client: SNSClient, topic_arn: str, alert: Alert) -> str:
    """Publish an alert: JSON for Lambda subscribers, readable text for email.

    The alert is first made to fit SNS's message size (``edgeguard.notify.digest.fit``:
    long lists are summarised, never dropped silently), so every automation is safe from
    the 256 KB limit. Uses ``MessageStructure="json"`` (``default`` = the JSON alert,
    ``email`` = the text). Returns the SNS MessageId; botocore ClientError propagates.
    """
    # digest builds on this module; imported here so that this module stays importable
    # first (digest and alert are one shared leaf, see docs/alerts.md).
    from edgeguard.notify.digest import fit  # noqa: PLC0415

    fitted = fit(alert)
    response = sns_client.publish(
        TopicArn=topic_arn,
        Subject=fitted.subject(),
        MessageStructure="json",
        Message=message_body(fitted),
    )
    return str(response["MessageId"])
