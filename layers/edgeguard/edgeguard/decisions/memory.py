"""Decisions kept in memory: ``edgeguard replay``, the demo's offline answers, tests.

The same rules as the DynamoDB store (``rules.prepare`` then ``rules.merge``), so a
repeat offender escalates here exactly as it does in the deployed table. Lifting
keeps the decision for audit (``lifted_by``) and ends it, as the table does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from edgeguard.clock import utcnow
from edgeguard.decisions import rules
from edgeguard.decisions.model import (
    ACTIONS,
    EXCEPTABLE_ORIGINS,
    ActiveRead,
    Decision,
    DecisionException,
    DecisionRequest,
    InvalidValue,
    RecordOutcome,
)
from edgeguard.decisions.rules import BanPolicy, Escalation


@dataclass
class MemoryStore:
    """A DecisionStore in a dict keyed by (value, action); not shared between processes."""

    policy: BanPolicy = field(default_factory=BanPolicy)
    escalation: Escalation = field(default_factory=Escalation)
    decisions: dict[tuple[str, str], Decision] = field(default_factory=dict)
    exceptions_by_key: dict[tuple[str, str], DecisionException] = field(default_factory=dict)

    def record(self, request: DecisionRequest, now: datetime | None = None) -> RecordOutcome:
        """Normalise, refuse what policy forbids or an operator excepted, merge (see
        ``rules.merge``)."""
        prepared = rules.prepare(request, self.policy)
        if isinstance(prepared, RecordOutcome):
            return prepared
        value, scope = prepared
        refusal = rules.excepted(request, self.exceptions_by_key.get((value, request.origin)))
        if refusal:
            return RecordOutcome("refused", reason=refusal)
        key = (value, request.action)
        decision, status = rules.merge(
            self.decisions.get(key),
            request,
            value=value,
            scope=scope,
            now=now or utcnow(),
            escalation=self.escalation,
        )
        self.decisions[key] = decision
        return RecordOutcome(status, decision)

    def record_many(
        self, requests: Iterable[DecisionRequest], now: datetime | None = None
    ) -> list[RecordOutcome]:
        """``record`` each request in order (memory needs no batching)."""
        moment = now or utcnow()
        return [self.record(request, moment) for request in requests]

    def end(self, value: str, action: str, at: datetime, origin: str, who: str = "") -> bool:
        """End a decision of ``origin`` at ``at`` if it would last longer (see
        ``DynamoDecisionStore.end``)."""
        moment = rules.floor_seconds(at)
        existing = self.decisions.get((value, action))
        if existing is None or existing.origin != origin or existing.expires_at <= moment:
            return False
        self.decisions[(value, action)] = replace(
            existing,
            expires_at=moment,
            updated_at=rules.floor_seconds(utcnow()),
            updated_by=who or origin,
        )
        return True

    def add_exception(
        self,
        value: str,
        origin: str,
        who: str,
        why: str,
        *,
        now: datetime | None = None,
        details: dict[str, Any] | None = None,
    ) -> DecisionException:
        """Record that ``origin`` may not decide on ``value`` again. Raises InvalidValue."""
        if origin not in EXCEPTABLE_ORIGINS:
            raise InvalidValue(f"only {', '.join(EXCEPTABLE_ORIGINS)} decisions take exceptions")
        key_value = rules.normalize_value(value, self.policy.ipv6_host_prefix)[0]
        exception = DecisionException(
            value=key_value,
            origin=origin,
            who=who or "unknown",
            why=why or "lifted by an operator",
            created_at=rules.floor_seconds(now or utcnow()),
            details=dict(details or {}),
        )
        self.exceptions_by_key[(key_value, origin)] = exception
        return exception

    def exceptions(self) -> list[DecisionException]:
        """Every standing exception, by origin then value."""
        return sorted(self.exceptions_by_key.values(), key=lambda e: (e.origin, e.value))

    def remove_exception(self, value: str, origin: str) -> DecisionException | None:
        """Remove an exception; the removed one, or None."""
        key_value = rules.normalize_value(value, self.policy.ipv6_host_prefix)[0]
        return self.exceptions_by_key.pop((key_value, origin), None)

    def remove(
        self, value: str, action: str, who: str, why: str, now: datetime | None = None
    ) -> Decision | None:
        """Lift an active decision now (kept for audit); None if none was active.

        Raises InvalidValue for an unknown action or a value that is neither an
        address/CIDR nor a tenant id.
        """
        if action not in ACTIONS:
            raise InvalidValue(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
        key = (rules.normalize_value(value, self.policy.ipv6_host_prefix)[0], action)
        moment = rules.floor_seconds(now or utcnow())
        existing = self.decisions.get(key)
        if existing is None or not existing.active(moment):
            return None
        lifted = replace(
            existing,
            expires_at=moment,
            lifted_by=who or "unknown",
            lifted_reason=why or "lifted",
            updated_at=moment,
            updated_by=who or "unknown",
        )
        self.decisions[key] = lifted
        return lifted

    def get(self, value: str) -> list[Decision]:
        """Every stored decision (any action, active or ended) for a value."""
        wanted = rules.normalize_value(value, self.policy.ipv6_host_prefix)[0]
        return [d for (v, _), d in self.decisions.items() if v == wanted]

    def active(self, now: datetime | None = None) -> list[Decision]:
        """Decisions with ``expires_at > now``."""
        moment = now or utcnow()
        return [d for d in self.decisions.values() if d.active(moment)]

    def read_active(self, now: datetime | None = None) -> ActiveRead:
        """``active(now)``; the memory store holds only Decisions, so none is unreadable."""
        return ActiveRead(self.active(now))

    def read_enforceable(
        self, now: datetime | None = None, recent: Iterable[tuple[str, str]] = ()
    ) -> ActiveRead:
        """The active ban and captcha decisions; memory is always consistent, so ``recent``
        adds nothing."""
        del recent
        return ActiveRead([d for d in self.active(now) if d.action in ("ban", "captcha")])
