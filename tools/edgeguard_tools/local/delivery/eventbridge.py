"""EventBridge: route an event by the template's rules and deliver it to their targets.

``EventRouter.route(event, bus)`` matches every enabled rule on ``bus`` with its real
pattern (edgeguard_tools.local.patterns) and delivers the event, shaped as the target says
(``Input``, ``InputPath``, ``InputTransformer``), to functions (asynchronously), state
machines, topics and queues. Also the event envelope EventBridge adds (``complete_event``)
and what a PutEvents entry becomes (``event_from_entry``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from edgeguard import clock
from edgeguard_tools.local.patterns import matches
from edgeguard_tools.local.template import ACCOUNT_ID, REGION
from edgeguard_tools.local.wiring import Target, Wiring


class EventRouter:
    """The wiring's rules (``wiring().rules``) routing events to their targets.

    A rule's target is reached through ``invoke_async(function, event, source)`` (a
    function, asynchronously: retries, DLQ), ``start_execution(state_machine, input)``,
    ``send_to(queue_or_topic, payload)``; any other target is noted with
    ``skip(key, reason)``.
    """

    def __init__(
        self,
        wiring: Callable[[], Wiring],
        *,
        invoke_async: Callable[[str, Any, str], Any],
        start_execution: Callable[[str, Any], Any],
        send_to: Callable[[str, Any], None],
        skip: Callable[[str, str], None],
    ) -> None:
        self._wiring = wiring
        self._invoke_async = invoke_async
        self._start_execution = start_execution
        self._send_to = send_to
        self._skip = skip

    def route(self, event: dict[str, Any], bus: str = "default") -> list[str]:
        """Deliver a complete event to every matching rule's targets; their logical ids."""
        reached: list[str] = []
        for rule in self._wiring().rules:
            if rule.pattern is None or not rule.enabled or rule.bus != bus:
                continue
            if matches(rule.pattern, event):
                for target in rule.targets:
                    self.deliver(target, event, f"rule {rule.logical_id}")
                    reached.append(target.logical_id)
        return reached

    def deliver(self, target: Target, event: dict[str, Any], source: str) -> None:
        """Shape ``event`` for ``target`` and deliver it; ``source`` names the rule."""
        payload = shape(target, event)
        if target.kind == "function":
            self._invoke_async(target.logical_id, payload, source)
        elif target.kind == "statemachine":
            self._start_execution(target.logical_id, payload)
        elif target.kind in {"topic", "queue"}:
            self._send_to(target.logical_id, payload)
        else:
            self._skip(f"target {target.logical_id}", f"{target.arn}: not delivered locally")


def complete_event(event: dict[str, Any]) -> dict[str, Any]:
    """Fill the envelope fields EventBridge adds, keeping what the caller gave."""
    out = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": event.get("detail-type", ""),
        "source": event.get("source", ""),
        "account": ACCOUNT_ID,
        "time": clock.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [],
        "detail": {},
    }
    out.update(event)
    return out


def bus_name(value: Any) -> str:
    """An event bus name from a name or an ARN (default when absent)."""
    text = str(value or "default")
    return text.rsplit("/", 1)[-1] if text.startswith("arn:") else text


def event_from_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The event a PutEvents entry (``Source``, ``DetailType``, ``Detail``, ...) becomes."""
    detail = entry.get("Detail") or "{}"
    when = entry.get("Time")
    event = {
        "detail-type": entry.get("DetailType", ""),
        "source": entry.get("Source", ""),
        "resources": entry.get("Resources", []),
        "detail": json.loads(detail) if isinstance(detail, str) else detail,
    }
    if isinstance(when, datetime):
        event["time"] = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return complete_event(event)


def _json_path(data: Any, path: str) -> Any:
    if path in {"$", ""}:
        return data
    current = data
    for part in path.lstrip("$").lstrip(".").split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def shape(target: Target, event: dict[str, Any]) -> Any:
    """Input / InputPath / InputTransformer, as EventBridge applies them."""
    if target.input is not None:
        return json.loads(target.input)
    if target.input_path:
        return _json_path(event, target.input_path)
    if target.input_transformer:
        return transform_input(target.input_transformer, event)
    return event


def transform_input(transformer: dict[str, Any], event: dict[str, Any]) -> Any:
    """EventBridge's InputTransformer: ``<name>`` placeholders filled from InputPathsMap.

    In a JSON template a placeholder outside quotes becomes the value as JSON (strings
    quoted), inside a string literal its text; a template that is not JSON is a string.
    """
    paths = transformer.get("InputPathsMap") or {}
    values = {name: _json_path(event, path) for name, path in paths.items()}
    template = str(transformer.get("InputTemplate", ""))
    is_json = template.lstrip().startswith(("{", "["))

    def text_of(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value)

    out: list[str] = []
    in_string, index = False, 0
    while index < len(template):
        char = template[index]
        if char == "\\" and in_string:
            out.append(template[index : index + 2])
            index += 2
            continue
        if char == '"':
            in_string = not in_string
        if char == "<":
            end = template.find(">", index)
            name = template[index + 1 : end] if end > 0 else ""
            if name in values:
                value = values[name]
                if not is_json:
                    out.append(text_of(value))
                elif in_string:
                    out.append(json.dumps(text_of(value))[1:-1])
                else:
                    out.append(json.dumps(value))
                index = end + 1
                continue
        out.append(char)
        index += 1
    text = "".join(out)
    if not is_json:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
