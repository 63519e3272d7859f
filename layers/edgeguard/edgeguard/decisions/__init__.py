"""Decisions: "this value gets this action until then, because of this" (DESIGN.md §3).

A leaf of the runtime package: it imports only ``clock`` and ``config``. Every
blocking path (logs, alarms, findings, operators, blocklists, hunts) produces
DecisionRequests and hands them to a store; the enforcer turns active decisions into
WAF state.

- ``model``: the shapes (DecisionRequest, Decision, RecordOutcome) and the protocols
  (DecisionSink, DecisionStore).
- ``rules``: normalise, refuse, merge, escalate: the one decision rule.
- ``store``: the DynamoDB store (deployed); ``memory``: the in-memory store (offline).
"""

from edgeguard.decisions.memory import MemoryStore
from edgeguard.decisions.model import (
    ACTION_SEVERITY,
    ACTIONS,
    EXCEPTABLE_ORIGINS,
    ORIGINS,
    SCOPES,
    ActiveRead,
    Decision,
    DecisionException,
    DecisionRequest,
    DecisionSink,
    DecisionStore,
    InvalidValue,
    RecordOutcome,
    Scope,
    Unreadable,
    UnreadableDecision,
)
from edgeguard.decisions.rules import (
    BanPolicy,
    Escalation,
    merge,
    never_bannable,
    normalize_ip,
    normalize_tenant,
    normalize_value,
    prepare,
    too_wide,
)
from edgeguard.decisions.store import DynamoDecisionStore

__all__ = [
    "ACTIONS",
    "ACTION_SEVERITY",
    "EXCEPTABLE_ORIGINS",
    "ORIGINS",
    "SCOPES",
    "ActiveRead",
    "BanPolicy",
    "Decision",
    "DecisionException",
    "DecisionRequest",
    "DecisionSink",
    "DecisionStore",
    "DynamoDecisionStore",
    "Escalation",
    "InvalidValue",
    "MemoryStore",
    "RecordOutcome",
    "Scope",
    "Unreadable",
    "UnreadableDecision",
    "merge",
    "never_bannable",
    "normalize_ip",
    "normalize_tenant",
    "normalize_value",
    "prepare",
    "too_wide",
]
