"""The response capability's Lambda-facing entry: what the two handlers call.

``trail_guard`` (the fast path, one CloudTrail API event): parse_api_call, respond,
record_all, own_role_arns. ``respond`` (the Step Functions workflow's tasks): plan,
remediate, verify, record, alert_for, failure_alert. Each name is defined in the
module that owns it (see the package docstring); this module only gathers them.
"""

from __future__ import annotations

from edgeguard.response.api_call import NotATrailCall, parse_api_call
from edgeguard.response.findings import plan
from edgeguard.response.guard import GuardSettings, respond
from edgeguard.response.identity import own_role_arns
from edgeguard.response.settings import ResponseSettings
from edgeguard.response.snapshots import DynamoSnapshots, record_all
from edgeguard.response.steps import (
    StepSettings,
    alert_for,
    failure_alert,
    record,
    remediate,
    verify,
)

__all__ = [
    "DynamoSnapshots",
    "GuardSettings",
    "NotATrailCall",
    "ResponseSettings",
    "StepSettings",
    "alert_for",
    "failure_alert",
    "own_role_arns",
    "parse_api_call",
    "plan",
    "record",
    "record_all",
    "remediate",
    "respond",
    "verify",
]
