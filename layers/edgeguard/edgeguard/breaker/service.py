"""The emergency circuit breaker: an operator blocks or lifts an address or a tenant at once.

Every change is a decision (origin ``manual``) with the operator's identity and
reason, is announced on the alerts topic, and is followed by one enforcer run so
WAF reflects it within seconds instead of at the next scheduled tick.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from edgeguard.clock import utcnow
from edgeguard.decisions import (
    EXCEPTABLE_ORIGINS,
    Decision,
    DecisionException,
    DecisionRequest,
    DecisionStore,
    InvalidValue,
    normalize_ip,
    normalize_tenant,
)
from edgeguard.notify import wording
from edgeguard.notify.alert import Alert, single_ban_actions
from edgeguard.notify.console import Console

Target = Literal["ip", "tenant"]
LIFTED_ACTIONS = ("ban", "captcha")
MAX_DURATION = timedelta(days=365)
_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """'4h', '30m', '1h30m', '2d', '1w' -> timedelta; anything else is refused."""
    compact = (text or "").strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise InvalidValue(f"invalid duration {text!r}: use e.g. 30m, 4h, 1h30m, 2d")
    duration = sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in parts), timedelta(0))
    if not timedelta(0) < duration <= MAX_DURATION:
        raise InvalidValue(f"duration {text!r} must be more than 0 and at most 365 days")
    return duration


def check_value(raw: str, target: Target) -> str:
    """The stored form of an address/CIDR or tenant id, checked before any AWS call (the
    store applies policy later: private, allowlisted, too wide). Raises InvalidValue."""
    return normalize_tenant(raw) if target == "tenant" else normalize_ip(raw)[0]


def refusal_text(error: InvalidValue) -> str:
    """What an operator is told when input is refused, on the command line and in the chat."""
    return f"refused: {error}"


@dataclass
class Backend:
    """Where the breaker acts: the decision store, the alerts topic, the enforcer, the caller;
    ``console`` builds the undo commands and console links its alerts carry (empty: the
    commands name no stack and the links are left out)."""

    store: DecisionStore
    announce: Callable[[Alert], Any]
    enforce: Callable[[], dict[str, Any] | None]
    who: str
    console: Console = field(default_factory=Console)


@dataclass
class Change:
    """What one breaker command did."""

    status: str  # blocked | extended | unchanged | lifted | not-blocked | reinstated
    value: str
    decisions: list[Decision] = field(default_factory=list)
    exceptions: list[DecisionException] = field(default_factory=list)
    enforcement: dict[str, Any] | None = None
    enforcement_error: str = ""


class CircuitBreaker:
    """Block and lift addresses and tenants, audited and announced."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def normalize(self, raw: str, target: Target) -> str:
        """The stored form of what the operator typed; InvalidValue explains a refusal."""
        if target == "tenant":
            return normalize_tenant(raw)
        return normalize_ip(raw, self.backend.store.policy.ipv6_host_prefix)[0]

    def block(self, raw: str, duration: timedelta, reason: str, target: Target = "ip") -> Change:
        """Ban an address/CIDR or tenant for ``duration`` (origin ``manual``), announce it,
        then run the enforcer once. Raises InvalidValue for a value policy refuses (private,
        allowlisted, too wide, malformed) or an empty reason; an enforcer failure does not
        raise: it is in ``Change.enforcement_error`` (the schedule applies it within a
        minute)."""
        value = self.normalize(raw, target)
        if not reason.strip():
            raise InvalidValue("a reason is required (it is recorded and announced)")
        request = DecisionRequest(
            value=value,
            action="ban",
            origin="manual",
            reason=reason.strip(),
            duration=duration,
            scope="tenant" if target == "tenant" else None,
            actor=self.backend.who,
        )
        outcome = self.backend.store.record(request, utcnow())
        if outcome.status == "refused" or outcome.decision is None:
            raise InvalidValue(outcome.reason or f"{value} cannot be blocked")
        decision = outcome.decision
        status = "blocked" if outcome.status == "created" else outcome.status
        what = "tenant" if target == "tenant" else "address"
        scope = "tenant" if target == "tenant" else "ip"
        console = self.backend.console
        now = utcnow()
        self.backend.announce(
            Alert(
                kind="circuit-breaker",
                title=f"{what} {value} blocked until {_when(decision.expires_at)}",
                severity="high",
                happened=f"{self.backend.who} blocked {what} {value} "
                f"{wording.for_until(decision.expires_at, now)}: {decision.reason}",
                did=f"Recorded the ban ({status}) and ran the enforcer: WAF blocks it now.",
                undo=console.unblock(value, scope),
                links=_waf_links(console),
                actions=single_ban_actions([value], scope),
                fields={
                    "value": value,
                    "until": _when(decision.expires_at),
                    "reason": decision.reason,
                    "by": self.backend.who,
                    "result": status,
                },
            )
        )
        return self._enforced(Change(status, value, [decision]))

    def unblock(self, raw: str, reason: str = "", target: Target = "ip") -> Change:
        """Lift every active ban and captcha on the value (kept for audit, announced),
        then run the enforcer once, even when nothing was active (it also undoes hand
        edits of the IP sets). A lifted decision of an origin that imports lists (a
        blocklist feed entry) also gets an exception, so the next import does not ban it
        again (``Change.exceptions``; ``reinstate`` removes it). Raises InvalidValue for
        a malformed value."""
        value = self.normalize(raw, target)
        why = reason.strip() or "lifted by an operator"
        now = utcnow()
        store = self.backend.store
        lifted = [
            found
            for action in LIFTED_ACTIONS
            if (found := store.remove(value, action, self.backend.who, why, now))
        ]
        excepted = [
            store.add_exception(
                value,
                decision.origin,
                self.backend.who,
                why,
                now=now,
                details={"reason": decision.reason, "action": decision.action},
            )
            for decision in lifted
            if decision.origin in EXCEPTABLE_ORIGINS
        ]
        if lifted:
            what = "tenant" if target == "tenant" else "address"
            console = self.backend.console
            self.backend.announce(
                Alert(
                    kind="circuit-breaker",
                    title=f"{what} {value} unblocked",
                    severity="medium",
                    happened=f"{self.backend.who} unblocked {what} {value}: {why}",
                    did=f"Lifted {wording.listed(sorted({d.action for d in lifted}))} "
                    "(kept for audit) and ran the enforcer: WAF no longer blocks it."
                    + (
                        " The feed will not ban it again while the exception stands."
                        if excepted
                        else ""
                    ),
                    undo=(
                        console.command("blocklist", "reinstate", value)
                        if excepted
                        else console.command(
                            *(["tenant"] if target == "tenant" else []),
                            "block",
                            value,
                            "--for",
                            "24h",
                            "--reason",
                            lifted[0].reason or "re-blocked",
                        )
                    ),
                    links=_waf_links(console),
                    fields={
                        "value": value,
                        "lifted": [d.action for d in lifted],
                        "reason": why,
                        "by": self.backend.who,
                        **(
                            {"excepted_from": sorted({e.origin for e in excepted})}
                            if excepted
                            else {}
                        ),
                    },
                )
            )
        # Run the enforcer even when nothing was active: it also undoes hand edits.
        change = Change("lifted" if lifted else "not-blocked", value, lifted, excepted)
        return self._enforced(change)

    def exceptions(self) -> list[DecisionException]:
        """The standing exceptions (values an operator lifted from a feed), by origin."""
        return self.backend.store.exceptions()

    def reinstate(self, raw: str, origin: str = "blocklist", reason: str = "") -> Change:
        """Remove the exception of ``origin`` on a value (announced): the origin may decide
        on it again (a feed bans it at its next change or renewal while it lists it).
        ``Change.status`` is ``reinstated``, or ``not-excepted`` when there was none.
        Raises InvalidValue for a malformed value."""
        value = self.normalize(raw, "ip")
        removed = self.backend.store.remove_exception(value, origin)
        if removed is None:
            return Change("not-excepted", value)
        self.backend.announce(
            Alert(
                kind="circuit-breaker",
                title=f"address {value}: exception from {origin} removed",
                severity="medium",
                fields={
                    "value": value,
                    "origin": origin,
                    "reason": reason.strip() or "reinstated by an operator",
                    "by": self.backend.who,
                    "excepted_by": removed.who,
                    "excepted_because": removed.why,
                },
            )
        )
        return Change("reinstated", value, exceptions=[removed])

    def listing(self, target: Target | None = None) -> list[Decision]:
        """Active decisions, soonest expiry last; only tenants or only addresses if asked."""
        found = self.backend.store.active(utcnow())
        if target == "tenant":
            found = [d for d in found if d.scope == "tenant"]
        elif target == "ip":
            found = [d for d in found if d.scope != "tenant"]
        return sorted(
            found, key=lambda d: (d.scope == "tenant", -d.expires_at.timestamp(), d.value)
        )

    def _enforced(self, change: Change) -> Change:
        try:
            change.enforcement = self.backend.enforce()
        except Exception as error:  # the decision stands; the schedule applies it within a minute
            change.enforcement_error = f"{type(error).__name__}: {error}"
        return change


def _waf_links(console: Console) -> tuple[tuple[str, str], ...]:
    """The WAF IP sets page, when the console knows its partition."""
    return (("WAF IP sets", console.waf_ip_sets()),) if console.region else ()


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
