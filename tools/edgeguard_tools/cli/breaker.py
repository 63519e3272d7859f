"""``edgeguard block|unblock|decisions|tenant``: the emergency circuit breaker.

Against a deployed stack (``--stack-name``, ``--region``, ``--profile`` as the AWS CLI
takes them) or, with ``--local``, against the local cloud: the one running in this
process (tests, the demo) or the one ``edgeguard local up`` keeps running.
Exit codes: 0 done, 1 AWS or configuration problem, 2 refused input (malformed
address or tenant id, allowlisted or private address, bad duration).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import ExitStack
from typing import Any

from edgeguard.clock import utcnow
from edgeguard.decisions import Decision, InvalidValue
from edgeguard.decisions.model import ORIGINS
from edgeguard.notify import wording

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


def target_options() -> argparse.ArgumentParser:
    """The ``--stack-name/--region/--profile/--local`` options every stack command takes."""
    target = argparse.ArgumentParser(add_help=False)
    where = target.add_argument_group("where")
    where.add_argument(
        "--stack-name",
        default=os.environ.get("EDGEGUARD_STACK", "edgeguard"),
        help="CloudFormation stack (default: $EDGEGUARD_STACK or 'edgeguard')",
    )
    where.add_argument("--region", default=os.environ.get("AWS_REGION"), help="AWS region")
    where.add_argument("--profile", default=None, help="AWS CLI profile")
    where.add_argument(
        "--local", action="store_true", help="act on the local cloud (`edgeguard local up`)"
    )
    return target


def register(subparsers: Any) -> None:
    target = target_options()

    block = subparsers.add_parser(
        "block", parents=[target], help="block an IP address or CIDR in WAF now"
    )
    block.add_argument("value", metavar="IP|CIDR")
    block.add_argument("--for", dest="duration", required=True, help="e.g. 30m, 4h, 2d")
    block.add_argument("--reason", required=True, help="why (recorded and announced)")
    block.set_defaults(run=run_block, target="ip")

    unblock = subparsers.add_parser(
        "unblock", parents=[target], help="lift a block on an IP address or CIDR now"
    )
    unblock.add_argument("value", metavar="IP|CIDR")
    unblock.add_argument("--reason", default="", help="why (recorded and announced)")
    unblock.set_defaults(run=run_unblock, target="ip")

    listing = subparsers.add_parser("decisions", parents=[target], help="list the active decisions")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument(
        "--origin", choices=ORIGINS, default=None, help="only decisions of this origin"
    )
    listing.add_argument(
        "--since",
        default=None,
        metavar="DURATION",
        help="only decisions made or changed within this time (e.g. 10m, 1h): "
        "what an alert digest summarised",
    )
    listing.set_defaults(run=run_list, target=None)

    tenant = subparsers.add_parser("tenant", help="block or lift a whole tenant (URI path)")
    actions = tenant.add_subparsers(dest="tenant_command", required=True, metavar="ACTION")
    t_block = actions.add_parser("block", parents=[target], help="block a tenant's paths now")
    t_block.add_argument("value", metavar="TENANT_ID")
    t_block.add_argument("--for", dest="duration", required=True, help="e.g. 30m, 1h, 2d")
    t_block.add_argument("--reason", required=True, help="why (recorded and announced)")
    t_block.set_defaults(run=run_block, target="tenant")
    t_unblock = actions.add_parser("unblock", parents=[target], help="lift a tenant block")
    t_unblock.add_argument("value", metavar="TENANT_ID")
    t_unblock.add_argument("--reason", default="", help="why (recorded and announced)")
    t_unblock.set_defaults(run=run_unblock, target="tenant")
    t_list = actions.add_parser("list", parents=[target], help="list blocked tenants")
    t_list.add_argument("--json", action="store_true", help="machine-readable output")
    t_list.set_defaults(run=run_list, target="tenant")


def open_breaker(args: argparse.Namespace, scope: ExitStack) -> Any:
    """The CircuitBreaker on the stack or local cloud ``args`` name (see the module doc)."""
    from edgeguard.breaker.service import CircuitBreaker  # noqa: PLC0415
    from edgeguard_tools import backends  # noqa: PLC0415

    if not args.local:
        return CircuitBreaker(backends.stack_backend(args.stack_name, args.region, args.profile))
    cloud = backends.running_local_cloud()
    if cloud is None:
        from edgeguard_tools.localserver.client import NOT_RUNNING  # noqa: PLC0415

        raise backends.BackendError(NOT_RUNNING)
    # What the command starts (the table's stream -> the enforcer, the alert -> Telegram) is
    # delivered when it ends: in AWS the stream's run comes a moment after the command's own
    # synchronous enforcer run, which is the one that writes WAF and reports it.
    scope.enter_context(cloud.deferred())
    return CircuitBreaker(backends.cloud_backend(cloud))


def guarded(action: Any, args: argparse.Namespace) -> int:
    """Run ``action(args, scope)``; refusals exit 2, AWS and backend failures exit 1."""
    from edgeguard_tools.backends import BackendError  # noqa: PLC0415

    try:
        with ExitStack() as scope:
            return int(action(args, scope))
    except InvalidValue as error:
        from edgeguard.breaker.service import refusal_text  # noqa: PLC0415

        print(refusal_text(error), file=sys.stderr)
        return EXIT_REFUSED
    except BackendError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # AWS errors: say what failed, no traceback for operators
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED


def run_block(args: argparse.Namespace) -> int:
    from edgeguard.breaker.service import parse_duration  # noqa: PLC0415

    def act(args: argparse.Namespace, scope: ExitStack) -> int:
        duration = parse_duration(args.duration)  # refuse bad input before touching AWS
        _check(args)
        breaker = open_breaker(args, scope)
        change = breaker.block(args.value, duration, args.reason, args.target)
        (decision,) = change.decisions
        verb = {"blocked": "banned", "extended": "ban extended:", "unchanged": "already banned:"}
        what = change.value if args.target == "ip" else f"tenant {change.value}"
        print(
            f"{verb.get(change.status, change.status)} {what} until "
            f"{wording.at(decision.expires_at, utcnow())} (for {wording.span(duration)})"
            f"{_waf(change)}"
        )
        _say_enforcement_error(change)
        return EXIT_OK

    return guarded(act, args)


def run_unblock(args: argparse.Namespace) -> int:
    def act(args: argparse.Namespace, scope: ExitStack) -> int:
        _check(args)
        breaker = open_breaker(args, scope)
        change = breaker.unblock(args.value, args.reason, args.target)
        what = change.value if args.target == "ip" else f"tenant {change.value}"
        if change.status == "lifted":
            lifted = " and ".join(sorted({d.action for d in change.decisions}))
            print(f"{what} unblocked (lifted: {lifted}){_waf(change)}")
        else:
            print(f"{what} was not blocked; nothing to lift{_waf(change)}")
        _say_enforcement_error(change)
        return EXIT_OK

    return guarded(act, args)


def run_list(args: argparse.Namespace) -> int:
    from edgeguard.breaker.service import parse_duration  # noqa: PLC0415
    from edgeguard_tools.cli.blocklist import exception_json, render_exceptions  # noqa: PLC0415

    def act(args: argparse.Namespace, scope: ExitStack) -> int:
        since = getattr(args, "since", None)
        cutoff = utcnow() - parse_duration(since) if since else None  # refused before AWS
        origin = getattr(args, "origin", None)
        breaker = open_breaker(args, scope)
        decisions = breaker.listing(args.target)
        if origin:
            decisions = [d for d in decisions if d.origin == origin]
        if cutoff is not None:
            decisions = [
                d
                for d in decisions
                if d.created_at >= cutoff or (d.updated_at is not None and d.updated_at >= cutoff)
            ]
        # operators' exceptions (unblocked feed entries) are listed with the decisions
        filtered = origin is not None or cutoff is not None
        exceptions = breaker.exceptions() if args.target is None and not filtered else []
        if args.json:
            listed = [_as_json(d) for d in decisions]
            listed += [
                {**exception_json(e), "action": "exception", "scope": "range", "expires_at": None}
                for e in exceptions
            ]
            print(json.dumps(listed, indent=2))
            return EXIT_OK
        print(render_table(decisions))
        if exceptions:
            print(
                "\nexceptions (feed entries an operator unblocked; not banned again by their "
                "feed; `edgeguard blocklist reinstate VALUE` removes one):"
            )
            print(render_exceptions(exceptions))
        return EXIT_OK

    return guarded(act, args)


def _check(args: argparse.Namespace) -> None:
    """Refuse a malformed value before any AWS call (the store checks policy later)."""
    from edgeguard.breaker.service import check_value  # noqa: PLC0415

    check_value(args.value, args.target)


def _waf(change: Any) -> str:
    """What this command's enforcer run did to WAF, for the end of the line."""
    if change.enforcement_error or change.enforcement is None:
        return ""
    sets = int(change.enforcement.get("updates", 0))
    if sets:
        return f"; WAF updated: {sets} set{'s' if sets > 1 else ''}"
    return "; WAF already matches"


def _say_enforcement_error(change: Any) -> None:
    if change.enforcement_error:
        print(
            f"recorded; WAF follows within a minute (enforcer: {change.enforcement_error})",
            file=sys.stderr,
        )


def _as_json(decision: Decision) -> dict[str, Any]:
    return {
        "value": decision.value,
        "scope": decision.scope,
        "action": decision.action,
        "origin": decision.origin,
        "reason": decision.reason,
        "created_at": decision.created_at.isoformat(),
        "expires_at": decision.expires_at.isoformat(),
        "events": decision.events,
        "strikes": decision.strikes,
        "updated_by": decision.updated_by,
        "updated_at": decision.updated_at.isoformat() if decision.updated_at else None,
    }


def render_table(decisions: list[Decision]) -> str:
    """A plain-text table for terminals: what, until when, how long left, why, by whom."""
    if not decisions:
        return "no active decisions"
    now = utcnow()
    rows = [("VALUE", "SCOPE", "ACTION", "EXPIRES (UTC)", "LEFT", "ORIGIN", "REASON", "BY")]
    for d in decisions:
        left = d.expires_at - now
        hours, rest = divmod(int(left.total_seconds()), 3600)
        rows.append(
            (
                d.value,
                d.scope,
                d.action,
                f"{d.expires_at:%Y-%m-%d %H:%M}",
                f"{hours}h{rest // 60:02d}m",
                d.origin,
                d.reason[:48],
                d.updated_by.rsplit("/", 1)[-1][:24],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
