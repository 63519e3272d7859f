"""Turn whatever arrives on the alerts topic into Telegram HTML messages.

Three shapes arrive: edgeguard's own alert JSON, CloudWatch alarm notifications
(alarms publish straight to the topic) and plain text. Every interpolated value is
HTML-escaped, and long messages are split on line boundaries so no tag is cut.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import quote

TELEGRAM_MESSAGE_LIMIT = 4096
LIST_ITEMS_SHOWN = 100  # a chat is no place for 5,000 addresses; `edgeguard decisions` has them

SEVERITY_MARKS = {
    "info": "\u2139\ufe0f",
    "low": "\U0001f535",
    "medium": "\U0001f7e0",
    "high": "\U0001f534",
    "critical": "\U0001f6a8",
}
ALARM_SEVERITY = {"ALARM": "high", "OK": "info", "INSUFFICIENT_DATA": "low"}

# A block is one line of the message: segments of (tag or None, raw text).
Segment = tuple[str | None, str]
Block = list[Segment]


# Lone UTF-16 surrogates (JSON allows "\ud800"; a URL-decoded user agent can carry one)
# cannot be encoded at all, and C0 control characters other than tab and newline make
# Telegram refuse the message: both become U+FFFD before anything is rendered.
_UNSENDABLE = re.compile("[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f]")


def _sendable(text: str) -> str:
    return _UNSENDABLE.sub("\ufffd", text)


def render(message: str, subject: str | None = None) -> list[str]:
    """Render one SNS message body into one or more Telegram HTML messages.

    Recognises edgeguard's alert JSON, CloudWatch alarm notifications and EventBridge
    events; anything else is shown as text under ``subject``. Each message is at most
    4,096 UTF-16 code units ("Telegram Bot API: sendMessage"). Never raises for content.
    """
    message = _sendable(str(message))
    subject = _sendable(str(subject)) if subject else subject
    # json.loads turns "\ud800" escapes back into surrogates: clean what it returns too.
    parsed = _clean(_try_json(message))
    if isinstance(parsed, dict) and "kind" in parsed and "title" in parsed:
        return _one_message(parsed)
    if isinstance(parsed, dict) and "AlarmName" in parsed and "NewStateValue" in parsed:
        blocks = _alarm_blocks(parsed)
    elif isinstance(parsed, dict) and "detail-type" in parsed:
        blocks = _eventbridge_blocks(parsed)
    else:
        blocks = _text_blocks(message, subject)
    return pack(blocks)


def _one_message(alert: dict[str, Any]) -> list[str]:
    """An edgeguard alert as one message when at all possible: long lists are shown with
    fewer items (100, 20, 5, 1, each with "+N more") until everything fits; only an alert
    whose texts alone are over the limit is split."""
    for items_shown in (LIST_ITEMS_SHOWN, 20, 5, 1):
        messages = pack(_edgeguard_blocks(alert, items_shown))
        if len(messages) <= 1:
            return messages
    return messages


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _sendable(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


def _try_json(message: str) -> Any:
    text = message.strip()
    if not text.startswith("{"):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _heading(severity: str, title: str) -> Block:
    mark = SEVERITY_MARKS.get(severity, SEVERITY_MARKS["info"])
    return [(None, f"{mark} "), ("b", title)]


def _field(name: str, value: Any, items_shown: int = LIST_ITEMS_SHOWN) -> Block:
    return [("b", str(name)), (None, f": {_value_text(value, items_shown)}")]


def _value_text(value: Any, items_shown: int = LIST_ITEMS_SHOWN) -> str:
    if isinstance(value, list | tuple):
        shown = ", ".join(_value_text(v) for v in value[:items_shown]) or "-"
        hidden = len(value) - items_shown
        return f"{shown} \u2026 (+{hidden} more)" if hidden > 0 else shown
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    if value is None or value == "":
        return "-"
    return str(value)


def _link_block(url: Any, label: str = "Open") -> Block | None:
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return None
    return [("a:" + url, label)]


# The headings of an alert's action part, in the order the email text uses too
# (edgeguard.notify.alert.HEADINGS).
_HEADINGS = (("happened", "What happened"), ("did", "What edgeguard did"), ("undo", "Undo"))


def _edgeguard_blocks(alert: dict[str, Any], items_shown: int = LIST_ITEMS_SHOWN) -> list[Block]:
    severity = str(alert.get("severity") or "info").lower()
    blocks: list[Block] = [
        _heading(severity, str(alert.get("title"))),
        [("i", f"{alert.get('kind')} \u00b7 {severity}")],
        [],
    ]
    for name, heading in _HEADINGS:
        text = alert.get(name)
        if not isinstance(text, str) or not text.strip():
            continue
        lines = text.splitlines()
        if name == "undo":  # commands: monospace, each on its own line, easy to copy
            blocks.append([("b", f"{heading}:")])
            blocks += [[("code", line)] for line in lines]
        else:
            blocks.append([("b", f"{heading}: "), (None, lines[0])])
            blocks += [[(None, line)] for line in lines[1:]]
    links = [
        _link_block(item.get("url"), str(item.get("label") or "Open"))
        for item in alert.get("links") or []
        if isinstance(item, dict)
    ]
    link = _link_block(alert.get("link"))
    if link and not any(b and b[0][0] == link[0][0] for b in links):
        links.append(link)
    shown = [block for block in links if block]
    if shown:
        row: Block = []
        for block in shown:
            row += ([(None, " \u00b7 ")] if row else []) + block
        blocks.append(row)
    fields = alert.get("fields")
    if isinstance(fields, dict) and fields:
        blocks.append([])
        blocks += [_field(name, value, items_shown) for name, value in fields.items()]
    return blocks


def _alarm_blocks(alarm: dict[str, Any]) -> list[Block]:
    state = str(alarm.get("NewStateValue"))
    name = str(alarm.get("AlarmName"))
    trigger = _dict(alarm.get("Trigger"))
    metric = "/".join(str(trigger.get(k)) for k in ("Namespace", "MetricName") if trigger.get(k))
    blocks: list[Block] = [
        _heading(ALARM_SEVERITY.get(state, "medium"), f"{state}: {name}"),
        [("i", "CloudWatch alarm")],
        [],
        _field("State", f"{alarm.get('OldStateValue', '?')} \u2192 {state}"),
        _field("Reason", alarm.get("NewStateReason")),
    ]
    if alarm.get("AlarmDescription"):
        blocks.append(_field("Description", alarm.get("AlarmDescription")))
    if metric:
        blocks.append(_field("Metric", metric))
    elif isinstance(trigger.get("Metrics"), list):  # metric-math alarm: no MetricName
        blocks.append(_field("Metrics", _math_metrics(trigger["Metrics"])))
    if alarm.get("AlarmRule"):  # composite alarm
        blocks.append(_field("Rule", alarm.get("AlarmRule")))
    blocks += [
        _field("Account", alarm.get("AWSAccountId")),
        _field("Region", alarm.get("Region")),
        _field("Time", alarm.get("StateChangeTime")),
    ]
    region = _region_from_arn(alarm.get("AlarmArn"))
    if region:
        url = (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#alarmsV2:alarm/{quote(name, safe='')}"
        )
        blocks += [[], [("a:" + url, "Open alarm")]]
    return blocks


def _dict(value: Any) -> dict[str, Any]:
    """value if it is a JSON object, else an empty one (event fields are untrusted)."""
    return value if isinstance(value, dict) else {}


def _math_metrics(metrics: list[Any]) -> list[str]:
    """Each query of a metric-math alarm: its expression, or namespace/metric name."""
    shown = []
    for item in metrics:
        if not isinstance(item, dict):
            continue
        stat = _dict(item.get("MetricStat"))
        metric = _dict(stat.get("Metric"))
        what = item.get("Expression") or "/".join(
            str(metric.get(k)) for k in ("Namespace", "MetricName") if metric.get(k)
        )
        shown.append(f"{item.get('Id', '?')}: {what or '?'}")
    return shown


def _region_from_arn(arn: Any) -> str | None:
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[3] if len(parts) > 4 and parts[3] else None


def _eventbridge_blocks(event: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = [
        _heading("info", str(event.get("detail-type"))),
        [("i", str(event.get("source", "event")))],
        [],
        _field("Account", event.get("account")),
        _field("Region", event.get("region")),
        _field("Time", event.get("time")),
    ]
    detail = json.dumps(event.get("detail", {}), indent=1, sort_keys=True, default=str)
    blocks += [[("pre", line)] for line in detail.splitlines()]
    return blocks


def _text_blocks(message: str, subject: str | None) -> list[Block]:
    blocks: list[Block] = []
    if subject:
        blocks += [[("b", subject)], []]
    blocks += [[(None, line)] for line in message.splitlines() or [""]]
    return blocks


# ------------------------------------------------------------------ packing
def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _render_segment(tag: str | None, text: str) -> str:
    escaped = html.escape(text, quote=False)
    if tag is None:
        return escaped
    if tag.startswith("a:"):
        return f'<a href="{html.escape(tag[2:], quote=True)}">{escaped}</a>'
    return f"<{tag}>{escaped}</{tag}>"


def _render_block(block: Block) -> str:
    return "".join(_render_segment(tag, text) for tag, text in block)


def _split_block(block: Block, limit: int) -> list[Block]:
    """Cut one over-long line into pieces that each fit, keeping tags balanced."""
    pieces: list[Block] = []
    current: Block = []
    size = 0
    for tag, text in block:
        overhead = telegram_length(_render_segment(tag, ""))
        chars: list[str] = []
        for ch in text:
            cost = telegram_length(html.escape(ch, quote=False))
            extra = 0 if chars else overhead
            if size + extra + cost > limit and (current or chars):
                if chars:
                    current.append((tag, "".join(chars)))
                    chars = []
                pieces.append(current)
                current, size, extra = [], 0, overhead
            chars.append(ch)
            size += extra + cost
        if chars:
            current.append((tag, "".join(chars)))
    if current:
        pieces.append(current)
    return pieces


def pack(blocks: list[Block], limit: int = TELEGRAM_MESSAGE_LIMIT) -> list[str]:
    """Join lines into as few messages as fit, each at most ``limit`` long."""
    lines: list[str] = []
    for block in blocks:
        rendered = _render_block(block)
        if telegram_length(rendered) <= limit:
            lines.append(rendered)
        else:
            lines += [_render_block(piece) for piece in _split_block(block, limit)]
    messages: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if telegram_length(candidate) <= limit:
            current = candidate
            continue
        if current.strip():
            messages.append(current)
        current = line
    if current.strip():
        messages.append(current)
    return messages
