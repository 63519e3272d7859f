"""CloudWatch alarms: a state change delivered to the template's rules and alarm actions.

``AlarmDelivery.set_state(alarm, state)`` moves the alarm in moto and, when the state
changed, emits what CloudWatch emits (the shapes are in edgeguard_tools.local.alarms): the
"CloudWatch Alarm State Change" event to the EventBridge rules, the alarm notification to
SNS topic actions, the Lambda alarm payload to function actions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from edgeguard import clock
from edgeguard_tools.local import alarms as emitted
from edgeguard_tools.local.resources import ClientFactory


class AlarmDelivery:
    """Alarm state changes of the stack's alarms.

    ``client(service)`` gives boto3 clients; ``resource(logical_id)`` the alarm's name;
    ``owner_of(arn)`` an action ARN's logical id (None when not the template's);
    ``kind_of(logical_id)`` its kind (topic, function, ...); ``route(event)`` routes an
    event by the rules on the default bus; ``invoke_async`` invokes a function as
    CloudWatch does; ``skip(key, reason)`` notes an action not delivered.
    """

    def __init__(
        self,
        client: ClientFactory,
        *,
        resource: Callable[[str], Any],
        owner_of: Callable[[str], str | None],
        kind_of: Callable[[str], str],
        route: Callable[[dict[str, Any]], list[str]],
        invoke_async: Callable[[str, Any, str], Any],
        skip: Callable[[str, str], None],
    ) -> None:
        self._client = client
        self._resource = resource
        self._owner_of = owner_of
        self._kind_of = kind_of
        self._route = route
        self._invoke_async = invoke_async
        self._skip = skip

    def set_state(
        self,
        logical_id: str,
        state: str = "ALARM",
        reason: str = "Threshold Crossed (local cloud)",
        reason_data: dict[str, Any] | None = None,
    ) -> list[str]:
        """Move an alarm to ``state`` and emit what CloudWatch emits on a change.

        Returns the logical ids reached (rule targets, then actions); nothing when the
        state did not change. ``KeyError`` for a logical id that is not a resource.
        """
        cloudwatch = self._client("cloudwatch")
        name = self._resource(logical_id)
        (alarm,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        old_value, old_reason = alarm["StateValue"], alarm.get("StateReason", "")
        data = json.dumps(reason_data) if reason_data is not None else None
        args = {"AlarmName": name, "StateValue": state, "StateReason": reason}
        if data:
            args["StateReasonData"] = data
        cloudwatch.set_alarm_state(**args)
        if old_value == state:
            return []
        when = clock.utcnow()
        previous, new = emitted.new_states((old_value, old_reason), (state, reason, data), when)
        reached = self._route(emitted.state_change_event(alarm, previous, new, when))
        if not alarm.get("ActionsEnabled", True):
            return reached
        key = {"ALARM": "AlarmActions", "OK": "OKActions"}.get(state, "InsufficientDataActions")
        for action in alarm.get(key, []):
            target = self._owner_of(action)
            if target is None:
                self._skip(f"alarm action {action}", "not a resource of the template")
                continue
            kind = self._kind_of(target)
            if kind == "topic":
                subject, message = emitted.sns_notification(alarm, old_value, new, when)
                self._client("sns").publish(TopicArn=action, Subject=subject, Message=message)
            elif kind == "function":
                payload = emitted.lambda_action_payload(alarm, previous, new, when)
                self._invoke_async(target, payload, f"alarm {logical_id}")
            reached.append(target)
        return reached
