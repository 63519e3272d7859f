"""The chat's commands: parsed, validated exactly as the CLI validates, run on the breaker.

Commands (the first word may carry ``@botname``, as Telegram sends it in groups):

- ``/decisions``: the active decisions (``edgeguard decisions``);
- ``/block IP|CIDR DURATION REASON``: ``edgeguard block IP --for DURATION --reason REASON``;
- ``/unblock IP|CIDR``: ``edgeguard unblock IP``;
- ``/tenant block ID DURATION REASON``, ``/tenant unblock ID``: ``edgeguard tenant ...``;
- ``/status``: counts of what is held, and the soonest expiry;
- buttons under a single-ban alert: Unblock, Extend 24 h (a ban of 24 h from now: the
  longer of it and the current one wins), Details (every stored decision of the value).

Validation is the CLI's, in the CLI's order: ``parse_duration``, then ``check_value``,
then the breaker (policy: private, allowlisted, too wide; an empty reason), and a
refusal reads the same (``refusal_text``), because it is the same code.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from edgeguard.breaker.service import (
    Change,
    CircuitBreaker,
    Target,
    check_value,
    parse_duration,
    refusal_text,
)
from edgeguard.chatops.updates import Actor
from edgeguard.clock import utcnow
from edgeguard.decisions import Decision, InvalidValue
from edgeguard.notify.keyboard import ButtonAction

Name = Literal["block", "unblock", "decisions", "status", "help", "extend", "details"]
Outcome = Literal["accepted", "refused"]
EXTEND_BY = timedelta(hours=24)
REPLY_LIMIT = 3900  # characters; a message holds 4,096 ("Telegram Bot API: sendMessage")
CHANGES = ("block", "unblock", "extend")
USAGE = "\n".join(
    (
        "edgeguard commands:",
        "/decisions - the active decisions",
        "/block IP|CIDR DURATION REASON - e.g. /block 203.0.113.7 4h credential stuffing",
        "/unblock IP|CIDR",
        "/tenant block ID DURATION REASON",
        "/tenant unblock ID",
        "/status - what edgeguard holds now",
    )
)


class Usage(InvalidValue):
    """A command that is not one of ours, or lacks an argument; the message shows usage."""


@dataclass(frozen=True)
class Command:
    """One parsed command: ``name``, on ``value`` of ``target``, with the raw ``duration``
    text and ``reason`` (checked when run, by the CLI's code)."""

    name: Name
    target: Target = "ip"
    value: str = ""
    duration: str = ""
    reason: str = ""

    @property
    def changes(self) -> bool:
        """True for the commands that change decisions (block, unblock, extend)."""
        return self.name in CHANGES


@dataclass(frozen=True)
class Reply:
    """What a command did: the answer for the chat, accepted or refused, and the value."""

    text: str
    outcome: Outcome
    value: str = ""


def parse_command(text: str) -> Command:
    """A message's text -> ``Command``.

    Raises:
        Usage: not a command of ours, or too few arguments (the message shows the usage).
    """
    words = text.split()
    if not words or not words[0].startswith("/"):
        raise Usage(f"not a command\n\n{USAGE}")
    head = words[0][1:].split("@", 1)[0].lower()
    args = words[1:]
    if head in ("help", "start"):
        return Command("help")
    if head in ("decisions", "status") and not args:
        return Command(head)  # type: ignore[arg-type]
    if head == "block" and len(args) >= 2:
        return Command("block", "ip", args[0], args[1], " ".join(args[2:]))
    if head == "unblock" and len(args) == 1:
        return Command("unblock", "ip", args[0])
    if head == "tenant" and len(args) >= 4 and args[0].lower() == "block":
        return Command("block", "tenant", args[1], args[2], " ".join(args[3:]))
    if head == "tenant" and len(args) == 2 and args[0].lower() == "unblock":
        return Command("unblock", "tenant", args[1])
    raise Usage(f"usage:\n{USAGE}")


def from_button(action: ButtonAction) -> Command:
    """The command a pressed button stands for."""
    return Command(action.op, action.scope, action.target)


def run(command: Command, breaker: CircuitBreaker, actor: Actor) -> Reply:
    """Carry out ``command`` as ``actor`` (the breaker's backend records ``actor.label()``).

    A refusal (InvalidValue: malformed, private, allowlisted, too wide, bad duration,
    no reason) is a ``refused`` Reply with the CLI's text; AWS errors propagate.
    """
    try:
        if command.name == "help":
            return Reply(USAGE, "accepted")
        if command.name == "decisions":
            return Reply(listing(breaker.listing()), "accepted")
        if command.name == "status":
            return Reply(status(breaker.listing()), "accepted")
        if command.name == "details":
            value = breaker.normalize(command.value, command.target)
            return Reply(details(value, breaker.backend.store.get(value)), "accepted", value)
        if command.name == "unblock":
            check_value(command.value, command.target)
            why = f"lifted from Telegram by {actor.name or actor.user_id}"
            change = breaker.unblock(command.value, why, command.target)
            return Reply(_unblocked(change), "accepted", change.value)
        if command.name == "extend":
            duration, reason = (
                EXTEND_BY,
                f"extended 24 h from Telegram by {actor.name or actor.user_id}",
            )
        else:
            duration = parse_duration(command.duration)  # the CLI's order of checks
            reason = command.reason
        check_value(command.value, command.target)
        change = breaker.block(command.value, duration, reason, command.target)
        return Reply(_blocked(change), "accepted", change.value)
    except InvalidValue as error:
        return Reply(str(error) if isinstance(error, Usage) else refusal_text(error), "refused")


_FOLLOWS = "WAF follows within seconds (the table's change runs the enforcer)."


def _blocked(change: Change) -> str:
    (decision,) = change.decisions
    verb = {"blocked": "blocked", "extended": "block extended", "unchanged": "already blocked"}
    return (
        f"{change.value} {verb.get(change.status, change.status)} until "
        f"{_utc(decision.expires_at)} ({decision.reason}). {_FOLLOWS}"
    )


def _unblocked(change: Change) -> str:
    if change.status != "lifted":
        return f"{change.value} was not blocked; nothing to lift."
    lifted = ", ".join(d.action for d in change.decisions)
    return f"{change.value} unblocked ({lifted}). {_FOLLOWS}"


def _utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _left(moment: datetime, now: datetime) -> str:
    minutes = max(0, int((moment - now).total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _fit(lines: list[str], more: str) -> str:
    """Lines up to REPLY_LIMIT characters; the rest counted in ``more`` (a format string)."""
    shown: list[str] = []
    size = 0
    for number, line in enumerate(lines):
        if size + len(line) + 1 > REPLY_LIMIT - 80:
            return "\n".join([*shown, more.format(len(lines) - number)])
        shown.append(line)
        size += len(line) + 1
    return "\n".join(shown)


def listing(decisions: list[Decision], now: datetime | None = None) -> str:
    """The active decisions, one line each: value, action, time left and expiry, origin,
    reason, by whom; cut to fit one message with a pointer to ``edgeguard decisions``."""
    if not decisions:
        return "no active decisions"
    now = now or utcnow()
    lines = [f"{len(decisions)} active decision(s):"]
    for d in decisions:
        by = f", by {d.updated_by}" if d.updated_by else ""
        lines.append(
            f"{d.value} ({d.scope}) {d.action} for {_left(d.expires_at, now)}, until "
            f"{_utc(d.expires_at)}; {d.origin}: {d.reason[:80]}{by}"
        )
    return _fit(lines, "... and {} more: run `edgeguard decisions` for all")


def status(decisions: list[Decision], now: datetime | None = None) -> str:
    """Counts of the active decisions by action, scope and origin, and the soonest expiry."""
    now = now or utcnow()
    if not decisions:
        return "edgeguard: no active decisions; WAF's ban sets are empty of edgeguard's bans."
    by_action = Counter(d.action for d in decisions)
    by_origin = Counter(d.origin for d in decisions)
    tenants = sum(1 for d in decisions if d.scope == "tenant")
    soonest = min(decisions, key=lambda d: d.expires_at)
    counts = lambda c: ", ".join(f"{k} {n}" for k, n in sorted(c.items()))  # noqa: E731
    return "\n".join(
        (
            f"edgeguard: {len(decisions)} active decision(s)",
            f"by action: {counts(by_action)}",
            f"by origin: {counts(by_origin)}",
            f"tenants blocked: {tenants}",
            f"next to end: {soonest.value} in {_left(soonest.expires_at, now)} "
            f"({_utc(soonest.expires_at)})",
        )
    )


def details(value: str, decisions: list[Decision], now: datetime | None = None) -> str:
    """Every stored decision of ``value``, active or ended, with who changed it last."""
    if not decisions:
        return f"{value}: no decision stored"
    now = now or utcnow()
    lines = [f"{value}:"]
    for d in sorted(decisions, key=lambda d: d.expires_at, reverse=True):
        state = f"active for {_left(d.expires_at, now)}" if d.active(now) else "ended"
        lines.append(
            f"{d.action} ({d.origin}) {state}, until {_utc(d.expires_at)}; since "
            f"{_utc(d.created_at)}; {d.events} event(s), strike {d.strikes}; {d.reason}"
        )
        if d.lifted_by:
            lines.append(f"  lifted by {d.lifted_by}: {d.lifted_reason}")
        elif d.updated_by:
            lines.append(f"  last changed by {d.updated_by}")
    return _fit(lines, "... and {} more lines: run `edgeguard decisions`")
