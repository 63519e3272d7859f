"""The structured alert every edgeguard automation publishes on the alerts topic.

Lambda subscribers receive the JSON form (the notifier renders it for Telegram);
email subscribers receive a readable plain-text rendering of the same alert. Both show
the same content in the same order: what happened, what edgeguard did, how to undo it,
where to look (console links), then the details (``fields``). See docs/alerts.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

SEVERITIES = ("info", "low", "medium", "high", "critical")
_SUBJECT_LIMIT = 100  # SNS Subject: at most 100 printable ASCII characters
# What a reader can do from an alert (the Telegram webhook offers them as buttons).
ACTION_OPS = ("unblock", "extend", "details")
ACTION_SCOPES = ("ip", "tenant")
# The headings both renderings use, in this order (email text and Telegram).
HEADINGS = {"happened": "What happened", "did": "What edgeguard did", "undo": "Undo"}


@dataclass(frozen=True)
class Alert:
    """One event worth telling the team about.

    ``kind`` names the automation (e.g. "log-ban"), ``severity`` is one of
    ``SEVERITIES``, ``fields`` are JSON-ready details shown one per line, ``link`` an
    optional URL (kept for older producers; ``links`` is the list form).

    What a person acts on, shown before the details and in this order:
    ``happened`` (one sentence: what, from where, against what, for how long),
    ``did`` (what edgeguard did), ``undo`` (the exact command that reverses it, empty
    when nothing can be undone), ``links`` ((label, https URL) pairs to the console).
    ``actions`` are what the reader may do from the chat: each is
    ``{"op": "unblock"|"extend"|"details", "target": <CIDR or tenant id>, "scope":
    "ip"|"tenant"}``; an alert about one ban carries them, a digest none.

    Raises (on construction):
        ValueError: an unknown severity, an empty kind or title, or a malformed action.
    """

    kind: str
    title: str
    severity: str = "info"
    fields: dict[str, Any] = field(default_factory=dict)
    link: str | None = None
    happened: str = ""
    did: str = ""
    undo: str = ""
    links: tuple[tuple[str, str], ...] = ()
    actions: tuple[dict[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
        if not self.kind or not self.title:
            raise ValueError("an alert needs a kind and a title")
        for action in self.actions:
            if (
                action.get("op") not in ACTION_OPS
                or action.get("scope") not in ACTION_SCOPES
                or not action.get("target")
            ):
                raise ValueError(f"malformed alert action: {action!r}"[:200])

    def all_links(self) -> list[tuple[str, str]]:
        """``links`` then ``link`` (labelled "Open"), each URL once."""
        pairs = list(self.links)
        if self.link and all(url != self.link for _, url in pairs):
            pairs.append(("Open", self.link))
        return pairs

    def to_dict(self) -> dict[str, Any]:
        """The wire form on the alerts topic."""
        return {
            "kind": self.kind,
            "title": self.title,
            "severity": self.severity,
            "fields": {str(k): v for k, v in self.fields.items()},
            "link": self.link,
            "happened": self.happened,
            "did": self.did,
            "undo": self.undo,
            "links": [{"label": label, "url": url} for label, url in self.links],
            "actions": [dict(action) for action in self.actions],
        }

    def to_text(self) -> str:
        """Plain text for email: title; what happened, what edgeguard did, undo, links
        (each under its heading); then one detail per line."""
        lines = [f"[{self.severity.upper()}] {self.title}", ""]
        for name, heading in HEADINGS.items():
            text = getattr(self, name)
            if text:
                lines += [f"{heading}:", f"  {text}", ""]
        pairs = self.all_links()
        if pairs:
            lines += ["Links:"] + [f"  {label}: {url}" for label, url in pairs] + [""]
        if self.fields:
            lines += ["Details:"]
            lines += [f"  {key}: {_as_text(value)}" for key, value in self.fields.items()]
        return "\n".join(lines).rstrip("\n")

    def subject(self) -> str:
        """An SNS-safe subject line (ASCII, no newlines, at most 100 characters).

        Non-ASCII characters become ``?``, control characters (C0, DEL) a space, and runs
        of whitespace one space. Source of the constraint: "Amazon SNS API Reference:
        Publish" (Subject: ASCII text beginning with a letter, number or punctuation,
        no line breaks or control characters).
        """
        raw = f"edgeguard {self.severity.upper()}: {self.title}"
        ascii_only = raw.encode("ascii", "replace").decode("ascii")
        printable = "".join(c if 32 <= ord(c) < 127 else " " for c in ascii_only)
        flat = " ".join(printable.split())
        return flat[: _SUBJECT_LIMIT - 3] + "..." if len(flat) > _SUBJECT_LIMIT else flat


def single_ban_actions(values: list[str], scope: str = "ip") -> tuple[dict[str, str], ...]:
    """The chat actions of an alert about exactly one decision value (CIDR or tenant id):
    unblock, extend and details; none for several values (a digest names the command)."""
    if len(values) != 1:
        return ()
    return tuple({"op": op, "target": values[0], "scope": scope} for op in ACTION_OPS)


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
