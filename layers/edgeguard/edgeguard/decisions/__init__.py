"""Decisions: "this value gets this action until then, because of this" (DESIGN.md §3).

Every blocking path (logs, alarms, findings, operators) produces DecisionRequests
and hands them to a DecisionSink; the enforcer turns active decisions into WAF state.
"""

from edgeguard.decisions.model import (
    ACTIONS,
    ORIGINS,
    SCOPES,
    BanPolicy,
    Decision,
    DecisionRequest,
    DecisionSink,
    InvalidValue,
    MemorySink,
    RecordOutcome,
    normalize_ip,
    normalize_tenant,
)
from edgeguard.decisions.store import DynamoDecisionStore, Escalation, normalize_value

__all__ = [
    "ACTIONS",
    "ORIGINS",
    "SCOPES",
    "BanPolicy",
    "Decision",
    "DecisionRequest",
    "DecisionSink",
    "DynamoDecisionStore",
    "Escalation",
    "InvalidValue",
    "MemorySink",
    "RecordOutcome",
    "normalize_ip",
    "normalize_tenant",
    "normalize_value",
]
